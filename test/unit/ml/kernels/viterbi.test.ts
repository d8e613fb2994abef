import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { viterbiBatch, viterbiPlan } from '../../../../src-main/ml/kernels/viterbi'
import { CRF } from '../../../../src-main/ml/layers/crf/layer'
import { crfStructure } from '../../../../src-main/ml/layers/crf/constraints'
import { viterbi } from '../../../../src-main/ml/layers/crf/viterbi'
import { LabelVocab } from '../../../../src-main/ml/tagging/labels'
import { makeRng } from '../../../../src-main/ml/train/rng'
import { testBackend } from '../../../helpers/ml'

/** Random CRF weights with forbidden entries at −∞ (`labels`/`scheme` given), or all allowed. */
function weights(T: number, draw: () => number, labels?: readonly string[], scheme?: 'BIO' | 'BIOES') {
  const trans = Float32Array.from({ length: T * T }, draw)
  const start = Float32Array.from({ length: T }, draw)
  const end = Float32Array.from({ length: T }, draw)
  if (labels && scheme) {
    const s = crfStructure(labels, scheme)
    trans.forEach((_, k) => (s.allowed[k] ? 0 : (trans[k] = -Infinity)))
    start.forEach((_, j) => (s.startAllowed[j] ? 0 : (start[j] = -Infinity)))
    end.forEach((_, j) => (s.endAllowed[j] ? 0 : (end[j] = -Infinity)))
  }
  return { trans, start, end }
}

/** Emissions [B, L, T]; padding positions hold huge values a decoder must ignore. */
function emissions(lengths: number[], L: number, T: number, draw: () => number): Float32Array {
  const em = new Float32Array(lengths.length * L * T)
  lengths.forEach((n, b) => {
    for (let t = 0; t < L; t++) for (let j = 0; j < T; j++) em[(b * L + t) * T + j] = t < n ? draw() : 1e6 * ((j % 3) - 1)
  })
  return em
}

/** Kernel vs the plain pruned scan (CRF's reference `viterbi`), title by title. */
function expectSameAsReference(T: number, w: ReturnType<typeof weights>, em: Float32Array, lengths: number[], L: number): number {
  const got = viterbiBatch(viterbiPlan(w.trans, w.start, w.end, T), em, lengths.length, L, lengths)
  lengths.forEach((n, b) => {
    const want = viterbi(em, b * L * T, n, T, w.trans, w.start, w.end)
    expect(got[b], `title ${b} (length ${n}, ${T} tags)`).toEqual(want)
  })
  return lengths.length
}

const LAYOUTS: { name: string; labels?: readonly string[]; scheme?: 'BIO' | 'BIOES' }[] = [
  { name: 'unconstrained' },
  { name: 'BIO grouped', labels: LabelVocab.forTypes(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'BIO').labels, scheme: 'BIO' },
  { name: 'BIO interleaved', labels: ['O', 'B-a', 'I-a', 'B-b', 'I-b', 'B-c', 'I-c'], scheme: 'BIO' },
  { name: 'BIOES grouped', labels: LabelVocab.forTypes(['a', 'b', 'c', 'd'], 'BIOES').labels, scheme: 'BIOES' },
  { name: 'BIOES type-free', labels: LabelVocab.boundary('BIOES').labels, scheme: 'BIOES' },
]

