// The contract's types for data management on the desk (issue 12): bulk actions over a filter or a
// selection, the seeded re-split, the import list and its undo, the import preview.
// PURE TypeScript (the renderer imports it).

import type { ImportFormat, ImportRequest, TitleQuery } from './api'
import type { PlainSpan } from './tags'
import type { Origin, ReviewStatus, Split } from './types'

/** Which titles a bulk action works on: the list's filter (paging fields ignored), or chosen ids. */
export type TitleTarget = { query: TitleQuery } | { ids: number[] }

/** One bulk action. `deleteSpans` removes every span of that origin in the target titles. */
export type BulkAction =
  | { mark: ReviewStatus }
  | { moveTo: Split }
  | { deleteTitles: true }
  | { deleteSpans: Origin }

export interface BulkRequest {
  target: TitleTarget
  action: BulkAction
  /** Only count what the action would change (for the confirmation); changes nothing. */
  dryRun?: boolean
}

export interface BulkResult {
  /** Titles in the target. */
  titles: number
  /** Titles changed (marked, moved, deleted) — or, for deleteSpans, titles that lose spans. */
  changed: number
  /** Spans deleted (deleteTitles, deleteSpans); 0 otherwise. */
  spans: number
  /** The history entry's label, e.g. `mark 120 titles reviewed`: one undo step. */
  label: string
  applied: boolean
}

/** A reproducible random re-split: titles of `from` (shuffled with `seed`) go to dev and test. */
export interface ResplitRequest {
  from: Split
  /** Fractions in [0, 1) of the `from` titles; their sum below 1. */
  dev: number
  test: number
  seed: number
  dryRun?: boolean
}

export interface ResplitResult {
  /** Titles in `from` before. */
  titles: number
  /** How many went to dev and test; the rest stays in `from`. */
  dev: number
  test: number
  label: string
  applied: boolean
}

/** One import as listed (`imports.list`, `ner-studio imports`). */
export interface ImportRecord {
  id: number
  file: string
  format: string
  options: Record<string, unknown>
  /** Titles and spans it created. */
  titles: number
  spans: number
  createdAt: number
  /** When it was undone; null while its titles are in the project. */
  undoneAt: number | null
  /** Its titles still in the project (0 once undone, or for an import from before imports were undoable). */
  remaining: number
  /** Of those, reviewed ones (undoing then needs `force`: it deletes a person's work). */
  reviewed: number
  /** False for imports made before the project recorded which titles an import created. */
  undoable: boolean
}

export interface ImportUndoRequest {
  id: number
  /** Also delete titles of the import that were reviewed meanwhile. */
  force?: boolean
}

export interface ImportUndoResult {
  id: number
  titles: number
  spans: number
}

/** The first titles of a file as an import would read them (`import.preview`); nothing is written. */
export interface ImportPreviewRequest extends Omit<ImportRequest, 'split' | 'origin'> {
  /** Titles to show (default 20, at most 200). */
  limit?: number
}

export interface ImportPreviewTitle {
  text: string
  /** Where it starts in the file, `file:line`. */
  source: string
  spans: PlainSpan[]
}

export interface ImportPreview {
  format: ImportFormat
  /** True when the format was detected (not given). */
  detected: boolean
  titles: ImportPreviewTitle[]
  /** Spans in the previewed titles. */
  spans: number
  /** Stray tags repaired in the previewed titles (with repairTags). */
  repairedTags: number
  /** Suspect results, in plain words (e.g. one title per line of a tagged file). */
  warnings: string[]
}
