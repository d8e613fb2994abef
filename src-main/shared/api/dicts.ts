// Dictionaries and weak labelling: import, create, delete, apply, promote gold spans into terms.
// PURE TypeScript.
import type { Split } from '../types'
import { optional, req } from './contract'

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
  /**
   * Why these scores are in-sample (optimistic), or null: measured on the very titles its terms came
   * from (a dictionary made in the studio holds only terms promoted from reviewed gold), or on
   * titles where a person confirmed this dictionary's own spans (they started from its answer).
   */
  inSample: string | null
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

export const dictsRequests = {
  'dicts.list': optional<DictListQuery, DictionaryInfo[]>(),
  'dicts.import': req<DictImportRequest, DictImportSummary>(),
  'dicts.create': req<{ name: string; type?: string | null }, DictionaryInfo>(),
  'dicts.delete': req<{ id: number; removeSpans?: boolean }, { removedSpans: number }>(),
  'dicts.apply': req<WeakLabelRequest, WeakLabelSummary>(),
  'dicts.promote': req<PromoteRequest, PromoteSummary>(),
}
