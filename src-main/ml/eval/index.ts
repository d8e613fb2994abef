/**
 * Entity-level evaluation. A predicted entity is correct when (start, end, type) all match a gold
 * one (exact match). Also: boundary-only scores, type accuracy on correct boundaries, error
 * buckets and a type confusion table, and the study's own metric (sets of (type, text) per title).
 */
import type { PRF } from '../../shared/training'
import type { PlainSpan } from '../../shared/tags'

interface TypeScore extends PRF {
  support: number
  predicted: number
  correct: number
}

interface ErrorBuckets {
  /** gold entity with no predicted entity overlapping it */
  missed: number
  /** predicted entity overlapping no gold entity */
  spurious: number
  /** overlaps a gold entity of the same type, but the boundaries differ */
  wrongBoundary: number
  /** exact boundaries of a gold entity, other type */
  wrongType: number
  /** overlaps gold, boundaries and type both wrong */
  wrongBoth: number
}

export interface EvalReport {
  micro: PRF & { support: number; predicted: number; correct: number }
  macro: PRF
  perType: Record<string, TypeScore>
  boundary: PRF
  /** Of predicted entities whose (start, end) match a gold one, the share with the right type. */
  typeAccuracy: number
  errors: ErrorBuckets
  /** confusion[gold][predicted] = count, over entities with matching boundaries (incl. diagonal). */
  confusion: Record<string, Record<string, number>>
  /** The study's metric: per title, sets of (type, text) pairs; micro P/R/F1 over titles. */
  study: PRF
  titles: number
}

function prf(correct: number, predicted: number, gold: number): PRF {
  const precision = predicted ? correct / predicted : 0
  const recall = gold ? correct / gold : 0
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0
  return { precision, recall, f1 }
}

const key = (s: PlainSpan): string => `${s.start}:${s.end}:${s.type}`
const bkey = (s: PlainSpan): string => `${s.start}:${s.end}`
const overlaps = (a: PlainSpan, b: PlainSpan): boolean => a.start < b.end && b.start < a.end

/** An error bucket that a predicted span falls in (`missed` is for gold spans). */
type PredBucket = Exclude<keyof ErrorBuckets, 'missed'>

/**
 * The error-bucket rules for one title, per span: each predicted span's bucket (null when it is
 * correct) and the gold span with its exact boundaries (null when none), and for each gold span
 * whether it is missed. `evaluate` counts these; the Evaluate screen lists the spans behind a count.
 */
export function classifySpans<S extends PlainSpan>(gold: readonly S[], pred: readonly PlainSpan[]): { pred: (PredBucket | null)[]; predGold: (S | null)[]; missed: boolean[] } {
  const byBoundary = new Map<string, S>()
  for (const g of gold) byBoundary.set(bkey(g), g)
  const buckets: (PredBucket | null)[] = []
  const predGold: (S | null)[] = []
  for (const s of pred) {
    const m = byBoundary.get(bkey(s)) ?? null
    predGold.push(m)
    if (m) {
      buckets.push(m.type === s.type ? null : 'wrongType')
      continue
    }
    const ov = gold.filter((g) => overlaps(g, s))
    buckets.push(ov.length === 0 ? 'spurious' : ov.some((g) => g.type === s.type) ? 'wrongBoundary' : 'wrongBoth')
  }
  const missed = gold.map((g) => !pred.some((p) => overlaps(p, g)))
  return { pred: buckets, predGold, missed }
}

/**
 * @param gold gold spans per title
 * @param pred predicted spans per title
 * @param texts the titles (for the study's (type, text) metric); optional
 */
export function evaluate(gold: readonly (readonly PlainSpan[])[], pred: readonly (readonly PlainSpan[])[], texts?: readonly string[]): EvalReport {
  if (gold.length !== pred.length) throw new Error(`evaluate: ${gold.length} gold titles vs ${pred.length} predicted`)
  const per = new Map<string, { support: number; predicted: number; correct: number }>()
  const bucket = (t: string): { support: number; predicted: number; correct: number } => {
    let v = per.get(t)
    if (!v) per.set(t, (v = { support: 0, predicted: 0, correct: 0 }))
    return v
  }
  let nGold = 0
  let nPred = 0
  let nCorrect = 0
  let bCorrect = 0
  let bPredDistinct = 0
  let bGoldDistinct = 0
  let sameBoundary = 0
  let sameBoundaryType = 0
  let sC = 0
  let sP = 0
  let sG = 0
  const errors: ErrorBuckets = { missed: 0, spurious: 0, wrongBoundary: 0, wrongType: 0, wrongBoth: 0 }
  const confusion: Record<string, Record<string, number>> = {}
  gold.forEach((g, i) => {
    const p = pred[i]!
    const gk = new Set(g.map(key))
    const pk = new Set(p.map(key))
    nGold += gk.size
    nPred += pk.size
    for (const s of g) bucket(s.type).support++
    for (const s of p) bucket(s.type).predicted++
    for (const k of pk)
      if (gk.has(k)) {
        nCorrect++
        bucket(k.split(':').slice(2).join(':')).correct++
      }
    const gb = new Set(g.map(bkey))
    const pb = new Set(p.map(bkey))
    bGoldDistinct += gb.size
    bPredDistinct += pb.size
    for (const k of pb) if (gb.has(k)) bCorrect++
    const c = classifySpans(g, p)
    p.forEach((s, k) => {
      const m = c.predGold[k]
      if (m) {
        sameBoundary++
        if (m.type === s.type) sameBoundaryType++
        ;(confusion[m.type] ??= {})[s.type] = ((confusion[m.type] ??= {})[s.type] ?? 0) + 1
      }
      const b = c.pred[k]
      if (b) errors[b]++
    })
    for (const m of c.missed) if (m) errors.missed++
    if (texts) {
      const chars = Array.from(texts[i]!)
      const pairs = (ss: readonly PlainSpan[]): Set<string> => new Set(ss.map((s) => `${s.type}\u0000${chars.slice(s.start, s.end).join('')}`))
      const a = pairs(g)
      const b = pairs(p)
      sG += a.size
      sP += b.size
      for (const x of b) if (a.has(x)) sC++
    }
  })
  const perType: Record<string, TypeScore> = {}
  for (const [t, v] of [...per].sort((a, b) => b[1].support - a[1].support || (a[0] < b[0] ? -1 : 1))) {
    perType[t] = { ...prf(v.correct, v.predicted, v.support), ...v }
  }
  const withSupport = Object.values(perType).filter((v) => v.support > 0)
  const macro = withSupport.length
    ? {
        precision: withSupport.reduce((a, v) => a + v.precision, 0) / withSupport.length,
        recall: withSupport.reduce((a, v) => a + v.recall, 0) / withSupport.length,
        f1: withSupport.reduce((a, v) => a + v.f1, 0) / withSupport.length,
      }
    : { precision: 0, recall: 0, f1: 0 }
  return {
    micro: { ...prf(nCorrect, nPred, nGold), support: nGold, predicted: nPred, correct: nCorrect },
    macro,
    perType,
    boundary: prf(bCorrect, bPredDistinct, bGoldDistinct),
    typeAccuracy: sameBoundary ? sameBoundaryType / sameBoundary : 0,
    errors,
    confusion,
    study: texts ? prf(sC, sP, sG) : { precision: 0, recall: 0, f1: 0 },
    titles: gold.length,
  }
}
