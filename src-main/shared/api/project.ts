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

export interface HistoryResult {
  /** What was undone or redone, e.g. `create span 品牌`; null when there was nothing to do. */
  label: string | null
  titleIds: number[]
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
  /** Something in the project changed (by this client or another one). */
  'project.changed': event<{ what: 'titles' | 'spans' | 'types' | 'runs' | 'project'; titleIds?: number[] }>(),
}
