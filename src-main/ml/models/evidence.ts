/**
 * What a title's labels say, for the weak-label-aware loss (TrainConfig.weakLoss): a log-prior per
 * character and tag (see layers/partial.ts) and a title weight by the origin of its labels.
 * Reviewed titles (and examples without `reviewed`) are fully observed: one tag per character.
 * Unreviewed titles observe their spans' characters only; the others are unknown: `O` at 0, every
 * other tag at log ρ, except that a character right after a span cannot continue it (no `I-*`/`E-*`)
 * and, in BIOES, a character right before one cannot be inside another (no `B-*`/`I-*`).
 * With `softSpans`, a span with a confidence c < 1 is a soft observation: each of its characters
 * takes the mixture c · [its span tag] + (1 − c) · (the unknown prior), per character (a factorised
 * stand-in for "the span is right with probability c"); the rules next to a span hold with weight c.
 */
import type { Example, TrainingOrigin, WeakLossConfig } from '../../shared/training'
import { keptSpans, spansToTags, splitTag, type PlainSpan, type TagScheme } from '../../shared/tags'
import { IMPOSSIBLE } from '../layers/partial'
import type { LabelVocab } from '../tagging/labels'

/** What the prior needs of a tagger's vocabularies (features.ts `Vocabs` has these and more). */
interface TagSpace {
  labels: LabelVocab
  scheme: TagScheme
  cascade: boolean
}

export const DEFAULT_ORIGIN_WEIGHTS: Record<TrainingOrigin, number> = { gold: 1, weak: 0.8, dictionary: 0.6, model: 0.5 }

/**
 * Title weight: `gold` when reviewed; a title the model labelled in full (`pseudo`), `model` × its
 * path's probability; else the mean of originWeight × confidence over its spans (none: `weak`).
 * With `softSpans` the confidence is already in the prior, so the mean is of the origin weights alone.
 */
export function titleWeight(ex: Example, w: WeakLossConfig): number {
  if (ex.pseudo !== undefined) return w.originWeights.model * ex.pseudo
  if (ex.reviewed !== false) return w.originWeights.gold
  if (ex.spans.length === 0) return w.originWeights.weak
  let s = 0
  for (const sp of ex.spans) s += w.originWeights[sp.origin ?? 'gold'] * (w.softSpans ? 1 : (sp.confidence ?? 1))
  return s / ex.spans.length
}

/** A span as the prior reads it: positions, type and, for soft spans, its confidence. */
type EvidenceSpan = PlainSpan & { confidence?: number }

/** Per position, the confidence of the span that tags it (the one spansToTags keeps: keptSpans); 1 elsewhere. */
function confidenceAt(n: number, spans: readonly EvidenceSpan[]): Float32Array {
  const conf = new Float32Array(n).fill(1)
  for (const s of keptSpans(n, spans)) conf.fill(Math.min(1, Math.max(0, s.confidence ?? 1)), s.start, s.end)
  return conf
}

/**
 * Log-prior `[n·T]` of a partially labelled title (null when it is fully observed: reviewed, or
 * `partial` off). `spans` are in positions (after any BERT mapping), clipped to `n`.
 */
export function partialPrior(ex: Example, spans: readonly EvidenceSpan[], n: number, v: TagSpace, w: WeakLossConfig): Float32Array | null {
  if (!w.partial || ex.reviewed !== false) return null
  const T = v.labels.size
  const tags = spansToTags(n, spans, v.scheme, { typed: !v.cascade })
  // covered = given a tag by a span (spansToTags skips a span overlapping an earlier one: its chars stay unknown)
  const covered = Uint8Array.from(tags, (t) => (t === 'O' ? 0 : 1))
  const conf = w.softSpans ? confidenceAt(n, spans) : new Float32Array(n).fill(1)
  const rho = Math.min(1, Math.max(1e-6, w.unknownEntityPrior))
  const prefix = v.labels.labels.map((l) => splitTag(l).prefix)
  const log = (x: number): number => (x > 0 ? Math.log(x) : IMPOSSIBLE)
  const out = new Float32Array(n * T)
  for (let i = 0; i < n; i++) {
    const o = i * T
    const c = covered[i] ? conf[i]! : 0
    const own = covered[i] ? v.labels.id(tags[i]!) : -1
    // the rules next to a span: weight 1 − c of the neighbour span (a hard span: impossible)
    const after = i > 0 && covered[i - 1] === 1 && !covered[i] ? conf[i - 1]! : 0
    const before = v.scheme === 'BIOES' && i + 1 < n && covered[i + 1] === 1 && !covered[i] ? conf[i + 1]! : 0
    for (let j = 0; j < T; j++) {
      const p = prefix[j]
      let u = p === 'O' ? 1 : rho
      if (p === 'I' || p === 'E') u *= 1 - after
      if (p === 'B' || p === 'I') u *= 1 - before
      out[o + j] = log((1 - c) * u + (j === own ? c : 0))
    }
  }
  return out
}