describe('Viterbi kernel (kernels/viterbi.ts)', () => {
  for (const layout of LAYOUTS) {
    it(`equals the plain pruned scan on random inputs with padding and length-1 titles (${layout.name})`, () => {
      let titles = 0
      for (let seed = 1; seed <= 12; seed++) {
        const r = makeRng(seed)
        const T = layout.labels?.length ?? 1 + Math.floor(r() * 40)
        // seed parity: continuous scores, or small integers (many exact ties); a wide emission
        // spread in some seeds, as after training (the pruning's best case)
        const spread = seed % 3 === 0 ? 40 : 4
        const draw = seed % 2 ? () => r() * 4 - 2 : () => Math.floor(r() * 3)
        const drawEm = seed % 2 ? () => (r() * 2 - 1) * spread : () => Math.floor(r() * 3)
        const w = weights(T, draw, layout.labels, layout.scheme)
        const lengths = [1, ...Array.from({ length: 6 }, () => 1 + Math.floor(r() * 14)), 1]
        const L = Math.max(...lengths) + 2
        titles += expectSameAsReference(T, w, emissions(lengths, L, T, drawEm), lengths, L)
      }
      expect(titles).toBe(12 * 8)
    })
  }

  it('finds the best path by brute force on tiny inputs (score and path)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = makeRng(seed + 500)
      const T = 2 + (seed % 3)
      const n = 1 + (seed % 4)
      const draw = () => r() * 4 - 2
      const w = weights(T, draw)
      const em = Float32Array.from({ length: n * T }, draw)
      const score = (y: number[]): number => y.reduce((acc, j, t) => acc + em[t * T + j]! + (t ? w.trans[y[t - 1]! * T + j]! : w.start[j]!), 0) + w.end[y[n - 1]!]!
      let best = -Infinity
      let bestPath: number[] = []
      const visit = (y: number[]): void => {
        if (y.length === n) {
          const s = score(y)
          if (s > best) [best, bestPath] = [s, [...y]]
          return
        }
        for (let j = 0; j < T; j++) visit([...y, j])
      }
      visit([])
      const [got] = viterbiBatch(viterbiPlan(w.trans, w.start, w.end, T), em, 1, n, [n])
      expect(got).toEqual(bestPath)
      expect(score(got!)).toBeCloseTo(best, 9)
    }
  })

  it('equals the plain scan at 1,001 BIO tags (the flat presets’ size), trained-like and flat emissions', () => {
    const types = Array.from({ length: 500 }, (_, k) => `t${k}`)
    const labels = LabelVocab.forTypes(types, 'BIO').labels
    const T = labels.length
    expect(T).toBe(1001)
    for (const [seed, spread] of [
      [1, 0.2],
      [2, 30],
    ] as const) {
      const r = makeRng(seed)
      for (const scheme of ['BIO', undefined] as const) {
        const w = weights(T, () => (r() * 2 - 1) * 0.1, scheme && labels, scheme)
        const lengths = [1, 9, 23]
        const L = 23
        expectSameAsReference(T, w, emissions(lengths, L, T, () => (r() * 2 - 1) * spread), lengths, L)
      }
    }
  })

  it('rejects emissions of the wrong size and lengths outside 1 … L', () => {
    const w = weights(3, () => 0)
    const plan = viterbiPlan(w.trans, w.start, w.end, 3)
    expect(() => viterbiBatch(plan, new Float32Array(5), 1, 2, [2])).toThrow(/emissions have 5 values, expected 1×2×3/)
    expect(() => viterbiBatch(plan, new Float32Array(6), 1, 2, [0])).toThrow(/title 0 has length 0/)
  })
})

describe('CRF.decode uses the kernel', () => {
  beforeAll(async () => {
    await testBackend()
  })

  for (const scheme of ['BIO', null] as const) {
    it(`returns the plain scan's paths on tensors with padding (${scheme ?? 'unconstrained'})`, async () => {
      const labels = LabelVocab.forTypes(['a', 'b', 'c'], 'BIO').labels
      const T = labels.length
      const c = new CRF({ numTags: T, name: `vkernel-${scheme}`, seed: 7, ...(scheme ? { labels, constraints: scheme } : {}) })
      const r = makeRng(9)
      c.transitions.assign(tf.tensor2d(Array.from({ length: T * T }, () => r() * 6 - 3), [T, T]))
      const lengths = [5, 1, 3]
      const L = 5
      const em = emissions(lengths, L, T, () => r() * 6 - 3)
      const emT = tf.tensor3d(em, [3, L, T])
      const got = await c.decode(emT, lengths)
      emT.dispose()
      const tr = Float32Array.from(c.transitions.dataSync())
      const st = Float32Array.from(c.start.dataSync())
      const en = Float32Array.from(c.end.dataSync())
      if (scheme) {
        const s = crfStructure(labels, scheme)
        tr.forEach((_, k) => (s.allowed[k] ? 0 : (tr[k] = -Infinity)))
        st.forEach((_, j) => (s.startAllowed[j] ? 0 : (st[j] = -Infinity)))
        en.forEach((_, j) => (s.endAllowed[j] ? 0 : (en[j] = -Infinity)))
      }
      lengths.forEach((n, b) => expect(got[b]).toEqual(viterbi(em, b * L * T, n, T, tr, st, en)))
      c.variables.forEach((v) => v.dispose())
    })
  }
})
