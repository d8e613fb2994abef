// The weak-label-aware loss: partial CRF / partial softmax likelihoods (layers/partial.ts) from the
// evidence of a partially labelled title (models/evidence.ts), checked against brute force over
// tag paths, against the ordinary CRF when every character is observed, and by finite differences.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { CRF } from '../../../../src-main/ml/layers/crf/layer'
import { IMPOSSIBLE, partialCrfLogLikelihood, partialSoftmaxLogLikelihood } from '../../../../src-main/ml/layers/partial'
import { DEFAULT_ORIGIN_WEIGHTS, partialPrior, titleWeight } from '../../../../src-main/ml/models/evidence'
import { featurize, makeBatch, toVocabs } from '../../../../src-main/ml/models/features'
import { DEFAULT_MODEL } from '../../../../src-main/ml/models/presets'
import { LabelVocab } from '../../../../src-main/ml/tagging/labels'
import { splitTag, tagsToSpans } from '../../../../src-main/shared/tags'
import { makeRng } from '../../../../src-main/ml/train/rng'
import type { Example, WeakLossConfig } from '../../../../src-main/shared/training'
import type { TagScheme } from '../../../../src-main/shared/tags'
import { testBackend } from '../../../helpers/ml'

let uid = 0
const RHO = 0.3
const weak = (partial = true): WeakLossConfig => ({ partial, unknownEntityPrior: RHO, originWeights: DEFAULT_ORIGIN_WEIGHTS })

function vocabsOf(scheme: TagScheme) {
  return toVocabs({ chars: ['a', 'b', 'c', 'd', 'e'], words: null, labels: LabelVocab.forTypes(['X', 'Y'], scheme).labels, types: null }, { ...DEFAULT_MODEL, scheme, head: 'crf' })
}

function randomCrf(labels: readonly string[], scheme: TagScheme, seed: number): CRF {
  const T = labels.length
  const c = new CRF({ numTags: T, name: `pcrf${uid++}`, seed, labels, constraints: scheme })
  const rng = makeRng(seed + 9)
  c.transitions.assign(tf.tensor2d(Array.from({ length: T * T }, () => rng() * 4 - 2), [T, T]))
  c.start.assign(tf.tensor1d(Array.from({ length: T }, () => rng() * 2 - 1)))
  c.end.assign(tf.tensor1d(Array.from({ length: T }, () => rng() * 2 - 1)))
  return c
}

/** Well-formed paths of the scheme (what the constrained CRF gives non-zero probability). */
function validPath(tags: string[], scheme: TagScheme): boolean {
  const p = tags.map(splitTag)
  return p.every((cur, t) => {
    const prev = t > 0 ? p[t - 1]! : null
    const cont = cur.prefix === 'I' || cur.prefix === 'E'
    if (scheme === 'BIO') return !cont || (prev !== null && (prev.prefix === 'B' || prev.prefix === 'I') && prev.type === cur.type)
    const ok = cont ? prev !== null && (prev.prefix === 'B' || prev.prefix === 'I') && prev.type === cur.type : prev === null || ['O', 'E', 'S'].includes(prev.prefix)
    return ok && (t < p.length - 1 || ['O', 'E', 'S'].includes(cur.prefix))
  })
}
function paths(T: number, n: number): number[][] {
  if (n === 0) return [[]]
  return paths(T, n - 1).flatMap((p) => Array.from({ length: T }, (_, j) => [...p, j]))
}
const lse = (xs: number[]): number => {
  const m = Math.max(...xs)
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0))
}

// titles of 5 chars: partially labelled (unreviewed), and one reviewed
const TITLES: Example[] = [
  { text: 'abcde', spans: [{ start: 1, end: 3, type: 'X', origin: 'weak' }], reviewed: false },
  { text: 'abcde', spans: [{ start: 0, end: 1, type: 'Y', origin: 'dictionary' }, { start: 3, end: 5, type: 'X', origin: 'dictionary' }], reviewed: false },
  { text: 'abcd', spans: [], reviewed: false },
  { text: 'abcde', spans: [{ start: 2, end: 4, type: 'Y' }] },
]

