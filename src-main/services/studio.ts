// The Studio dispatches the contract to the domains' handlers (services/<domain>/handlers.ts) and
// emits their events. Electron's IPC, the HTTP/WebSocket server and tests all dispatch through
// `handle`, so every transport serves exactly the same behaviour. It also holds what outlives a
// request: the open project, the training jobs, the import or inference in progress.

import { randomUUID } from 'node:crypto'
import { join, resolve } from 'node:path'
import type { AppInfo, ArgsOf, Events, EventName, ProjectInfo, RequestName, ResultOf } from '../shared/api'
import { isRequestName, needsArgument } from '../shared/api'
import { StudioError } from '../shared/errors'
import { staleReason } from '../shared/session'
import { busyError } from '../store/db'
import type { Spawner } from '../trainer/host'
import type { Context, Handlers } from './context'
import { appHandlers } from './app/handlers'
import { dictsHandlers } from './dicts/handlers'
import { ioHandlers } from './io/handlers'
import { userDataDir } from './paths'
import { projectHandlers } from './project/handlers'
import { Project } from './project/project'
import { RecentProjects } from './project/recent'
import { runsHandlers } from './runs/handlers'
import { reviewHandlers } from './review/handlers'
import { TrainingJobs } from './runs/jobs'
import { ProjectWatch } from './runs/watch'
import { spansHandlers } from './spans/handlers'
import { titlesHandlers } from './titles/handlers'
import { typesHandlers } from './types/handlers'

/** What a client id may look like (anything else is ignored: the events then name no client). */
const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/

type Listener = <E extends EventName>(name: E, payload: Events[E]) => void
type Handler = (args: unknown, cx: Context) => unknown

/** Every request's handler, by name (the type fails when a request has none). */
const handlers: Handlers<typeof import('../shared/api').requests> = {
  ...appHandlers,
  ...projectHandlers,
  ...typesHandlers,
  ...titlesHandlers,
  ...spansHandlers,
  ...ioHandlers,
  ...dictsHandlers,
  ...runsHandlers,
  ...reviewHandlers,
}

export interface StudioOptions {
  shell: AppInfo['shell']
  version: string
  note?: string | null
  /** Folder for the studio's own files (recent.json); default userDataDir(). */
  dataDir?: string
  /** How training jobs fork the trainer (Electron: utilityProcess.fork); default child_process.fork. */
  spawner?: Spawner
  /** How often to look for run changes made by other processes, in ms (default 1000; 0: never). */
  watchMs?: number
}

/** Where a request came from: the session of the project its window shows (shared/session.ts). */
export interface RequestContext {
  shown?: string
  /** The sender's id (`x-studio-client`); one that is not an id is ignored. */
  client?: string
}

export class Studio {
  private project: Project | null = null
  /** This opening of the project: a window's requests must name it (shared/session.ts). */
  private session = ''
  private watch: ProjectWatch | null = null
  private importingPath: string | null = null
  private listeners = new Set<Listener>()
  /** The files the latest export wrote: the only files the server offers for download. */
  private exported = new Set<string>()
  private readonly handlers = handlers
  readonly recent: RecentProjects
  /** Training jobs (one at a time); they outlive windows, not the process. */
  readonly jobs: TrainingJobs
  /** Evaluation / pre-annotation in progress (one at a time). */
  private inferring: string | null = null

  constructor(private readonly opts: StudioOptions) {
    this.recent = new RecentProjects(() => join(this.opts.dataDir ?? userDataDir(), 'recent.json'))
    this.jobs = new TrainingJobs(
      (p) => this.emit('train.progress', p),
      () => this.emit('project.changed', { what: 'runs' }),
      () => (this.opts.spawner ? { spawner: this.opts.spawner } : {}),
    )
  }

  /** Whether `path` is a file the latest export wrote (the server's download route checks this). */
  wasExported(path: string): boolean {
    return this.exported.has(resolve(path))
  }

