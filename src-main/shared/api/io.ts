// Files in and out: import (with preview, list and undo) and export (with preview). PURE TypeScript.
import type { PlainSpan, SchemeName } from '../tags'
import type { Origin, Split } from '../types'
import { event, none, req } from './contract'

export type ImportFormat = 'seed' | 'conll' | 'jsonl' | 'text' | 'csv'
export type ExportFormat = 'attributes-csv' | 'conll' | 'jsonl' | 'seed'

export interface ImportRequest {
  path: string
  format?: ImportFormat
  split?: Exclude<Split, 'none'> | 'none'
  origin?: 'gold' | 'weak'
  /** CSV only: the column that holds the title (default: `title`, then `text`). */
  column?: string
  /** Seed/CoNLL: repair stray I-/E- tags (they start a new entity) instead of refusing the file. */
  repairTags?: boolean
}

export interface ImportSummary {
  file: string
  format: ImportFormat
  titles: number
  spans: number
  typesCreated: number
  /** Stray tags repaired (with repairTags). */
  repairedTags: number
  /** Suspect results in plain words (e.g. "0 spans from a labelled format"); empty when none. */
  warnings: string[]
  seconds: number
}

export interface ImportProgress {
  file: string
  bytesRead: number
  bytesTotal: number
  titles: number
  spans: number
}

export interface ExportRequest {
  format: ExportFormat
  /** A file (attributes-csv, conll, jsonl) or a folder (seed). */
  out: string
  split?: Split
  /** Export a run's predictions instead of the gold/weak spans. */
  runId?: number
  /** Which stored spans to export (default: all origins). */
  origins?: Origin[]
  scheme?: SchemeName
  /** attributes-csv: write a UTF-8 byte-order mark so Excel reads the file as UTF-8. */
  bom?: boolean
  /** attributes-csv: separator between several values of one type in a cell (default `|`). */
  separator?: string
  /**
   * attributes-csv: escape cells a spreadsheet would run as a formula (starting with = + - @, TAB or
   * CR) with a leading ' (default true; OWASP's advice against CSV injection).
   */
  formulaEscape?: boolean
  /** Replace `out` when it exists (default false: an existing file is a `conflict`). Never a SQLite file. */
  overwrite?: boolean
}

export interface ExportSummary {
  out: string
  format: ExportFormat
  titles: number
  spans: number
  /** The files written (one, or the study folder's files); the server offers only these for download. */
  files?: string[]
}

export interface ExportPreviewRequest extends Omit<ExportRequest, 'out'> {
  /** Titles to render (default 20, at most 200). */
  limit?: number
}

export interface ExportPreview {
  format: ExportFormat
  /** The first lines of each file the export would write (one file, or the study folder's files). */
  files: { name: string; lines: string[] }[]
  /** attributes-csv: the same rows split into cells (header first); null for other formats. */
  rows: string[][] | null
  /** Titles the full export would write. */
  titles: number
}

// ---- the import list, its undo, the import preview

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

export const ioRequests = {
  'import.run': req<ImportRequest, ImportSummary>(),
  /** The first titles and spans of a file as an import would read them, with warnings; writes nothing. */
  'import.preview': req<ImportPreviewRequest, ImportPreview>(),
  'imports.list': none<ImportRecord[]>(),
  'imports.undo': req<ImportUndoRequest, ImportUndoResult>(),
  'export.run': req<ExportRequest, ExportSummary>(),
  'export.preview': req<ExportPreviewRequest, ExportPreview>(),
}

export const ioEvents = {
  'import.progress': event<ImportProgress>(),
}