for (const scheme of ['BIO', 'BIOES'] as const)
  describe(`partial CRF vs brute force (${scheme}, constrained)`, () => {
    beforeAll(async () => {
      await testBackend()
    })
    const v = vocabsOf(scheme)
    const labels = v.labels.labels
    const T = labels.length
    const items = TITLES.map((e) => featurize(e, v, Infinity, weak()))
    const batch = makeBatch(items)
    const { B, L } = batch
    const rng = makeRng(11)
    const em = Array.from({ length: B * L * T }, () => rng() * 4 - 2)

    /** log Σ over well-formed paths consistent with the title's spans of ρ^{non-O tags on unknown chars} e^{score}, minus log Z. */
    async function brute(c: CRF, b: number): Promise<number> {
      const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
      const n = batch.lengths[b]!
      const ex = TITLES[b]!
      const covered = new Set(ex.spans.flatMap((s) => Array.from({ length: s.end - s.start }, (_, i) => s.start + i)))
      const all: number[] = []
      const consistent: number[] = []
      for (const y of paths(T, n)) {
        const tags = y.map((j) => labels[j]!)
        if (!validPath(tags, scheme)) continue
        let s = st[y[0]!]! + en[y[n - 1]!]!
        for (let t = 0; t < n; t++) s += em[(b * L + t) * T + y[t]!]! + (t > 0 ? tr[y[t - 1]!]![y[t]!]! : 0)
        all.push(s)
        const got = tagsToSpans(tags, { mode: 'tolerant', scheme })
        const reviewed = ex.reviewed !== false
        // reviewed: the path must be exactly the gold one; partial: it must contain every observed span
        const ok = reviewed
          ? got.length === ex.spans.length && ex.spans.every((g) => got.some((p) => p.start === g.start && p.end === g.end && p.type === g.type))
          : ex.spans.every((g) => got.some((p) => p.start === g.start && p.end === g.end && p.type === g.type)) &&
            got.every((p) => ex.spans.some((g) => g.start === p.start && g.end === p.end) || Array.from({ length: p.end - p.start }, (_, i) => p.start + i).every((i) => !covered.has(i)))
        if (!ok) continue
        const nonO = y.filter((j, t) => !covered.has(t) && labels[j] !== 'O').length
        consistent.push(s + (reviewed ? 0 : nonO * Math.log(RHO)))
      }
      return lse(consistent) - lse(all)
    }

    it('log-likelihood equals brute force over the tag paths consistent with the observed spans', async () => {
      const c = randomCrf(labels, scheme, 5)
      const ll = tf.tidy(() => partialCrfLogLikelihood(c, tf.tensor3d(em, [B, L, T]), tf.tensor3d(batch.prior!, [B, L, T]), batch.lengths))
      const got = (await ll.array()) as number[]
      ll.dispose()
      for (let b = 0; b < B; b++) expect(got[b]!, `title ${b}`).toBeCloseTo(await brute(c, b), 3)
    })

    it('equals the ordinary CRF when every character is observed', async () => {
      const c = randomCrf(labels, scheme, 6)
      const full = makeBatch(TITLES.map((e) => featurize({ ...e, reviewed: true }, v, Infinity, weak())).concat(items.slice(0, 1)))
      expect(full.prior).not.toBeNull() // row 4 is partial, so the batch carries priors; rows 0–3 are fully observed
      const [p, o] = tf.tidy(() => {
        const e = tf.tensor3d(Array.from({ length: full.B * full.L * T }, (_, i) => em[i % em.length]!), [full.B, full.L, T])
        return [partialCrfLogLikelihood(c, e, tf.tensor3d(full.prior!, [full.B, full.L, T]), full.lengths), c.logLikelihood(e, full.tags!, full.lengths)]
      })
      const [pa, oa] = [(await p.array()) as number[], (await o.array()) as number[]]
      p.dispose()
      o.dispose()
      for (let b = 0; b < 4; b++) expect(pa[b]!).toBeCloseTo(oa[b]!, 4)
      expect(pa[4]!).toBeGreaterThan(oa[4]! + 1e-3) // partial: more paths count than the all-O-elsewhere one
    })

    it('gradients (emissions, transitions) match finite differences', async () => {
      const c = randomCrf(labels, scheme, 8)
      const e = tf.variable(tf.tensor3d(em, [B, L, T]), true, `pgrad${uid++}`)
      const prior = tf.tensor3d(batch.prior!, [B, L, T])
      const lossOf = (): tf.Scalar => tf.neg(tf.sum(partialCrfLogLikelihood(c, e, prior, batch.lengths))) as tf.Scalar
      const { grads } = tf.variableGrads(lossOf, [e, c.transitions])
      const eps = 1e-2
      for (const [v, idxs] of [
        [e, [0, 3, T + 1, 2 * T * L + 4, 3 * L * T + 2]],
        [c.transitions, [0, 1, T + 2, 2 * T + 1, T * T - 1]],
      ] as [tf.Variable, number[]][]) {
        const base = (await v.data()).slice() as Float32Array
        const ga = (await grads[v.name]!.data()) as Float32Array
        for (const i of idxs) {
          const at = async (d: number): Promise<number> => {
            const x = base.slice()
            x[i]! += d
            v.assign(tf.tensor(x, v.shape))
            return (await tf.tidy(lossOf).data())[0]!
          }
          const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps)
          v.assign(tf.tensor(base, v.shape))
          expect(ga[i]!, `${v.name}[${i}]`).toBeCloseTo(fd, 2)
        }
      }
      prior.dispose()
      e.dispose()
      Object.values(grads).forEach((g) => g.dispose())
    })
  })

