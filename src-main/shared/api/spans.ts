// Spans a person edits: create, change, delete, accept a title's suggestions, label every
// occurrence of a span's text. PURE TypeScript.
import type { Span } from '../types'
import { req } from './contract'

export interface SpanCreate {
  titleId: number
  start: number
  end: number
  type: string
}

export interface SpanUpdate {
  id: number
  start?: number
  end?: number
  type?: string
}

export interface OccurrencesRequest {
  spanId: number
  /** Only count (the preview before applying); writes nothing. */
  dryRun?: boolean
  /** Also write into reviewed titles and the dev/test splits (left alone by default). */
  includeProtected?: boolean
}

export interface OccurrencesResult {
  /** New gold spans. */
  created: number
  /** Weak, dictionary or model spans with the same boundaries made gold of the span's type. */
  confirmed: number
  /** Occurrences left alone because another span overlaps them. */
  skipped: number
  /** Occurrences left alone in reviewed titles or dev/test titles (without includeProtected). */
  protected: number
  titleIds: number[]
  applied: boolean
}

export const spansRequests = {
  'spans.create': req<SpanCreate, Span>(),
  'spans.update': req<SpanUpdate, Span>(),
  'spans.delete': req<{ id: number }, { deleted: number }>(),
  'spans.acceptAll': req<{ titleId: number }, { accepted: number }>(),
  'spans.labelOccurrences': req<OccurrencesRequest, OccurrencesResult>(),
}
