// The Studio binds the contract to the services: one handler per request name, one event bus.
// Electron's IPC, the HTTP/WebSocket server and tests all dispatch through `handle`, so every
// transport serves exactly the same behaviour.

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { AppInfo, ArgsOf, Events, EventName, RequestName, ResultOf } from '../shared/api'
import { isRequestName, needsArgument } from '../shared/api'
import { StudioError } from '../shared/errors'
import { exportFrom, previewExport } from './io/export'
import { resolve } from 'node:path'
import {
  applyDictionaries,
  createDictionary,
  deleteDictionary,
  importGazetteer,
  listDictionaries,
  promoteSpans,
} from './dicts/dicts'
import { importInto } from './io/import'
import { Project } from './project/project'
import { userDataDir } from './paths'
import { busyError } from '../store/db'
import { ProjectWatch } from './runs/watch'
import { RecentProjects } from './project/recent'
import { TrainingJobs } from './runs/jobs'
import { compareRuns, evalRun, evalTitles, getRun, preannotate, preannotateQueue, presetsList } from './runs/evaluation'
import type { Spawner } from '../trainer/host'
import { bulkTitles, resplit } from './titles/bulk'
import { labelOccurrences } from './spans/occurrences'
import { listImports, previewImport, undoImport } from './io/imports'
import { reviewQueue, suggestions } from './review/queue'

type Handlers = { [K in RequestName]: (args: ArgsOf<K>) => ResultOf<K> | Promise<ResultOf<K>> }
type Listener = <E extends EventName>(name: E, payload: Events[E]) => void

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