describe('partial softmax and the evidence of a title', () => {
  beforeAll(async () => {
    await testBackend()
  })
  it('per-char log-likelihood = log Σ over allowed tags of prior × p', async () => {
    const rng = makeRng(3)
    const logits = Array.from({ length: 3 * 4 }, () => rng() * 4 - 2)
    const prior = [0, IMPOSSIBLE, IMPOSSIBLE, IMPOSSIBLE, 0, Math.log(0.3), Math.log(0.3), Math.log(0.3), IMPOSSIBLE, 0, 0, IMPOSSIBLE]
    const out = tf.tidy(() => partialSoftmaxLogLikelihood(tf.tensor2d(logits, [3, 4]), tf.tensor2d(prior, [3, 4])))
    const got = (await out.array()) as number[]
    out.dispose()
    for (let r = 0; r < 3; r++) {
      const row = logits.slice(r * 4, r * 4 + 4)
      const z = lse(row)
      const want = Math.log(row.reduce((a, x, j) => a + (prior[r * 4 + j]! <= IMPOSSIBLE ? 0 : Math.exp(prior[r * 4 + j]!) * Math.exp(x - z)), 0))
      expect(got[r]!).toBeCloseTo(want, 4)
    }
  })

  it('a span fixes its chars; the char after it cannot continue it; unknown chars prefer O by ρ; reviewed titles have no prior', () => {
    const v = vocabsOf('BIO')
    const T = v.labels.size
    const ex = TITLES[0]!
    const p = partialPrior(ex, ex.spans, 5, v, weak())!
    const row = (i: number): number[] => Array.from(p.slice(i * T, i * T + T))
    expect(row(1).filter((x) => x === 0)).toHaveLength(1)
    expect(row(1)[v.labels.id('B-X')]).toBe(0)
    expect(row(2)[v.labels.id('I-X')]).toBe(0)
    expect(row(3)[v.labels.id('I-X')]).toBe(IMPOSSIBLE)
    expect(row(3)[v.labels.id('B-Y')]).toBeCloseTo(Math.log(RHO))
    expect(row(0)[v.labels.id('O')]).toBe(0)
    expect(partialPrior(TITLES[3]!, TITLES[3]!.spans, 5, v, weak())).toBeNull()
    expect(partialPrior(ex, ex.spans, 5, v, weak(false))).toBeNull()
  })

  it('soft spans: confidence 1 is the hard span, 0 says nothing, c mixes the span tag with the unknown prior', () => {
    const soft = { ...weak(), softSpans: true }
    for (const scheme of ['BIO', 'BIOES'] as const) {
      const v = vocabsOf(scheme)
      const T = v.labels.size
      const hard = partialPrior(TITLES[1]!, TITLES[1]!.spans, 5, v, weak())!
      const sure = TITLES[1]!.spans.map((s) => ({ ...s, confidence: 1 }))
      expect(Array.from(partialPrior(TITLES[1]!, sure, 5, v, soft)!)).toEqual(Array.from(hard))
      // without softSpans a confidence changes nothing in the prior
      expect(Array.from(partialPrior(TITLES[1]!, TITLES[1]!.spans.map((s) => ({ ...s, confidence: 0.2 })), 5, v, weak())!)).toEqual(Array.from(hard))
      // confidence 0 on the second span = the title without it
      const none = partialPrior(TITLES[1]!, [sure[0]!, { ...sure[1]!, confidence: 0 }], 5, v, soft)!
      expect(Array.from(none)).toEqual(Array.from(partialPrior(TITLES[1]!, [sure[0]!], 5, v, soft)!))
      const c = 0.25
      const p = partialPrior(TITLES[0]!, [{ ...TITLES[0]!.spans[0]!, confidence: c }], 5, v, soft)!
      const at = (i: number, tag: string): number => Math.exp(p[i * T + v.labels.id(tag)]!)
      expect(at(1, 'B-X')).toBeCloseTo(c + (1 - c) * RHO, 5) // the span's own tag
      expect(at(1, 'O')).toBeCloseTo(1 - c, 5)
      expect(at(1, 'B-Y')).toBeCloseTo((1 - c) * RHO, 5)
      expect(at(2, scheme === 'BIO' ? 'I-X' : 'E-X')).toBeCloseTo(c + (1 - c) * RHO, 5)
      // the char after the span continues it only if the span is wrong
      expect(at(3, 'I-X')).toBeCloseTo((1 - c) * RHO, 5)
      expect(at(3, 'O')).toBeCloseTo(1, 5)
    }
  })

  it('title weights follow origin (reviewed gold > weak > dictionary > model × confidence)', () => {
    const w = weak()
    expect(titleWeight(TITLES[3]!, w)).toBe(1)
    expect(titleWeight(TITLES[0]!, w)).toBe(0.8)
    expect(titleWeight(TITLES[1]!, w)).toBe(0.6)
    expect(titleWeight({ text: 'ab', spans: [{ start: 0, end: 2, type: 'X', origin: 'model', confidence: 0.5 }], reviewed: false }, w)).toBe(0.25)
    // soft spans carry their confidence in the prior, so it does not scale the title too
    expect(titleWeight({ text: 'ab', spans: [{ start: 0, end: 2, type: 'X', origin: 'model', confidence: 0.5 }], reviewed: false }, { ...w, softSpans: true })).toBe(0.5)
  })
})
