// THE contract between the renderer (or any client: HTTP, CLI) and the services. Every request is
// a name → { args, result } pair; every event a name → payload. The preload, the IPC handlers, the
// HTTP/WebSocket server and the renderer client are all typed against these two maps, and the
// runtime name lists below are checked against them at compile time. Nothing else crosses.
// PURE TypeScript (the renderer imports it).

import type {
  EntityType,
  Origin,
  ProjectStats,
  ReviewStatus,
  RunRecord,
  Span,
  Split,
  TitleWithSpans,
  Title,
} from './types'
import type {
  EvalCell,
  EvalSummary,
  EvalTitlesResult,
  InferenceProgress,
  ModelSpanEditResult,
  ModelSpanSelector,
  PreannotateRequest,
  PreannotateResult,
  PresetEntry,
  QueueQuery,
  QueueResult,
  RunDetail,
  RunsCompare,
  TrainJob,
  TrainProgress,
  TrainStartRequest,
} from './runs'
import type {
  BulkRequest,
  BulkResult,
  ImportPreview,
  ImportPreviewRequest,
  ImportRecord,
  ImportUndoRequest,
  ImportUndoResult,
  ResplitRequest,
  ResplitResult,
} from './desk'
import type { ReviewQueue, ReviewSource, Suggestion } from './review'

export type ImportFormat = 'seed' | 'conll' | 'jsonl' | 'text' | 'csv'
export type ExportFormat = 'attributes-csv' | 'conll' | 'jsonl' | 'seed'
export type TagScheme = 'bio' | 'bioes'

export interface AppInfo {
  version: string
  /** 'electron' when the desktop shell runs, 'server' for the headless server in a browser. */
  shell: 'electron' | 'server'
  platform: string
  /** Why the desktop shell is not in use, when it is not. */
  note: string | null
}

export interface ProjectInfo {
  path: string
  name: string
  titles: number
}

export interface TitleQuery {
  offset?: number
  limit?: number
  split?: Split
  status?: ReviewStatus
  /** Only titles with at least one span of this type. */
  type?: string
  /** Only titles with at least one span of this origin. */
  origin?: Origin
  /** Substring of the title text, in any case and full- or half-width (shared/text.ts fold). */
  search?: string
  /** Only titles whose spans (gold, weak, dictionary) differ from run X's stored predictions. */
  disagreesWith?: number
  /** Do not count the matching titles (`total` comes back as -1): for paging in a list whose total is known. */
  skipTotal?: boolean
}

export interface TitleListItem {
  id: number
  text: string
  split: Split
  status: ReviewStatus
  spanCount: number
}

export interface TitlePage {
  total: number
  offset: number
  items: TitleListItem[]
}

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
  scheme?: TagScheme
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

export interface HistoryResult {
  /** What was undone or redone, e.g. `create span 品牌`; null when there was nothing to do. */
  label: string | null
  titleIds: number[]
  canUndo: boolean
  canRedo: boolean
}

export interface TypeCreate {
  name: string
  color?: string
  hotkey?: string | null
  description?: string
}

export interface TypeUpdate {
  id: number
  name?: string
  color?: string
  hotkey?: string | null
  description?: string
}

// ---- annotation desk ----

/** A project the studio opened before (kept by the services in recent.json, newest first). */
export interface RecentProject {
  path: string
  name: string
  openedAt: number
  /** False when the file has gone since. */
  exists: boolean
}

/** Counts per filter value for a query: each facet is counted with every OTHER filter applied. */
export interface TitleCounts {
  total: number
  bySplit: Record<Split, number>
  byStatus: Record<ReviewStatus, number>
  /** Only when asked for (`origins: true`): it costs a pass over the spans (~0.2 s per 800k spans). */
  byOrigin: Record<Origin, number> | null
}

export interface CountsQuery extends TitleQuery {
  /** Also count titles per span origin. */
  origins?: boolean
}

/** The title after/before `id` in the order of `query` (by id), optionally unreviewed only. */
export interface NeighborQuery {
  id: number
  direction: 'next' | 'prev'
  query?: TitleQuery
  unreviewed?: boolean
}

