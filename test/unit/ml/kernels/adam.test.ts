// The one-pass Adam of src-main/ml/kernels/adam.ts (GroupedAdam's path on wasm) against tfjs's
// own Adam (GroupedAdam with fused: false) over several clipped and unclipped steps.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { fusedAdamActive, sumOfSquares } from '../../../../src-main/ml/kernels/adam'
import { GroupedAdam } from '../../../../src-main/ml/train/optimizer'
import { makeRng } from '../../../../src-main/ml/train/rng'
import { testBackend } from '../../../helpers/ml'

// the fused path exists only on wasm: the tests that need it are skipped elsewhere, and their names say so
const onWasm = (process.env.NER_STUDIO_TEST_BACKEND ?? 'wasm') === 'wasm'
let backend = ''
beforeAll(async () => {
  backend = await testBackend()
})

// sizes with every remainder mod 4 (the kernel's SIMD body and its tail), and a scalar
const SHAPES: number[][] = [[7, 3], [5], [1], [2, 3, 2], [], [300]]

function randomArray(n: number, rng: () => number, spread: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * spread)
}

/** Two groups of variables with the same start, run `steps` steps of the same gradients. */
function run(
  fused: boolean,
  steps: number,
  clipNorm: number,
): {
  start: Float32Array[]
  values: Float32Array[]
  norms: number[][]
  opt: GroupedAdam
  vars: tf.Variable[]
} {
  const rng = makeRng(11)
  const start = SHAPES.map((s) =>
    randomArray(
      s.reduce((a, b) => a * b, 1),
      rng,
      1,
    ),
  )
  const vars = SHAPES.map((s, i) =>
    tf.variable(tf.tensor(start[i]!, s), true, `adam${fused}${i}${Math.random()}`),
  )
  const opt = new GroupedAdam({
    clipNorm,
    fused,
    groups: [
      { name: 'encoder', variables: vars.slice(0, 3), learningRate: 1e-2 },
      { name: 'heads', variables: vars.slice(3), learningRate: 3e-2 },
    ],
  })
  const norms: number[][] = []
  const gradRng = makeRng(5)
  for (let t = 0; t < steps; t++) {
    if (t === 3) opt.setLearningRateFactor(0.5)
    // steps alternate large gradients (clipped when clipNorm > 0) and small ones
    const spread = t % 2 === 0 ? 4 : 0.01
    const grads: tf.NamedTensorMap = {}
    // the last variable gets no gradient at step 2 (Adam then leaves it and its moments alone)
    vars.forEach((v, i) => {
      if (!(t === 2 && i === vars.length - 1))
        grads[v.name] = tf.tensor(randomArray(v.size, gradRng, spread), v.shape)
    })
    norms.push(opt.apply(grads))
    Object.values(grads).forEach((g) => g.dispose())
  }
  return { start, values: vars.map((v) => v.dataSync() as Float32Array), norms, opt, vars }
}

describe('fused Adam (wasm)', () => {
  it('runs on wasm, and tfjs’s Adam elsewhere', () => {
    expect(fusedAdamActive()).toBe(backend === 'wasm')
    const a = tf.variable(tf.zeros([2]), true, `which${Math.random()}`)
    expect(new GroupedAdam({ groups: [{ name: 'all', variables: [a], learningRate: 1 }] }).fused).toBe(
      backend === 'wasm',
    )
    expect(
      new GroupedAdam({ fused: false, groups: [{ name: 'all', variables: [a], learningRate: 1 }] }).fused,
    ).toBe(false)
    a.dispose()
  })

  for (const clipNorm of [0, 1]) {
    it.skipIf(!onWasm)(
      `[wasm only] equals tfjs’s Adam over 6 steps (clipNorm ${clipNorm}, two groups, a learning-rate change, a missing gradient)`,
      () => {
        const ours = run(true, 6, clipNorm)
        const theirs = run(false, 6, clipNorm)
        expect(ours.opt.fused).toBe(true)
        expect(ours.opt.learningRates).toEqual(theirs.opt.learningRates)
        for (let t = 0; t < 6; t++)
          for (let k = 0; k < 2; k++) expect(ours.norms[t]![k]!).toBeCloseTo(theirs.norms[t]![k]!, 3)
        ours.values.forEach((vals, i) => {
          const want = theirs.values[i]!
          for (let j = 0; j < want.length; j++) {
            expect(Math.abs(vals[j]! - want[j]!), `variable ${i} [${j}]`).toBeLessThan(
              2e-6 * Math.max(1, Math.abs(want[j]!)),
            )
            // and the steps did move it (by ~6 × lr)
            expect(Math.abs(vals[j]! - ours.start[i]![j]!)).toBeGreaterThan(1e-3)
          }
        })
        for (const r of [ours, theirs]) {
          r.opt.dispose()
          r.vars.forEach((v) => v.dispose())
        }
      },
    )
  }

  it.skipIf(!onWasm)(
    '[wasm only] writes no input in place (a clone of a variable keeps its values), and leaks nothing',
    () => {
      const w = tf.variable(tf.tensor1d([1, 2, 3, 4, 5]), true, `inplace${Math.random()}`)
      const snapshot = tf.clone(w) // shares w's data until w is assigned
      const opt = new GroupedAdam({ groups: [{ name: 'all', variables: [w], learningRate: 0.1 }] })
      expect(opt.fused).toBe(true)
      const g = tf.tensor1d([1, -1, 1, -1, 1])
      opt.apply({ [w.name]: g })
      const before = tf.memory().numTensors
      for (let t = 0; t < 3; t++) opt.apply({ [w.name]: g })
      expect(tf.memory().numTensors).toBe(before)
      expect(Array.from(g.dataSync())).toEqual([1, -1, 1, -1, 1])
      expect(Array.from(snapshot.dataSync())).toEqual([1, 2, 3, 4, 5])
      // four steps of a constant gradient move each value by ≈ 4 · lr against its sign
      Array.from(w.dataSync()).forEach((x, i) =>
        expect(x).toBeCloseTo([1, 2, 3, 4, 5][i]! - 0.4 * [1, -1, 1, -1, 1][i]!, 3),
      )
      opt.dispose()
      expect(tf.memory().numTensors).toBe(before - 2)
      for (const t of [w, snapshot, g]) t.dispose()
    },
  )

  it.skipIf(!onWasm)('[wasm only] sums squares exactly (float64) over tensors of any length', () => {
    const rng = makeRng(3)
    const arrays = [13, 4, 1, 1000].map((n) => randomArray(n, rng, 3))
    const ts = arrays.map((a) => tf.tensor1d(a))
    let want = 0
    for (const a of arrays) for (const x of a) want += x * x
    expect(sumOfSquares(ts)).toBeCloseTo(want, 6)
    ts.forEach((t) => t.dispose())
  })
})