  /**
   * Dispatch one request. Unknown names and bad arguments become StudioErrors. `from` says where it
   * came from: the session its window shows, and the client (window or connection) that sent it —
   * the change events it causes carry that client.
   */
  async handle<K extends RequestName>(name: K, args: ArgsOf<K>, from: RequestContext = {}): Promise<ResultOf<K>> {
    if (!isRequestName(name)) throw new StudioError('bad_request', `unknown request "${String(name)}"`)
    if (needsArgument(name) && (typeof args !== 'object' || args === null)) {
      throw new StudioError('bad_request', `${name} needs an argument object`)
    }
    const stale = staleReason(name, from.shown, this.info())
    if (stale) throw new StudioError('stale_project', stale)
    try {
      const client = typeof from.client === 'string' && CLIENT_ID.test(from.client) ? from.client : undefined
      return (await (this.handlers[name] as Handler)(args, this.context(client))) as ResultOf<K>
    } catch (e) {
      throw busyError(e) ?? e
    }
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit<E extends EventName>(name: E, payload: Events[E]): void {
    for (const l of this.listeners) l(name, payload)
  }

  /** The open project as windows see it (with this opening's session), or null. */
  info(): ProjectInfo | null {
    return this.project ? { ...this.project.info(), session: this.session } : null
  }

  /** Open (or create) a project; a relative path is taken from this process's working directory. */
  open(path: string, create: boolean): ProjectInfo {
    if (this.importingPath) throw new StudioError('busy', `an import of ${this.importingPath} is running`)
    if (this.jobs.active) throw new StudioError('busy', `run ${this.jobs.active.runId} is training in this project; cancel it first`)
    if (this.inferring) throw new StudioError('busy', `${this.inferring} is running; try again when it ends`)
    const next = Project.open(resolve(path), { create })
    this.close()
    this.project = next
    this.session = randomUUID()
    const every = this.opts.watchMs ?? 1000
    if (every > 0) this.watch = new ProjectWatch(next.db, () => this.emit('project.changed', { what: 'runs' })).start(every)
    this.recent.add(next.path)
    this.emit('project.changed', { what: 'project' })
    return this.info()!
  }

  current(): Project | null {
    return this.project
  }

  /** Cancel a running training job and wait for it to end, then close the project. */
  async shutdown(): Promise<void> {
    await this.jobs.stop()
    this.close()
  }

  close(): void {
    // A job still running stops at its next batch; what it reports after this is not recorded.
    if (this.jobs.active) void this.jobs.stop()
    this.watch?.stop()
    this.watch = null
    this.project?.close()
    this.project = null
  }

  /** What one request's handler sees. */
  private context(client: string | undefined): Context {
    const project = (): Project => {
      if (!this.project) throw new StudioError('no_project', 'no project is open')
      return this.project
    }
    return {
      appInfo: () => ({ version: this.opts.version, shell: this.opts.shell, platform: process.platform, note: this.opts.note ?? null }),
      open: (path, create) => this.open(path, create),
      current: () => this.project,
      info: () => this.info(),
      project,
      writable: () => {
        if (this.importingPath) {
          throw new StudioError('busy', `the project is busy (an import of ${this.importingPath} is running); try again when it ends`)
        }
        return project()
      },
      changed: (what, result, titleIds) => {
        this.emit('project.changed', { what, ...(titleIds ? { titleIds } : {}), ...(client ? { client } : {}) })
        return result
      },
      emit: (name, payload) => this.emit(name, payload),
      importing: async (path, fn) => {
        this.importingPath = path
        try {
          return await fn()
        } finally {
          this.importingPath = null
        }
      },
      infer: async (what, fn) => {
        if (this.inferring) throw new StudioError('busy', `${this.inferring} is running; try again when it ends`)
        this.inferring = what
        try {
          return await fn((p) => this.emit('inference.progress', p))
        } finally {
          this.inferring = null
        }
      },
      exported: (files) => {
        this.exported = new Set(files.map((f) => resolve(f)))
      },
      recent: this.recent,
      jobs: this.jobs,
    }
  }
}
