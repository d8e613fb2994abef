import * as tf from '@tensorflow/tfjs'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CRF } from '../../../src-main/ml/layers/crf'
import { makeRng } from '../../../src-main/ml/train/rng'
import { testBackend } from '../../helpers/ml'

let uid = 0
const INTERLEAVED = ['O', 'B-a', 'I-a', 'B-b', 'I-b']
const GROUPED = ['O', 'B-a', 'B-b', 'I-a', 'I-b'] // LabelVocab.forTypes order: the contiguous fast path
let BIO_LABELS = INTERLEAVED
let constrained = false
function crf(T: number, seed = 3): CRF {
  const c = new CRF({ numTags: T, name: `crftest${uid++}`, seed, ...(constrained ? { labels: BIO_LABELS, constraints: 'BIO' as const } : {}) })
  // make transitions large enough that they matter
  const rng = makeRng(seed + 100)
  c.transitions.assign(tf.tensor2d(Array.from({ length: T * T }, () => rng() * 4 - 2), [T, T]))
  c.start.assign(tf.tensor1d(Array.from({ length: T }, () => rng() * 2 - 1)))
  c.end.assign(tf.tensor1d(Array.from({ length: T }, () => rng() * 2 - 1)))
  return c
}

function allPathsAny(T: number, n: number): number[][] {
  if (n === 0) return [[]]
  return allPathsAny(T, n - 1).flatMap((p) => Array.from({ length: T }, (_, j) => [...p, j]))
}
/** BIO validity over BIO_LABELS: I-x only after B-x or I-x. */
function validBio(y: number[]): boolean {
  return y.every((j, t) => {
    const l = BIO_LABELS[j]!
    if (!l.startsWith('I-')) return true
    if (t === 0) return false
    const prev = BIO_LABELS[y[t - 1]!]!
    return prev === 'B-' + l.slice(2) || prev === l
  })
}
function allPaths(T: number, n: number): number[][] {
  const all = allPathsAny(T, n)
  return constrained ? all.filter(validBio) : all
}

function pathScore(em: number[][], tr: number[][], st: number[], en: number[], y: number[]): number {
  let s = st[y[0]!]! + em[0]![y[0]!]!
  for (let t = 1; t < y.length; t++) s += tr[y[t - 1]!]![y[t]!]! + em[t]![y[t]!]!
  return s + en[y[y.length - 1]!]!
}

function lse(xs: number[]): number {
  const m = Math.max(...xs)
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0))
}

