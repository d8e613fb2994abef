// What a request handler gets besides its argument: the open project, the studio's shared parts,
// and the way to say what it changed. One Context per request (it knows the client that sent it).

import type { AppInfo, ArgsOf, Events, EventName, ProjectInfo, Req, RequestName, ResultOf } from '../shared/api'
import type { Project } from './project/project'
import type { RecentProjects } from './project/recent'
import type { TrainingJobs } from './runs/jobs'

export type Changed = Events['project.changed']['what']

export interface Context {
  appInfo(): AppInfo
  /** Open (or create) a project file, closing the one open. */
  open(path: string, create: boolean): ProjectInfo
  /** The open project, or null. */
  current(): Project | null
  /** The open project as windows see it (with this opening's session), or null. */
  info(): ProjectInfo | null
  /** The open project (a `no_project` error when none is). */
  project(): Project
  /** The open project, for a request that writes (a `busy` error while an import runs). */
  writable(): Project
  /** Emit `project.changed` for this request's change and return `result`. */
  changed<T>(what: Changed, result: T, titleIds?: number[]): T
  emit<E extends EventName>(name: E, payload: Events[E]): void
  /** Run a file import (one at a time; other writes are `busy` meanwhile). */
  importing<T>(path: string, fn: () => Promise<T>): Promise<T>
  /** Run one inference at a time (evaluate, pre-annotate, compare), reporting its progress. */
  infer<T>(what: string, fn: (progress: (p: Events['inference.progress']) => void) => Promise<T>): Promise<T>
  /** Remember the files an export wrote: the only ones the server offers for download. */
  exported(files: string[]): void
  readonly recent: RecentProjects
  readonly jobs: TrainingJobs
}

/** One handler per request of a contract slice (`S` is the slice's requests object). */
export type Handlers<S> = {
  [K in keyof S]: K extends RequestName
    ? S[K] extends Req<unknown, unknown>
      ? (args: ArgsOf<K>, cx: Context) => ResultOf<K> | Promise<ResultOf<K>>
      : never
    : never
}
