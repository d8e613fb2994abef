import * as tf from '@tensorflow/tfjs'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CRF } from '../../../../src-main/ml/layers/crf/layer'
import { crfStructure } from '../../../../src-main/ml/layers/crf/constraints'
import { LabelVocab } from '../../../../src-main/ml/tagging/labels'
import { splitTag } from '../../../../src-main/shared/tags'
import { makeRng } from '../../../../src-main/ml/train/rng'
import { testBackend } from '../../../helpers/ml'

let uid = 0
const INTERLEAVED = ['O', 'B-a', 'I-a', 'B-b', 'I-b']
const GROUPED = LabelVocab.forTypes(['a', 'b'], 'BIO').labels // O B-a B-b I-a I-b: the contiguous fast path
const BIOES_INTERLEAVED = ['O', 'B-a', 'I-a', 'E-a', 'S-a', 'B-b', 'I-b', 'E-b', 'S-b']
const BIOES_GROUPED = LabelVocab.forTypes(['a', 'b'], 'BIOES').labels // O B-* I-* E-* S-*
const BIOES_TYPE_FREE = LabelVocab.boundary('BIOES').labels // the cascade's boundary tags: O B I E S
let LABELS: readonly string[] = INTERLEAVED
let SCHEME: 'BIO' | 'BIOES' | null = null
function crf(T: number, seed = 3, scheme = SCHEME, labels = LABELS): CRF {
  const c = new CRF({ numTags: T, name: `crftest${uid++}`, seed, ...(scheme ? { labels, constraints: scheme } : {}) })
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
/** BIO validity over labels: I-x only after B-x or I-x. */
function validBio(y: number[], labels = LABELS): boolean {
  return y.every((j, t) => {
    const l = labels[j]!
    if (!l.startsWith('I-')) return true
    if (t === 0) return false
    const prev = labels[y[t - 1]!]!
    return prev === 'B-' + l.slice(2) || prev === l
  })
}
/**
 * BIOES validity over labels (typed or type-free): I-x/E-x only after B-x/I-x; O, B-*, S-* only
 * first or after O, E-*, S-*; the last tag is O, E-* or S-*.
 */
function validBioes(y: number[], labels = LABELS): boolean {
  const tags = y.map((j) => splitTag(labels[j]!))
  return tags.every((cur, t) => {
    const prev = t > 0 ? tags[t - 1]! : null
    const ok = cur.prefix === 'I' || cur.prefix === 'E' ? prev !== null && (prev.prefix === 'B' || prev.prefix === 'I') && prev.type === cur.type : prev === null || ['O', 'E', 'S'].includes(prev.prefix)
    return ok && (t < tags.length - 1 || ['O', 'E', 'S'].includes(cur.prefix))
  })
}
function valid(y: number[], scheme = SCHEME, labels = LABELS): boolean {
  return scheme === 'BIO' ? validBio(y, labels) : scheme === 'BIOES' ? validBioes(y, labels) : true
}
/** May tag j follow tag i (inside a title)? */
function allowedPair(i: number, j: number): boolean {
  if (SCHEME === 'BIO') return !LABELS[j]!.startsWith('I-') || LABELS[i] === 'B-' + LABELS[j]!.slice(2) || i === j
  if (SCHEME === 'BIOES') {
    const a = splitTag(LABELS[i]!)
    const b = splitTag(LABELS[j]!)
    return b.prefix === 'I' || b.prefix === 'E' ? (a.prefix === 'B' || a.prefix === 'I') && a.type === b.type : ['O', 'E', 'S'].includes(a.prefix)
  }
  return true
}
function allPaths(T: number, n: number): number[][] {
  return allPathsAny(T, n).filter((y) => valid(y))
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

interface Mode {
  name: string
  scheme: 'BIO' | 'BIOES' | null
  labels: readonly string[]
  gold: string[][]
}
const BIO_GOLD = [['B-a', 'I-a', 'O', 'B-b'], ['B-b', 'I-b'], ['B-a'], ['O', 'B-a', 'I-a']]
const BIOES_GOLD = [['B-a', 'I-a', 'E-a', 'S-b'], ['B-b', 'E-b'], ['S-a'], ['O', 'B-a', 'E-a']]
const MODES: Mode[] = [
  { name: 'dense', scheme: null, labels: ['O', 'B-a', 'I-a'], gold: [['O', 'B-a', 'I-a', 'B-a'], ['I-a', 'I-a'], ['B-a'], ['O', 'O', 'B-a']] },
  { name: 'BIO-constrained', scheme: 'BIO', labels: INTERLEAVED, gold: BIO_GOLD },
  { name: 'BIO-constrained-grouped', scheme: 'BIO', labels: GROUPED, gold: BIO_GOLD },
  { name: 'BIOES-constrained', scheme: 'BIOES', labels: BIOES_INTERLEAVED, gold: BIOES_GOLD },
  { name: 'BIOES-constrained-grouped', scheme: 'BIOES', labels: BIOES_GROUPED, gold: BIOES_GOLD },
  { name: 'BIOES-type-free', scheme: 'BIOES', labels: BIOES_TYPE_FREE, gold: BIOES_GOLD.map((y) => y.map((l) => splitTag(l).prefix)) },
]

/** A label set of `mode`'s layout and scheme with 40 or more tags (the type-free family beside typed ones). */
function manyTags(mode: Mode): string[] {
  if (mode.scheme === null) return Array.from({ length: 40 }, (_, j) => (j === 0 ? 'O' : `${j % 2 ? 'B' : 'I'}-t${Math.ceil(j / 2)}`))
  const prefixes = mode.scheme === 'BIO' ? ['B', 'I'] : ['B', 'I', 'E', 'S']
  const types = Array.from({ length: Math.ceil(40 / prefixes.length) }, (_, k) => `t${k}`)
  if (mode.name.includes('grouped')) return [...LabelVocab.forTypes(types, mode.scheme).labels]
  const typed = types.flatMap((t) => prefixes.map((p) => `${p}-${t}`))
  return mode.name.includes('type-free') ? ['O', ...prefixes, ...typed] : ['O', ...typed]
}
/** The scheme's rules tag by tag: may j follow i, start a title, end one. */
function rules(labels: readonly string[], scheme: 'BIO' | 'BIOES' | null): { pair(i: number, j: number): boolean; first(j: number): boolean; last(j: number): boolean } {
  const tags = labels.map(splitTag)
  const inside = (j: number): boolean => tags[j]!.prefix === 'I' || (scheme === 'BIOES' && tags[j]!.prefix === 'E')
  return {
    pair: (i, j) => {
      if (scheme === null) return true
      const [a, b] = [tags[i]!, tags[j]!]
      if (inside(j)) return (a.prefix === 'B' || a.prefix === 'I') && a.type === b.type
      return scheme === 'BIO' || ['O', 'E', 'S'].includes(a.prefix)
    },
    first: (j) => scheme === null || !inside(j),
    last: (j) => scheme !== 'BIOES' || ['O', 'E', 'S'].includes(tags[j]!.prefix),
  }
}

for (const mode of MODES) describe(`CRF vs brute force (${mode.name})`, () => {
  beforeAll(async () => {
    await testBackend()
  })
  beforeEach(() => {
    SCHEME = mode.scheme
    LABELS = mode.labels
  })
  const T = mode.labels.length
  const lengths = [4, 2, 1, 3]
  const L = 4
  const rng = makeRng(7)
  const emArr = Array.from({ length: lengths.length }, () => Array.from({ length: L }, () => Array.from({ length: T }, () => rng() * 4 - 2)))
  const tags = mode.gold.map((y) => y.map((l) => mode.labels.indexOf(l)))

  it('gold paths are valid paths of the scheme', () => {
    for (const y of tags) {
      expect(y.every((j) => j >= 0)).toBe(true)
      expect(valid(y, mode.scheme, mode.labels)).toBe(true)
    }
  })

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

  it('the Viterbi path probability P(ŷ | x) = exp(s(ŷ) − log Z) equals its share of all paths', async () => {
    const c = crf(T, 23)
    const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
    const em = tf.tensor3d(emArr)
    const { paths, scores } = await c.decodeScored(em, lengths)
    const post = c.posterior(em, lengths)
    const logZ = (await post.logZ.array()) as number[]
    lengths.forEach((n, b) => {
      const e = emArr[b]!.slice(0, n)
      const all = allPaths(T, n).map((y) => pathScore(e, tr, st, en, y))
      const best = Math.max(...all)
      // the path's probability mass among every allowed path, summed in float64
      const p = Math.exp(best) / all.reduce((a, x) => a + Math.exp(x), 0)
      expect(scores[b]!).toBeCloseTo(pathScore(e, tr, st, en, paths[b]!), 5)
      expect(scores[b]!).toBeCloseTo(best, 5)
      expect(Math.exp(scores[b]! - logZ[b]!)).toBeCloseTo(p, 5)
      expect(p).toBeLessThan(1)
    })
    // the marginals from the same pass are marginals() exactly
    expect(await post.marginals.array()).toEqual(await c.marginals(em, lengths).array())
    post.marginals.dispose()
    post.logZ.dispose()
    em.dispose()
  })

  it('Viterbi follows the parameters when they change (its decode plan is reused only for the same values)', async () => {
    const c = crf(T, 12)
    const em = tf.tensor3d(emArr)
    const argmax = async (): Promise<number[][]> => {
      const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
      return lengths.map((n, b) => {
        let arg: number[] = []
        let bs = -Infinity
        for (const y of allPaths(T, n)) {
          const s = pathScore(emArr[b]!.slice(0, n), tr, st, en, y)
          if (s > bs) [bs, arg] = [s, y]
        }
        return arg
      })
    }
    const before = await c.decode(em, lengths)
    expect(before).toEqual(await argmax())
    // as a training step would: new values in the same variables
    const r = makeRng(21)
    c.transitions.assign(tf.tensor2d(Array.from({ length: T }, () => Array.from({ length: T }, () => r() * 8 - 4))))
    c.start.assign(tf.tensor1d(Array.from({ length: T }, () => r() * 8 - 4)))
    const after = await c.decode(em, lengths)
    expect(after).toEqual(await argmax())
    expect(after).not.toEqual(before)
    em.dispose()
  })

  it('Viterbi pruning stays exact with many tags (the same layout and constraints at 40+ tags)', async () => {
    const labels = manyTags(mode)
    const T2 = labels.length
    expect(T2).toBeGreaterThanOrEqual(40)
    const c = crf(T2, 5, mode.scheme, labels)
    const r = makeRng(9)
    const n = 6
    const e = Array.from({ length: 1 }, () => Array.from({ length: n }, () => Array.from({ length: T2 }, () => r() * 6 - 3)))
    const em = tf.tensor3d(e)
    const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
    const [path] = await c.decode(em, [n])
    // dynamic programming without pruning, over the transitions the scheme allows
    const rule = rules(labels, mode.scheme)
    let delta = st.map((s, j) => (rule.first(j) ? s + e[0]![0]![j]! : -Infinity))
    const back: number[][] = []
    for (let t = 1; t < n; t++) {
      const bp: number[] = []
      delta = Array.from({ length: T2 }, (_, j) => {
        let best = -Infinity
        let arg = 0
        for (let i = 0; i < T2; i++) {
          const s = rule.pair(i, j) ? delta[i]! + tr[i]![j]! : -Infinity
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
    const final = delta.map((d, j) => (rule.last(j) ? d + en[j]! : -Infinity))
    let last = 0
    final.forEach((d, j) => {
      if (d > final[last]!) last = j
    })
    const ref = [last]
    for (let t = n - 2; t >= 0; t--) ref.unshift(back[t]![ref[0]!]!)
    expect(path).toEqual(ref)
    expect(valid(path!, mode.scheme, labels)).toBe(true)
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
    // padding positions get no gradient; forbidden transitions (O → I-a; BIOES: B-a → O, …) get none either
    const ge = (await grads[em.name]!.array()) as number[][][]
    expect(ge[2]![1]!.every((v) => v === 0)).toBe(true)
    const gt = await grads[c.transitions.name]!.data()
    let forbidden = 0
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        if (allowedPair(i, j)) continue
        forbidden++
        expect(gt[i * T + j], `${LABELS[i]} → ${LABELS[j]}`).toBe(0)
      }
    }
    expect(forbidden > 0).toBe(mode.scheme !== null)
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

describe('BIOES-constrained CRF', () => {
  beforeAll(async () => {
    await testBackend()
  })

  /** Random weights large enough that an unconstrained CRF often picks ill-formed paths. */
  function randomCrf(labels: readonly string[], scheme: 'BIO' | 'BIOES' | null, seed: number): CRF {
    const T = labels.length
    const c = new CRF({ numTags: T, name: `crfprop${uid++}`, seed, ...(scheme ? { labels, constraints: scheme } : {}) })
    const r = makeRng(seed * 31 + 1)
    c.transitions.assign(tf.tensor2d(Array.from({ length: T * T }, () => r() * 8 - 4), [T, T]))
    c.start.assign(tf.tensor1d(Array.from({ length: T }, () => r() * 6 - 3)))
    c.end.assign(tf.tensor1d(Array.from({ length: T }, () => r() * 6 - 3)))
    return c
  }

  it('Viterbi never outputs an ill-formed BIOES path (random weights and emissions, several seeds and layouts)', async () => {
    const layouts = [BIOES_INTERLEAVED, BIOES_GROUPED, BIOES_TYPE_FREE, LabelVocab.forTypes(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], 'BIOES').labels]
    let decoded = 0
    let illFormedUnconstrained = 0
    for (const labels of layouts) {
      const T = labels.length
      for (let seed = 1; seed <= 6; seed++) {
        const c = randomCrf(labels, 'BIOES', seed)
        const free = randomCrf(labels, null, seed) // same weights, no constraints
        const r = makeRng(seed + 1000)
        const lengths = Array.from({ length: 8 }, () => 1 + Math.floor(r() * 12))
        const L = Math.max(...lengths)
        const em = tf.tensor3d(Array.from({ length: lengths.length * L * T }, () => r() * 10 - 5), [lengths.length, L, T])
        const paths = await c.decode(em, lengths)
        const freePaths = await free.decode(em, lengths)
        paths.forEach((y, b) => {
          expect(y).toHaveLength(lengths[b]!)
          expect(validBioes(y, labels), `${labels.length} tags, seed ${seed}: ${y.map((j) => labels[j]).join(' ')}`).toBe(true)
          decoded++
        })
        illFormedUnconstrained += freePaths.filter((y) => !validBioes(y, labels)).length
        em.dispose()
        c.variables.forEach((v) => v.dispose())
        free.variables.forEach((v) => v.dispose())
      }
    }
    expect(decoded).toBe(4 * 6 * 8)
    // the property is not vacuous: with the same weights, an unconstrained CRF decodes ill-formed paths
    expect(illFormedUnconstrained).toBeGreaterThan(decoded / 2)
  })

  it('stays exact with large emissions (forbidden rows masked before the max shift)', async () => {
    const labels = BIOES_GROUPED
    const T = labels.length
    const c = crf(T, 23, 'BIOES', labels)
    const [tr, st, en] = [(await c.transitions.array()) as number[][], (await c.start.array()) as number[], (await c.end.array()) as number[]]
    // B-a first scores 120 above O / S-*, but the second char must be O: the mass flows through the
    // low first-char scores, which a max shift taken over the forbidden B-a row would underflow
    const e = [labels.map((l) => (l === 'B-a' ? 60 : -60)), labels.map((l) => (l === 'O' ? 100 : -100))]
    const tags = [['O', 'O'], ['S-b', 'O'], ['B-a', 'E-a']].map((y) => y.map((l) => labels.indexOf(l)))
    const em = tf.tensor3d([e, e, e])
    const ll = (await c.logLikelihood(em, tags, [2, 2, 2]).array()) as number[]
    const z = lse(
      allPathsAny(T, 2)
        .filter((y) => validBioes(y, labels))
        .map((y) => pathScore(e, tr, st, en, y)),
    )
    tags.forEach((y, b) => expect(ll[b]!).toBeCloseTo(pathScore(e, tr, st, en, y) - z, 2))
    const m = (await c.marginals(em, [2, 2, 2]).array()) as number[][][]
    expect(m[0]![1]![labels.indexOf('O')]!).toBeCloseTo(1, 5)
    em.dispose()
  })

  it('many types: the gather path (interleaved tags) equals the slice path (grouped tags), BIO and BIOES', async () => {
    const types = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']
    for (const scheme of ['BIO', 'BIOES'] as const) {
      const prefixes = scheme === 'BIO' ? ['B', 'I'] : ['B', 'I', 'E', 'S']
      const grouped = LabelVocab.forTypes(types, scheme).labels
      const interleaved = ['O', ...types.flatMap((t) => prefixes.map((p) => `${p}-${t}`))]
      const T = grouped.length
      const perm = interleaved.map((l) => grouped.indexOf(l)) // interleaved index → grouped index
      const g = crf(T, 29, scheme, grouped)
      const i = new CRF({ numTags: T, name: `crfperm${uid++}`, labels: interleaved, constraints: scheme })
      const [tr, st, en] = [(await g.transitions.array()) as number[][], (await g.start.array()) as number[], (await g.end.array()) as number[]]
      i.transitions.assign(tf.tensor2d(perm.map((a) => perm.map((b) => tr[a]![b]!))))
      i.start.assign(tf.tensor1d(perm.map((a) => st[a]!)))
      i.end.assign(tf.tensor1d(perm.map((a) => en[a]!)))
      const r = makeRng(31)
      const lengths = [6, 3, 1]
      const eg = Array.from({ length: 3 }, () => Array.from({ length: 6 }, () => Array.from({ length: T }, () => r() * 4 - 2)))
      const ei = eg.map((x) => x.map((row) => perm.map((a) => row[a]!)))
      const gold = scheme === 'BIO' ? [['B-c', 'I-c', 'O', 'B-i', 'I-i', 'I-i'], ['O', 'B-a', 'I-a'], ['B-h']] : [['B-c', 'I-c', 'E-c', 'S-i', 'B-a', 'E-a'], ['O', 'S-e', 'O'], ['S-h']]
      const emG = tf.tensor3d(eg)
      const emI = tf.tensor3d(ei)
      const llG = (await g.logLikelihood(emG, gold.map((y) => y.map((l) => grouped.indexOf(l))), lengths).array()) as number[]
      const llI = (await i.logLikelihood(emI, gold.map((y) => y.map((l) => interleaved.indexOf(l))), lengths).array()) as number[]
      llG.forEach((v, b) => expect(llI[b]!).toBeCloseTo(v, 4))
      const mG = (await g.marginals(emG, lengths).array()) as number[][][]
      const mI = (await i.marginals(emI, lengths).array()) as number[][][]
      mI.forEach((rows, b) => rows.forEach((row, t) => row.forEach((p, k) => expect(p).toBeCloseTo(mG[b]![t]![perm[k]!]!, 5))))
      const dG = await g.decode(emG, lengths)
      const dI = await i.decode(emI, lengths)
      expect(dI.map((y) => y.map((k) => interleaved[k]))).toEqual(dG.map((y) => y.map((k) => grouped[k])))
      // transition gradients agree too
      const gradOf = (c: CRF, em: tf.Tensor3D, labels: readonly string[]): tf.Tensor => {
        const { grads } = tf.variableGrads(() => tf.neg(tf.sum(c.logLikelihood(em, gold.map((y) => y.map((l) => labels.indexOf(l))), lengths))) as tf.Scalar, [c.transitions])
        return grads[c.transitions.name]!
      }
      const gG = (await gradOf(g, emG, grouped).array()) as number[][]
      const gI = (await gradOf(i, emI, interleaved).array()) as number[][]
      perm.forEach((a, x) => perm.forEach((b, y) => expect(gI[x]![y]!).toBeCloseTo(gG[a]![b]!, 4)))
      emG.dispose()
      emI.dispose()
    }
  })

  it('structure: type-free tags are one type; a type missing one of B/I/E/S is refused', () => {
    const s = crfStructure(BIOES_TYPE_FREE, 'BIOES')
    expect([...s.sparse].map((j) => BIOES_TYPE_FREE[j])).toEqual(['I', 'E'])
    expect([...s.dense].map((j) => BIOES_TYPE_FREE[j])).toEqual(['O', 'B', 'S'])
    expect([...s.startAllowed]).toEqual([1, 1, 0, 0, 1])
    expect([...s.endAllowed]).toEqual([1, 0, 0, 1, 1])
    expect(() => crfStructure(['O', 'B-a', 'I-a', 'E-a'], 'BIOES')).toThrow(/"B-a" has no S-a/)
    // BIO type-free boundary tags are constrained as well (I only after B or I)
    const bio = crfStructure(LabelVocab.boundary('BIO').labels, 'BIO')
    expect([...bio.sparse]).toEqual([2])
    expect([...bio.startAllowed]).toEqual([1, 1, 0])
  })
})

describe('CRF input checks at the layer boundary (as pytorch-crf)', () => {
  beforeAll(async () => {
    await testBackend()
  })

  it('names the wrong shape, the empty title and the tag id out of range', () => {
    const c = crf(3, 3, null, ['O', 'B-a', 'I-a'])
    const em = tf.zeros([2, 4, 3]) as tf.Tensor3D
    expect(() => c.logLikelihood(tf.zeros([2, 4, 5]) as tf.Tensor3D, [[0], [0]], [1, 1])).toThrow('CRF: expected emissions of 3 tags (last dimension), got 5')
    expect(() => c.logPartition(tf.zeros([8, 3]) as unknown as tf.Tensor3D, [1])).toThrow(/emissions must have 3 dimensions/)
    expect(() => c.marginals(em, [4])).toThrow('CRF: 1 lengths for a batch of 2 titles')
    expect(() => c.logPartition(em, [4, 0])).toThrow('CRF: title 1 has length 0; every title needs 1 … 4 characters (its first position must be valid)')
    expect(() => c.logLikelihood(em, [[0, 1, 2, 2], [0, 3]], [4, 2])).toThrow('CRF: title 1, position 1: tag id 3 is not in 0 … 2')
    expect(() => c.logLikelihood(em, [[0, 1, 2, 2], [0]], [4, 2])).toThrow('CRF: title 1 has 2 characters but 1 tags')
    expect(() => c.logLikelihood(em, [[0, 1, 2, 2]], [4, 2])).toThrow('CRF: 1 tag rows for a batch of 2 titles')
    return expect(c.decode(em, [5, 1])).rejects.toThrow('CRF: title 0 has length 5')
  })
})
