// Domain types shared by every process and the renderer. PURE TypeScript: no node, electron or tfjs.
// All text offsets are Unicode code points (never UTF-16 units): `end` is exclusive.

export const SPLITS = ['train', 'dev', 'test', 'none'] as const
export type Split = (typeof SPLITS)[number]

export const REVIEW_STATUSES = ['unreviewed', 'reviewed'] as const
export type ReviewStatus = (typeof REVIEW_STATUSES)[number]

/** Where a span came from: a person (gold), an imported weak label, a gazetteer, or a trained run. */
export const ORIGINS = ['gold', 'weak', 'dictionary', 'model'] as const
export type Origin = (typeof ORIGINS)[number]

export const RUN_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

export interface EntityType {
  id: number
  name: string
  /** CSS colour, `#rrggbb`. */
  color: string
  /** One key (e.g. `1`, `b`) or null. Unique within a project. */
  hotkey: string | null
  description: string
  /** Number of spans of this type (all origins). */
  spanCount: number
}

/** A span as stored: `type` is the entity type's name. */
export interface Span {
  id: number
  titleId: number
  start: number
  end: number
  type: string
  origin: Origin
  runId: number | null
  confidence: number | null
}

/** A span before it is stored (import, create). */
export interface SpanInput {
  start: number
  end: number
  type: string
  origin?: Origin
  runId?: number | null
  confidence?: number | null
}

export interface Title {
  id: number
  text: string
  /** Length in code points. */
  length: number
  split: Split
  status: ReviewStatus
  source: string
  /** Word segmentation as code-point lengths of consecutive words, when known (the study's input.seq.word). */
  words: number[] | null
  createdAt: number
  updatedAt: number
}

export interface TitleWithSpans extends Title {
  spans: Span[]
}

export interface RunRecord {
  id: number
  preset: string
  config: Record<string, unknown>
  status: RunStatus
  metrics: Record<string, unknown> | null
  backend: string | null
  backendReason: string | null
  error: string | null
  timings: Record<string, number> | null
  hasCheckpoint: boolean
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
}

export interface ProjectStats {
  path: string
  titles: number
  bySplit: Record<Split, number>
  byStatus: Record<ReviewStatus, number>
  bySplitStatus: { split: Split; status: ReviewStatus; count: number }[]
  spans: number
  byOrigin: Record<Origin, number>
  types: { name: string; total: number; byOrigin: Record<Origin, number> }[]
  runs: number
}
