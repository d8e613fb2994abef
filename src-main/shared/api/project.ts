// The project: open, create, the recent list, stats, undo/redo, and the change event. PURE TypeScript.
import type { ProjectStats } from '../types'
import { event, none, req } from './contract'

export interface ProjectInfo {
  path: string
  name: string
  titles: number
  /** This opening of the project (new on every open): what a window shows (shared/session.ts). */
  session: string
}

/** A project the studio opened before (kept by the services in recent.json, newest first). */
export interface RecentProject {
  path: string
  name: string
  openedAt: number
  /** False when the file has gone since. */
  exists: boolean
}

/** What a change touched, as `project.changed` says it: titles (status, split), spans, types, or the whole project (titles added or removed). */
export type ChangeKind = 'titles' | 'spans' | 'types' | 'project'

export interface HistoryResult {
  /** What was undone or redone, e.g. `create span 品牌`; null when there was nothing to do. */
  label: string | null
  titleIds: number[]
  /** The kinds of rows the step touched (empty when there was nothing to do). */
  kinds: ChangeKind[]
  canUndo: boolean
  canRedo: boolean
}

export const projectRequests = {
  'project.current': none<ProjectInfo | null>(),
  'project.open': req<{ path: string }, ProjectInfo>(),
  'project.create': req<{ path: string }, ProjectInfo>(),
  'project.stats': none<ProjectStats>(),
  'project.recent': none<RecentProject[]>(),
  'project.forget': req<{ path: string }, RecentProject[]>(),
  'history.undo': none<HistoryResult>(),
  'history.redo': none<HistoryResult>(),
}

export const projectEvents = {
  /**
   * Something in the project changed. `client` is the id the request that changed it came with
   * (a window's own edits: it already shows them and skips the echo); absent for changes no client
   * asked for (training, another process).
   */
  'project.changed': event<{ what: ChangeKind | 'runs'; titleIds?: number[]; client?: string }>(),
}
