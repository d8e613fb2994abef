// Titles: listing, counting, walking, status, bulk changes and re-splitting. PURE TypeScript.
import type { Origin, ReviewStatus, Split, TitleWithSpans } from '../types'
import { optional, req } from './contract'

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

// ---- data management on the desk: bulk actions over a filter or a selection, the seeded re-split

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

export const titlesRequests = {
  'titles.list': optional<TitleQuery, TitlePage>(),
  'titles.get': req<{ id: number }, TitleWithSpans>(),
  'titles.setStatus': req<{ ids: number[]; status: ReviewStatus }, { changed: number }>(),
  'titles.counts': optional<CountsQuery, TitleCounts>(),
  'titles.neighbor': req<NeighborQuery, Neighbor>(),
  /** Mark, move, delete titles or delete spans of an origin over a filter or ids: one undo step (dryRun: count only). */
  'titles.bulk': req<BulkRequest, BulkResult>(),
  /** A seeded random re-split of one split's titles into dev and test: one undo step. */
  'titles.resplit': req<ResplitRequest, ResplitResult>(),
}
