// The contract's types for the review stream: where a stream's titles come from (one
// stream, pluggable queue sources) and a run's suggestions drawn beside the gold in the editor.
// PURE TypeScript (the renderer imports it).

import type { TitleQuery } from './api/titles'
import type { EvalCell, QueueOrder } from './runs'
import type { Span, Split } from './types'

/** The most titles one stream holds; `total` still says how many the source has. */
export const STREAM_MAX = 5000

/** Where a review stream's titles come from (`review.queue`). */
export type ReviewSource =
  /** The title list's filter, in the list's order (by id). */
  | { kind: 'filter'; query: TitleQuery }
  /** Titles whose stored gold/weak/dictionary spans differ from run X's predictions, most disagreeing first (optionally within a filter). */
  | { kind: 'disagreements'; runId: number; query?: TitleQuery }
  /** The titles of one Evaluate cell (the drill-down's). */
  | { kind: 'cell'; runId: number; split: Split; cell: EvalCell }
  /** Pre-annotate's queue: unreviewed titles in an uncertainty order (default least-confident; the others need runId). */
  | { kind: 'uncertain'; runId?: number; order?: QueueOrder }

export interface ReviewQueue {
  /** Title ids in stream order (at most STREAM_MAX). */
  ids: number[]
  /** How many titles the source holds. */
  total: number
  /** Plain words for the stream's banner, e.g. "disagreements with run 3". */
  label: string
  /** The run whose suggestions the editor draws (null for a filter without a run). */
  runId: number | null
  /** Disagreements only: for each id, how many spans differ (predicted but not stored, or stored but not predicted). */
  differences?: number[]
}

/** One span a run predicted for a title (`review.suggestions`). */
export interface Suggestion {
  start: number
  end: number
  type: string
  /** The model's confidence in the span (0…1); null when the run stored none. */
  confidence: number | null
}

/**
 * A suggestion against the title's stored spans: `gold` — an identical gold span exists (nothing to
 * do); `same` — an identical weak/dictionary/model span exists (accepting makes it gold); `clash` — it
 * overlaps another span (accepting is refused, as any overlapping span is); `new` — accepting creates a gold span.
 */
export type SuggestionState = 'gold' | 'same' | 'clash' | 'new'

export interface MarkedSuggestion extends Suggestion {
  state: SuggestionState
  /** The identical stored span (gold, same). */
  spanId: number | null
}

/** Mark each suggestion against the stored spans (see SuggestionState). */
export function markSuggestions(suggestions: readonly Suggestion[], spans: readonly Span[]): MarkedSuggestion[] {
  return suggestions.map((s) => {
    const same = spans.find((x) => x.start === s.start && x.end === s.end && x.type === s.type)
    if (same) return { ...s, state: same.origin === 'gold' ? 'gold' : 'same', spanId: same.id }
    const clash = spans.some((x) => x.start < s.end && s.start < x.end)
    return { ...s, state: clash ? 'clash' : 'new', spanId: null }
  })
}
