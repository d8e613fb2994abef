// The project service: everything an analyst does to one project file, as plain synchronous
// calls over better-sqlite3. Every edit is one transaction and one undoable history entry.
// Electron IPC, the HTTP server and the CLI all call these same methods. This class is a thin
// facade: the SQL lives in the domain modules (types/, titles/, spans/, project/history, runs/).

import { basename } from 'node:path'
import type {
  CountsQuery,
  HistoryResult,
  Neighbor,
  NeighborQuery,
  ProjectInfo,
  SpanCreate,
  SpanUpdate,
  TitleCounts,
  TitlePage,
  TitleQuery,
  TypeCreate,
  TypeUpdate,
} from '../../shared/api'
import type { ModelSpanSelector } from '../../shared/runs'
import type { EntityType, ProjectStats, ReviewStatus, RunRecord, Span, TitleWithSpans } from '../../shared/types'
import { openDatabase, type DB, type OpenOptions } from '../../store/db'
import { failInterruptedRuns, listRuns } from '../runs/records'
import { fillHotkeys } from '../types/types'
import * as model from '../spans/model'
import * as spans from '../spans/spans'
import * as titles from '../titles/titles'
import * as types from '../types/types'
import * as history from './history'
import { stats } from './stats'
import { sweepStaleTemps } from '../../io/temp'

export class Project {
  private constructor(
    readonly db: DB,
    readonly path: string,
  ) {
    history.openSession(db)
  }

  /**
   * Open a project file: the one open path of the Studio (Electron, server) and the CLI. Opened
   * writable, runs left 'queued'/'running' by a process that is gone are marked failed, and types
   * without a hotkey get one (projects from before every type had one; fillHotkeys).
   */
  static open(path: string, opts: OpenOptions = {}): Project {
    const db = openDatabase(path, opts)
    try {
      if (!opts.readonly) {
        failInterruptedRuns(db)
        sweepStaleTemps(path)
        if (db.prepare('SELECT 1 FROM entity_types WHERE hotkey IS NULL LIMIT 1').get()) fillHotkeys(db)
      }
    } catch (e) {
      db.close()
      throw e
    }
    return new Project(db, path)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  info(): Omit<ProjectInfo, 'session'> {
    const { n } = this.db.prepare('SELECT count(*) AS n FROM titles').get() as { n: number }
    return { path: this.path, name: basename(this.path).replace(/\.sqlite$/, ''), titles: n }
  }

  stats(): ProjectStats {
    return stats(this.db, this.path)
  }

  // entity types (services/types)
  listTypes(): EntityType[] {
    return types.listTypes(this.db)
  }
  createType(args: TypeCreate): EntityType {
    return types.createType(this.db, args)
  }
  updateType(args: TypeUpdate): EntityType {
    return types.updateType(this.db, args)
  }
  /** Move every span of `from` to `into`, then delete `from`. */
  mergeTypes(fromId: number, intoId: number): { moved: number } {
    return types.mergeTypes(this.db, fromId, intoId)
  }
  deleteType(id: number): { deletedSpans: number } {
    return types.deleteType(this.db, id)
  }
  ensureType(name: string): number {
    return types.ensureType(this.db, name)
  }
  typeIds(): (name: string) => number {
    return types.typeIds(this.db)
  }

  // titles (services/titles)
  listTitles(q: TitleQuery = {}): TitlePage {
    return titles.listTitles(this.db, q)
  }
  countTitles(q: CountsQuery = {}): TitleCounts {
    return titles.countTitles(this.db, q)
  }
  neighbor(args: NeighborQuery): Neighbor {
    return titles.neighbor(this.db, args)
  }
  getTitle(id: number): TitleWithSpans {
    return titles.getTitle(this.db, id)
  }
  setStatus(ids: number[], status: ReviewStatus): { changed: number } {
    return titles.setStatus(this.db, ids, status)
  }

  // spans (services/spans)
  spansOf(titleId: number): Span[] {
    return spans.spansOf(this.db, titleId)
  }
  createSpan(args: SpanCreate): Span {
    return spans.createSpan(this.db, args)
  }
  updateSpan(args: SpanUpdate): Span {
    return spans.updateSpan(this.db, args)
  }
  titleOfSpan(id: number): number {
    return spans.titleOfSpan(this.db, id)
  }
  deleteSpan(id: number): { deleted: number } {
    return spans.deleteSpan(this.db, id)
  }
  acceptAll(titleId: number): { accepted: number } {
    return spans.acceptAll(this.db, titleId)
  }
  countModelSpans(sel: ModelSpanSelector): { spans: number; titles: number } {
    return model.countModelSpans(this.db, sel)
  }
  acceptModelSpans(sel: ModelSpanSelector): { changed: number; titleIds: number[] } {
    return model.acceptModelSpans(this.db, sel)
  }
  rejectModelSpans(sel: ModelSpanSelector): { changed: number; titleIds: number[] } {
    return model.rejectModelSpans(this.db, sel)
  }

  // history (project/history)
  undo(): HistoryResult {
    return history.undo(this.db)
  }
  redo(): HistoryResult {
    return history.redo(this.db)
  }
  canUndoRedo(): { canUndo: boolean; canRedo: boolean } {
    return history.canUndoRedo(this.db)
  }

  // runs (services/runs)
  listRuns(): RunRecord[] {
    return listRuns(this.db)
  }
}