for (const mode of ['dense', 'BIO-constrained', 'BIO-constrained-grouped'] as const) describe(`CRF vs brute force (${mode})`, () => {
  beforeAll(async () => {
    await testBackend()
  })
  beforeEach(() => {
    constrained = mode !== 'dense'
    BIO_LABELS = mode === 'BIO-constrained-grouped' ? GROUPED : INTERLEAVED
  })
  const T = mode === 'dense' ? 3 : 5
  const lengths = [4, 2, 1, 3]
  const L = 4
  const rng = makeRng(7)
  const emArr = Array.from({ length: lengths.length }, () => Array.from({ length: L }, () => Array.from({ length: T }, () => rng() * 4 - 2)))
  const tags =
    mode === 'dense'
      ? [
          [0, 1, 2, 1],
          [2, 2],
          [1],
          [0, 0, 1],
        ]
      : mode === 'BIO-constrained'
        ? [
            [1, 2, 0, 3],
            [3, 4],
            [1],
            [0, 1, 2],
          ]
        : [
            [1, 3, 0, 2],
            [2, 4],
            [1],
            [0, 1, 3],
          ]

  it('log-likelihood equals score − logsumexp over all paths', async () => {
    const c = crf(T)
    const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
    const em = tf.tensor3d(emArr)
    const ll = (await c.logLikelihood(em, tags, lengths).array()) as number[]
    lengths.forEach((n, b) => {
      const e = emArr[b]!.slice(0, n)
      const z = lse(allPaths(T, n).map((y) => pathScore(e, tr, st, en, y)))
      expect(ll[b]!).toBeCloseTo(pathScore(e, tr, st, en, tags[b]!) - z, 4)
    })
    em.dispose()
  })

  it('Viterbi equals the argmax over all paths', async () => {
    const c = crf(T, 11)
    const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
    const em = tf.tensor3d(emArr)
    const best = await c.decode(em, lengths)
    lengths.forEach((n, b) => {
      const e = emArr[b]!.slice(0, n)
      let arg: number[] = []
      let bs = -Infinity
      for (const y of allPaths(T, n)) {
        const s = pathScore(e, tr, st, en, y)
        if (s > bs) {
          bs = s
          arg = y
        }
      }
      expect(best[b]).toEqual(arg)
    })
    em.dispose()
  })

  it.skipIf(mode !== 'dense')('Viterbi pruning stays exact with many tags (skipped when the CRF is constrained: the many-tag case is the dense one)', async () => {
    const T2 = 40
    const c = crf(T2, 5)
    const r = makeRng(9)
    const e = Array.from({ length: 1 }, () => Array.from({ length: 6 }, () => Array.from({ length: T2 }, () => r() * 6 - 3)))
    const em = tf.tensor3d(e)
    const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
    const [path] = await c.decode(em, [6])
    // dynamic programming without pruning
    let delta = st.map((s, j) => s + e[0]![0]![j]!)
    const back: number[][] = []
    for (let t = 1; t < 6; t++) {
      const bp: number[] = []
      delta = Array.from({ length: T2 }, (_, j) => {
        let best = -Infinity
        let arg = 0
        for (let i = 0; i < T2; i++) {
          const s = delta[i]! + tr[i]![j]!
          if (s > best) {
            best = s
            arg = i
          }
        }
        bp.push(arg)
        return best + e[0]![t]![j]!
      })
      back.push(bp)
    }
    let last = 0
    delta.forEach((d, j) => {
      if (d + en[j]! > delta[last]! + en[last]!) last = j
    })
    const ref = [last]
    for (let t = 4; t >= 0; t--) ref.unshift(back[t]![ref[0]!]!)
    expect(path).toEqual(ref)
    em.dispose()
  })

  it('marginals sum to 1 and match brute force', async () => {
    const c = crf(T, 13)
    const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
    const em = tf.tensor3d(emArr)
    const m = (await c.marginals(em, lengths).array()) as number[][][]
    lengths.forEach((n, b) => {
      const e = emArr[b]!.slice(0, n)
      const paths = allPaths(T, n)
      const scores = paths.map((y) => pathScore(e, tr, st, en, y))
      const z = lse(scores)
      for (let t = 0; t < L; t++) {
        const row = m[b]![t]!
        if (t >= n) {
          expect(row.every((v) => v === 0)).toBe(true)
          continue
        }
        expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5)
        for (let j = 0; j < T; j++) {
          const p = paths.reduce((a, y, k) => a + (y[t] === j ? Math.exp(scores[k]! - z) : 0), 0)
          expect(row[j]!).toBeCloseTo(p, 5)
        }
      }
    })
    em.dispose()
  })

  it('gradients match finite differences', async () => {
    const c = crf(T, 17)
    const lossOf = (em: tf.Tensor3D): tf.Scalar => tf.neg(tf.sum(c.logLikelihood(em, tags, lengths))) as tf.Scalar
    const em = tf.variable(tf.tensor3d(emArr), true, `crfgrad${uid++}`)
    const { grads } = tf.variableGrads(() => lossOf(em), [em, c.transitions, c.start, c.end])
    const eps = 1e-2
    const check = async (v: tf.Variable, g: tf.Tensor, idxs: number[]): Promise<void> => {
      const base = (await v.data()).slice() as Float32Array
      const ga = (await g.data()) as Float32Array
      for (const i of idxs) {
        const plus = base.slice()
        plus[i]! += eps
        v.assign(tf.tensor(plus, v.shape))
        const lp = (await tf.tidy(() => lossOf(em)).data())[0]!
        const minus = base.slice()
        minus[i]! -= eps
        v.assign(tf.tensor(minus, v.shape))
        const lm = (await tf.tidy(() => lossOf(em)).data())[0]!
        v.assign(tf.tensor(base, v.shape))
        expect(ga[i]!).toBeCloseTo((lp - lm) / (2 * eps), 2)
      }
    }
    await check(em, grads[em.name]!, [0, 1, 5, 12, 13, 20, 25, 47])
    await check(c.transitions, grads[c.transitions.name]!, Array.from({ length: T * T }, (_, i) => i))
    await check(c.start, grads[c.start.name]!, Array.from({ length: T }, (_, i) => i))
    await check(c.end, grads[c.end.name]!, Array.from({ length: T }, (_, i) => i))
    // padding positions get no gradient; forbidden transitions (O → I-a) get none either
    const ge = (await grads[em.name]!.array()) as number[][][]
    expect(ge[2]![1]!.every((v) => v === 0)).toBe(true)
    if (constrained) expect((await grads[c.transitions.name]!.data())[0 * T + BIO_LABELS.indexOf('I-a')]).toBe(0)
    Object.values(grads).forEach((g) => g.dispose())
  })

  it('does not leak tensors', async () => {
    const c = crf(T, 19)
    const em = tf.variable(tf.tensor3d(emArr), true, `crfleak${uid++}`)
    const before = tf.memory().numTensors
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.sum(c.logLikelihood(em, tags, lengths))) as tf.Scalar)
    value.dispose()
    Object.values(grads).forEach((g) => g.dispose())
    const m = c.marginals(em, lengths)
    m.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