export class Studio {
  private project: Project | null = null
  private watch: ProjectWatch | null = null
  private importing: string | null = null
  private listeners = new Set<Listener>()
  /** The files the latest export wrote: the only files the server offers for download. */
  private exported = new Set<string>()
  private readonly handlers: Handlers
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
    this.handlers = {
      'app.info': () => ({
        version: this.opts.version,
        shell: this.opts.shell,
        platform: process.platform,
        note: this.opts.note ?? null,
      }),
      'project.current': () => (this.project ? this.project.info() : null),
      'project.open': ({ path }) => this.open(path, false),
      'project.create': ({ path }) => {
        if (existsSync(path)) throw new StudioError('conflict', `${path} already exists`)
        return this.open(path, true)
      },
      'project.stats': () => this.p().stats(),
      'types.list': () => this.p().listTypes(),
      'types.create': (a) => this.changed('types', this.writable().createType(a)),
      'types.update': (a) => this.changed('types', this.writable().updateType(a)),
      'types.merge': ({ from, into }) => this.changed('types', this.writable().mergeTypes(from, into)),
      'types.delete': ({ id }) => this.changed('types', this.writable().deleteType(id)),
      'titles.list': (q) => this.p().listTitles(q ?? {}),
      'titles.get': ({ id }) => this.p().getTitle(id),
      'titles.setStatus': ({ ids, status }) => this.changed('titles', this.writable().setStatus(ids, status), ids),
      'spans.create': (a) => {
        const s = this.writable().createSpan(a)
        return this.changed('spans', s, [s.titleId])
      },
      'spans.update': (a) => {
        const s = this.writable().updateSpan(a)
        return this.changed('spans', s, [s.titleId])
      },
      'spans.delete': ({ id }) => {
        const p = this.writable()
        const titleId = p.titleOfSpan(id)
        return this.changed('spans', p.deleteSpan(id), [titleId])
      },
      'history.undo': () => {
        const r = this.writable().undo()
        return this.changed('spans', r, r.titleIds)
      },
      'history.redo': () => {
        const r = this.writable().redo()
        return this.changed('spans', r, r.titleIds)
      },
      'import.run': async (req) => {
        const p = this.writable()
        this.importing = req.path
        try {
          const r = await importInto(p.path, req, { onProgress: (e) => this.emit('import.progress', e) })
          this.emit('project.changed', { what: 'project' })
          return r
        } finally {
          this.importing = null
        }
      },
      'export.run': async (req) => {
        const r = await exportFrom(this.p().path, req)
        this.exported = new Set((r.files ?? [r.out]).map((f) => resolve(f)))
        return r
      },
      'runs.list': () => this.p().listRuns(),
      // ---- annotation desk ----
      'project.recent': () => this.recent.list(),
      'project.forget': ({ path }) => this.recent.forget(path),
      'titles.counts': (q) => this.p().countTitles(q ?? {}),
      'titles.neighbor': (a) => this.p().neighbor(a),
      'spans.acceptAll': ({ titleId }) => this.changed('spans', this.writable().acceptAll(titleId), [titleId]),
      'spans.labelOccurrences': (req) => {
        const r = labelOccurrences(req.dryRun ? this.p() : this.writable(), req)
        return r.applied ? this.changed('spans', r, r.titleIds) : r
      },
      // ---- weak labelling and export ----
      'dicts.list': (q) => listDictionaries(this.p().db, undefined, q?.minLength ?? 1),
      'dicts.import': async (req) => {
        const p = this.writable()
        this.importing = req.path
        try {
          return await importGazetteer(p, req)
        } finally {
          this.importing = null
        }
      },
      'dicts.create': ({ name, type }) => createDictionary(this.writable().db, name, type),
      'dicts.delete': ({ id, removeSpans }) => {
        const r = deleteDictionary(this.writable().db, id, removeSpans ?? false)
        return r.removedSpans ? this.changed('spans', r) : r
      },
      'dicts.apply': (req) => {
        const r = applyDictionaries(this.writable(), req)
        if (r.spansAdded || r.removed) {
          this.emit('project.changed', { what: 'types' })
          this.emit('project.changed', { what: 'spans' })
        }
        return r
      },
      'dicts.promote': (req) => promoteSpans(this.writable().db, req),
      'export.preview': (req) => previewExport(this.p().path, req),
      // ---- model in the loop ----
      'presets.list': () => presetsList(),
      'train.start': (req) => this.jobs.start(this.writable().db, req),
      'train.cancel': ({ runId }) => this.jobs.cancel(runId),
      'train.jobs': () => this.jobs.list(),
      'runs.get': ({ runId }) => getRun(this.p(), runId),
      'runs.compare': ({ a, b, split }) =>
        this.infer('comparing runs', async () => this.changed('runs', await compareRuns(this.p(), a, b, split ?? 'test', this.progress))),
      'eval.run': ({ runId, split }) =>
        this.infer('an evaluation', async () => this.changed('runs', await evalRun(this.p().db, runId, split ?? 'test', this.progress))),
      'eval.titles': ({ runId, split, cell, limit }) => evalTitles(this.p().db, runId, split, cell, limit),
      'preannotate.run': (req) =>
        this.infer('a pre-annotation', async () => {
          const p = this.writable()
          const r = await preannotate(p, req, this.progress)
          this.emit('project.changed', { what: 'spans' })
          return r
        }),
      'preannotate.accept': (sel) => {
        const r = this.writable().acceptModelSpans(sel)
        return this.changed('spans', r, r.titleIds)
      },
      'preannotate.reject': (sel) => {
        const r = this.writable().rejectModelSpans(sel)
        return this.changed('spans', r, r.titleIds)
      },
      'preannotate.queue': (q) => preannotateQueue(this.p().db, q ?? {}),
      'preannotate.count': (sel) => this.p().countModelSpans(sel),
      // ---- the analyst's desk, data management (issue 12) ----
      'titles.bulk': (req) => {
        const r = bulkTitles(req.dryRun ? this.p() : this.writable(), req)
        return r.applied ? this.changed('deleteTitles' in req.action ? 'project' : 'titles', r) : r
      },
      'titles.resplit': (req) => {
        const r = resplit(req.dryRun ? this.p() : this.writable(), req)
        return r.applied ? this.changed('titles', r) : r
      },
      'imports.list': () => listImports(this.p()),
      'imports.undo': (req) => this.changed('project', undoImport(this.writable(), req)),
      'import.preview': (req) => previewImport(req),
      // ---- the review stream (issue 12) ----
      'review.queue': (source) => reviewQueue(this.p().db, source),
      'review.suggestions': ({ runId, titleId }) => suggestions(this.p().db, runId, titleId),
    }
  }

  private readonly progress = (p: Events['inference.progress']): void => this.emit('inference.progress', p)

  /** Run one inference at a time (evaluate, pre-annotate, compare). */
  private async infer<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.inferring) throw new StudioError('busy', `${this.inferring} is running; try again when it ends`)
    this.inferring = what
    try {
      return await fn()
    } finally {
      this.inferring = null
    }
  }

  /** Whether `path` is a file the latest export wrote (the server's download route checks this). */
  wasExported(path: string): boolean {
    return this.exported.has(resolve(path))
  }

  /** Dispatch one request. Unknown names and bad arguments become StudioErrors. */
  async handle<K extends RequestName>(name: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    if (!isRequestName(name)) throw new StudioError('bad_request', `unknown request "${String(name)}"`)
    const h = this.handlers[name] as (a: ArgsOf<K>) => ResultOf<K> | Promise<ResultOf<K>>
    if (needsArgument(name) && (typeof args !== 'object' || args === null)) {
      throw new StudioError('bad_request', `${name} needs an argument object`)
    }
    try {
      return await h(args)
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

  open(path: string, create: boolean): ReturnType<Project['info']> {
    if (this.importing) throw new StudioError('busy', `an import of ${this.importing} is running`)
    if (this.jobs.active) throw new StudioError('busy', `run ${this.jobs.active.runId} is training in this project; cancel it first`)
    if (this.inferring) throw new StudioError('busy', `${this.inferring} is running; try again when it ends`)
    const next = Project.open(path, { create })
    this.close()
    this.project = next
    const every = this.opts.watchMs ?? 1000
    if (every > 0) this.watch = new ProjectWatch(next.db, () => this.emit('project.changed', { what: 'runs' })).start(every)
    this.recent.add(path)
    this.emit('project.changed', { what: 'project' })
    return next.info()
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

  private p(): Project {
    if (!this.project) throw new StudioError('no_project', 'no project is open')
    return this.project
  }

  private writable(): Project {
    if (this.importing) throw new StudioError('busy', `the project is busy (an import of ${this.importing} is running); try again when it ends`)
    return this.p()
  }

  private changed<T>(what: Events['project.changed']['what'], result: T, titleIds?: number[]): T {
    this.emit('project.changed', titleIds ? { what, titleIds } : { what })
    return result
  }
}