export interface Neighbor {
  /** null when there is none in that direction. */
  id: number | null
  /** Its position in the filtered list (for scrolling the list to it); -1 when none. */
  index: number
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

/** Desktop menu commands the renderer carries out. */
export type MenuAction =
  | 'import'
  | 'undo'
  | 'redo'
  | 'view-project'
  | 'view-annotate'
  | 'view-types'
  | 'view-weak'
  | 'view-export'
  // ---- model in the loop ----
  | 'view-train'
  | 'view-runs'
  | 'view-evaluate'
  | 'view-preannotate'

// ---- weak labelling and export ----

/** The desktop shell's file dialogs: open a project, pick a file to import, a new project, an export target. */
export type DialogKind = 'project' | 'import' | 'save' | 'export'

/** How well a dictionary's longest matches agree with the gold spans of reviewed titles. */
export interface DictionaryQuality {
  /** Reviewed titles it was measured on. */
  reviewedTitles: number
  /** Its longest matches in those titles (this dictionary alone). */
  matches: number
  /** Matches with a gold span of the same start, end and type. */
  correct: number
  /** correct / matches; null without matches. */
  precision: number | null
  /** Gold spans of the dictionary's types in those titles. */
  support: number
  /** correct / support; null without support. */
  recall: number | null
}

export interface DictionaryInfo {
  id: number
  name: string
  /** The type of every term, or null when the terms carry their own (term<TAB>type). */
  type: string | null
  /** The file it was imported from ('' when made in the studio). */
  source: string
  createdAt: number
  terms: number
  /** Distinct types of its terms. */
  types: string[]
  /** Dictionary-origin spans it made that are still unconfirmed. */
  spans: number
  quality: DictionaryQuality
}

export interface DictListQuery {
  /** Measure precision and recall as `dicts.apply` with this minLength would label (default 1). */
  minLength?: number
}

export interface DictImportRequest {
  /** One term per line (with `type`), or `term<TAB>type` per line; UTF-8; blank lines are skipped. */
  path: string
  /** The type of every line without its own `<TAB>type`. */
  type?: string
  /** Default: the file name without its extension. */
  name?: string
  /** A dictionary of that name exists: replace its terms (else that is a conflict). */
  update?: boolean
}

export interface DictImportSummary {
  dictionary: DictionaryInfo
  terms: number
  /** Lines repeating a term already read. */
  duplicates: number
  seconds: number
}

export interface WeakLabelRequest {
  dictionaryIds: number[]
  /** Only titles of this split (default: every split). */
  split?: Split
  /** 'unreviewed' (default): leave titles a person has reviewed alone; 'all': every title in the split. */
  scope?: 'unreviewed' | 'all'
  /** First remove the unconfirmed spans these dictionaries made before (in scope). */
  replace?: boolean
  /** Leave out terms shorter than this many characters (default 1: every term). */
  minLength?: number
}

export interface WeakLabelSummary {
  titlesScanned: number
  /** Titles that got at least one new span. */
  titlesTouched: number
  spansAdded: number
  /** Matches left out because they overlap an existing span (gold, weak, dictionary or model). */
  skippedOverlap: number
  /** Matches identical to a span already there (same start, end, type). */
  alreadyPresent: number
  /** Previous dictionary spans removed first (replace). */
  removed: number
  seconds: number
}

export interface PromoteRequest {
  dictionaryId: number
  /** Gold spans of this type in reviewed titles are added as terms. */
  type: string
  split?: Split
}

export interface PromoteSummary {
  /** Distinct texts of those gold spans. */
  candidates: number
  added: number
  /** Candidates the dictionary already had. */
  present: number
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

type R<A, T> = { args: A; result: T }

/** Every request the services answer. */
export interface Requests {
  'app.info': R<void, AppInfo>
  'project.current': R<void, ProjectInfo | null>
  'project.open': R<{ path: string }, ProjectInfo>
  'project.create': R<{ path: string }, ProjectInfo>
  'project.stats': R<void, ProjectStats>
  'types.list': R<void, EntityType[]>
  'types.create': R<TypeCreate, EntityType>
  'types.update': R<TypeUpdate, EntityType>
  'types.merge': R<{ from: number; into: number }, { moved: number }>
  'types.delete': R<{ id: number }, { deletedSpans: number }>
  'titles.list': R<TitleQuery, TitlePage>
  'titles.get': R<{ id: number }, TitleWithSpans>
  'titles.setStatus': R<{ ids: number[]; status: ReviewStatus }, { changed: number }>
  'spans.create': R<SpanCreate, Span>
  'spans.update': R<SpanUpdate, Span>
  'spans.delete': R<{ id: number }, { deleted: number }>
  'history.undo': R<void, HistoryResult>
  'history.redo': R<void, HistoryResult>
  'import.run': R<ImportRequest, ImportSummary>
  'export.run': R<ExportRequest, ExportSummary>
  'runs.list': R<void, RunRecord[]>
  // ---- annotation desk ----
  'project.recent': R<void, RecentProject[]>
  'project.forget': R<{ path: string }, RecentProject[]>
  'titles.counts': R<CountsQuery, TitleCounts>
  'titles.neighbor': R<NeighborQuery, Neighbor>
  'spans.acceptAll': R<{ titleId: number }, { accepted: number }>
  'spans.labelOccurrences': R<OccurrencesRequest, OccurrencesResult>
  // ---- weak labelling and export ----
  'dicts.list': R<DictListQuery, DictionaryInfo[]>
  'dicts.import': R<DictImportRequest, DictImportSummary>
  'dicts.create': R<{ name: string; type?: string | null }, DictionaryInfo>
  'dicts.delete': R<{ id: number; removeSpans?: boolean }, { removedSpans: number }>
  'dicts.apply': R<WeakLabelRequest, WeakLabelSummary>
  'dicts.promote': R<PromoteRequest, PromoteSummary>
  'export.preview': R<ExportPreviewRequest, ExportPreview>
  // ---- model in the loop: shared/runs.ts, services/runs/ ----
  'presets.list': R<void, PresetEntry[]>
  'train.start': R<TrainStartRequest, TrainJob>
  'train.cancel': R<{ runId: number }, { cancelling: boolean }>
  'train.jobs': R<void, TrainJob[]>
  'runs.get': R<{ runId: number }, RunDetail>
  'runs.compare': R<{ a: number; b: number; split?: Split }, RunsCompare>
  'eval.run': R<{ runId: number; split?: Split }, EvalSummary>
  'eval.titles': R<{ runId: number; split: Split; cell: EvalCell; limit?: number }, EvalTitlesResult>
  'preannotate.run': R<PreannotateRequest, PreannotateResult>
  'preannotate.accept': R<ModelSpanSelector, ModelSpanEditResult>
  'preannotate.reject': R<ModelSpanSelector, ModelSpanEditResult>
  'preannotate.queue': R<QueueQuery, QueueResult>
  /** How many model spans (in how many titles) a selector would accept or reject. */
  'preannotate.count': R<ModelSpanSelector, { spans: number; titles: number }>
  // ---- the analyst's desk, data management (issue 12): shared/desk.ts, services/titles, services/io ----
  /** Mark, move, delete titles or delete spans of an origin over a filter or ids: one undo step (dryRun: count only). */
  'titles.bulk': R<BulkRequest, BulkResult>
  /** A seeded random re-split of one split's titles into dev and test: one undo step. */
  'titles.resplit': R<ResplitRequest, ResplitResult>
  'imports.list': R<void, ImportRecord[]>
  'imports.undo': R<ImportUndoRequest, ImportUndoResult>
  /** The first titles and spans of a file as an import would read them, with warnings; writes nothing. */
  'import.preview': R<ImportPreviewRequest, ImportPreview>
  // ---- the review stream (issue 12): shared/review.ts, services/review ----
  /** The titles of a queue source in stream order (filter, disagreements with a run, an Evaluate cell, least confident). */
  'review.queue': R<ReviewSource, ReviewQueue>
  /** What a run predicted for one title, with confidences: the editor draws them beside the gold. */
  'review.suggestions': R<{ runId: number; titleId: number }, Suggestion[]>
}

export type RequestName = keyof Requests
export type ArgsOf<K extends RequestName> = Requests[K]['args']
export type ResultOf<K extends RequestName> = Requests[K]['result']

/** Every event the services push to clients. */
export interface Events {
  'import.progress': ImportProgress
  /** Something in the project changed (by this client or another one). */
  'project.changed': { what: 'titles' | 'spans' | 'types' | 'runs' | 'project'; titleIds?: number[] }
  /** A desktop menu item the renderer carries out (Electron only). */
  'app.menu': { action: MenuAction }
  // ---- model in the loop ----
  /** Every event of a training job, with the job as it now stands. */
  'train.progress': TrainProgress
  /** Evaluation / pre-annotation progress (titles done of total). */
  'inference.progress': InferenceProgress
}
export type EventName = keyof Events

type Exactly<T extends string, U extends readonly string[]> = [T] extends [U[number]]
  ? [U[number]] extends [T]
    ? U
    : never
  : never

const requestNames = [
  'app.info',
  'project.current',
  'project.open',
  'project.create',
  'project.stats',
  'types.list',
  'types.create',
  'types.update',
  'types.merge',
  'types.delete',
  'titles.list',
  'titles.get',
  'titles.setStatus',
  'spans.create',
  'spans.update',
  'spans.delete',
  'history.undo',
  'history.redo',
  'import.run',
  'export.run',
  'runs.list',
  // ---- annotation desk ----
  'project.recent',
  'project.forget',
  'titles.counts',
  'titles.neighbor',
  'spans.acceptAll',
  'spans.labelOccurrences',
  // ---- weak labelling and export ----
  'dicts.list',
  'dicts.import',
  'dicts.create',
  'dicts.delete',
  'dicts.apply',
  'dicts.promote',
  'export.preview',
  // ---- model in the loop ----
  'presets.list',
  'train.start',
  'train.cancel',
  'train.jobs',
  'runs.get',
  'runs.compare',
  'eval.run',
  'eval.titles',
  'preannotate.run',
  'preannotate.accept',
  'preannotate.reject',
  'preannotate.queue',
  'preannotate.count',
  // ---- the analyst's desk, data management (issue 12) ----
  'titles.bulk',
  'titles.resplit',
  'imports.list',
  'imports.undo',
  'import.preview',
  // ---- the review stream (issue 12) ----
  'review.queue',
  'review.suggestions',
] as const
/** Runtime list of request names; the type check fails if it and `Requests` differ. */
export const REQUEST_NAMES: Exactly<RequestName, typeof requestNames> = requestNames

const eventNames = [
  'import.progress',
  'project.changed',
  'app.menu',
  // ---- model in the loop ----
  'train.progress',
  'inference.progress',
] as const
export const EVENT_NAMES: Exactly<EventName, typeof eventNames> = eventNames

export function isRequestName(x: unknown): x is RequestName {
  return typeof x === 'string' && (REQUEST_NAMES as readonly string[]).includes(x)
}

/** Error codes a client can act on. */
export type ErrorCode =
  | 'bad_request'
  | 'not_found'
  | 'conflict'
  | 'invalid_input'
  | 'no_project'
  | 'busy'
  | 'unauthorized'
  | 'internal'

export interface WireError {
  code: ErrorCode
  message: string
}

/** What the transports carry back for one request. */
export type WireResult<T> = { ok: true; result: T } | { ok: false; error: WireError }

/** The typed client every transport implements (preload IPC, HTTP, in-process). */
export interface StudioClient {
  call<K extends RequestName>(name: K, ...args: ArgsOf<K> extends void ? [] : [ArgsOf<K>]): Promise<ResultOf<K>>
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void
}

export type { Title }

type VoidArgs = { [K in RequestName]: ArgsOf<K> extends void ? K : never }[RequestName]
const noArgRequests = ['app.info', 'project.current', 'project.stats', 'types.list', 'history.undo', 'history.redo', 'runs.list', 'project.recent', 'presets.list', 'train.jobs', 'imports.list'] as const
/** Requests that take no argument (checked against `Requests`). */
export const NO_ARG_REQUESTS: Exactly<VoidArgs, typeof noArgRequests> = noArgRequests

/** Requests whose argument (a query) may be left out: they then list or count everything. */
export const OPTIONAL_ARG_REQUESTS = ['titles.list', 'titles.counts', 'dicts.list', 'preannotate.queue'] as const satisfies readonly RequestName[]

/** Whether a request must be called with an argument object. */
export function needsArgument(name: RequestName): boolean {
  return ![...NO_ARG_REQUESTS, ...OPTIONAL_ARG_REQUESTS].includes(name as never)
}
