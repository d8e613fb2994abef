/**
 * What a title's labels say, for the weak-label-aware loss (TrainConfig.weakLoss): a log-prior per
 * character and tag (see layers/partial.ts) and a title weight by the origin of its labels.
 * Reviewed titles (and examples without `reviewed`) are fully observed: one tag per character.
 * Unreviewed titles observe their spans' characters only; the others are unknown: `O` at 0, every
 * other tag at log ρ, except that a character right after a span cannot continue it (no `I-*`/`E-*`)
 * and, in BIOES, a character right before one cannot be inside another (no `B-*`/`I-*`).
 */
import type { Example, TrainingOrigin, WeakLossConfig } from '../../shared/training'
import { spansToTags, splitTag, type PlainSpan, type TagScheme } from '../../shared/tags'
import { IMPOSSIBLE } from '../layers/partial'
import type { LabelVocab } from '../tagging/labels'

/** What the prior needs of a tagger's vocabularies (features.ts `Vocabs` has these and more). */
interface TagSpace {
  labels: LabelVocab
  scheme: TagScheme
  cascade: boolean
}

export const DEFAULT_ORIGIN_WEIGHTS: Record<TrainingOrigin, number> = { gold: 1, weak: 0.8, dictionary: 0.6, model: 0.5 }

/** Title weight: `gold` when reviewed, else the mean of originWeight × confidence over its spans (none: `weak`). */
export function titleWeight(ex: Example, w: WeakLossConfig): number {
  if (ex.reviewed !== false) return w.originWeights.gold
  if (ex.spans.length === 0) return w.originWeights.weak
  let s = 0
  for (const sp of ex.spans) s += w.originWeights[sp.origin ?? 'gold'] * (sp.confidence ?? 1)
  return s / ex.spans.length
}

/**
 * Log-prior `[n·T]` of a partially labelled title (null when it is fully observed: reviewed, or
 * `partial` off). `spans` are in positions (after any BERT mapping), clipped to `n`.
 */
export function partialPrior(ex: Example, spans: readonly PlainSpan[], n: number, v: TagSpace, w: WeakLossConfig): Float32Array | null {
  if (!w.partial || ex.reviewed !== false) return null
  const T = v.labels.size
  const tags = spansToTags(n, spans, v.scheme, { typed: !v.cascade })
  // covered = given a tag by a span (spansToTags skips a span overlapping an earlier one: its chars stay unknown)
  const covered = Uint8Array.from(tags, (t) => (t === 'O' ? 0 : 1))
  const logRho = Math.log(Math.min(1, Math.max(1e-6, w.unknownEntityPrior)))
  const prefix = v.labels.labels.map((l) => splitTag(l).prefix)
  const out = new Float32Array(n * T)
  for (let i = 0; i < n; i++) {
    const o = i * T
    if (covered[i]) {
      out.fill(IMPOSSIBLE, o, o + T)
      out[o + v.labels.id(tags[i]!)] = 0
      continue
    }
    const afterSpan = i > 0 && covered[i - 1] === 1
    const beforeSpan = v.scheme === 'BIOES' && i + 1 < n && covered[i + 1] === 1
    for (let j = 0; j < T; j++) {
      const p = prefix[j]
      if (p === 'O') out[o + j] = 0
      else if (afterSpan && (p === 'I' || p === 'E')) out[o + j] = IMPOSSIBLE
      else if (beforeSpan && (p === 'B' || p === 'I')) out[o + j] = IMPOSSIBLE
      else out[o + j] = logRho
    }
  }
  return out
}
