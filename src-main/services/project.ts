// The project service: everything an analyst does to one project file, as plain synchronous
// methods over better-sqlite3. Every edit is one transaction and one undoable history entry.
// Electron IPC, the HTTP server and the CLI all call these same methods.

import { basename } from 'node:path'
import type {
  HistoryResult,
  Neighbor,
  NeighborQuery,
  ProjectInfo,
  TitleCounts,
  CountsQuery,
  SpanCreate,
  SpanUpdate,
  TitleListItem,
  TitlePage,
  TitleQuery,
  TypeCreate,
  TypeUpdate,
} from '../shared/api'
import { StudioError } from '../shared/errors'
import { cpLength } from '../shared/text'
import {
  ORIGINS,
  REVIEW_STATUSES,
  SPLITS,
  type EntityType,
  type Origin,
  type ProjectStats,
  type ReviewStatus,
  type RunRecord,
  type Span,
  type Split,
  type TitleWithSpans,
} from '../shared/types'
import { openDatabase, type DB, type OpenOptions } from '../store/db'
import type { ModelSpanSelector } from '../shared/mitl'
import { colorFor, isColor } from './palette'
import { failInterruptedRuns } from './runs'

/** A span row as stored (the unit of undo/redo). */
export interface SpanRow {
  id: number
  title_id: number
  start: number
  end: number
  type_id: number
  origin: Origin
  run_id: number | null
  confidence: number | null
  created_at: number
}

interface TypeRow {
  id: number
  name: string
  color: string
  hotkey: string | null
  description: string
  created_at: number
}

/** A title row as stored, with what goes with it when it is deleted (for undoing a delete). */
export interface TitleRecord {
  row: Record<string, unknown> & { id: number }
  spans: SpanRow[]
  predictions: { run_id: number; spans: string }[]
  dictionarySpans: { span_id: number; dictionary_id: number }[]
}

/** One reversible operation; a history entry is a list of them. */
export type Op =
  | { k: 'span+'; row: SpanRow }
  | { k: 'span-'; row: SpanRow }
  | { k: 'span~'; before: SpanRow; after: SpanRow }
  | { k: 'status'; titleId: number; before: ReviewStatus; after: ReviewStatus }
  | { k: 'type+'; row: TypeRow }
  | { k: 'type-'; row: TypeRow }
  | { k: 'type~'; before: TypeRow; after: TypeRow }
  | { k: 'split'; titleId: number; before: Split; after: Split }
  | { k: 'title-'; rec: TitleRecord }
  | { k: 'title+'; rec: TitleRecord }

const HISTORY_LIMIT = 10_000
const MAX_TYPE_NAME = 100

export class Project {
  private constructor(
    readonly db: DB,
    readonly path: string,
  ) {}

  /**
   * Open a project file: the one open path of the Studio (Electron, server) and the CLI. Opened
   * writable, runs left 'queued'/'running' by a process that is gone are marked failed.
   */
  static open(path: string, opts: OpenOptions = {}): Project {
    const db = openDatabase(path, opts)
    try {
      if (!opts.readonly) failInterruptedRuns(db)
    } catch (e) {
      db.close()
      throw e
    }
    return new Project(db, path)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  info(): ProjectInfo {
    const { n } = this.db.prepare('SELECT count(*) AS n FROM titles').get() as { n: number }
    return { path: this.path, name: basename(this.path).replace(/\.sqlite$/, ''), titles: n }
  }

  // ---------------------------------------------------------------- statistics

  stats(): ProjectStats {
    const bySplit = zero(SPLITS)
    const byStatus = zero(REVIEW_STATUSES)
    const bySplitStatus = this.db
      .prepare('SELECT split, status, count(*) AS count FROM titles GROUP BY split, status ORDER BY split, status')
      .all() as { split: Split; status: ReviewStatus; count: number }[]
    let titles = 0
    for (const r of bySplitStatus) {
      bySplit[r.split] += r.count
      byStatus[r.status] += r.count
      titles += r.count
    }
    const byOrigin = zero(ORIGINS)
    const typeRows = this.db
      .prepare(
        `SELECT t.name AS name, s.origin AS origin, count(s.id) AS n
           FROM entity_types t LEFT JOIN spans s ON s.type_id = t.id
          GROUP BY t.id, s.origin`,
      )
      .all() as { name: string; origin: Origin | null; n: number }[]
    const types = new Map<string, { name: string; total: number; byOrigin: Record<Origin, number> }>()
    let spans = 0
    for (const r of typeRows) {
      let t = types.get(r.name)
      if (!t) types.set(r.name, (t = { name: r.name, total: 0, byOrigin: zero(ORIGINS) }))
      if (r.origin) {
        t.byOrigin[r.origin] += r.n
        t.total += r.n
        byOrigin[r.origin] += r.n
        spans += r.n
      }
    }
    const { n: runs } = this.db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }
    return {
      path: this.path,
      titles,
      bySplit,
      byStatus,
      bySplitStatus,
      spans,
      byOrigin,
      types: [...types.values()].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name)),
      runs,
    }
  }

  // ---------------------------------------------------------------- entity types

  listTypes(): EntityType[] {
    const rows = this.db
      .prepare(
        `SELECT t.*, (SELECT count(*) FROM spans s WHERE s.type_id = t.id) AS span_count
           FROM entity_types t ORDER BY span_count DESC, t.name`,
      )
      .all() as (TypeRow & { span_count: number })[]
    return rows.map(toEntityType)
  }

  private typeById(id: number): TypeRow {
    const row = this.db.prepare('SELECT * FROM entity_types WHERE id = ?').get(id) as TypeRow | undefined
    if (!row) throw new StudioError('not_found', `no entity type with id ${id}`)
    return row
  }

  private typeByName(name: string): TypeRow | undefined {
    return this.db.prepare('SELECT * FROM entity_types WHERE name = ?').get(name) as TypeRow | undefined
  }

  private entityType(id: number): EntityType {
    const row = this.typeById(id)
    const { n } = this.db.prepare('SELECT count(*) AS n FROM spans WHERE type_id = ?').get(id) as { n: number }
    return toEntityType({ ...row, span_count: n })
  }

  createType(args: TypeCreate): EntityType {
    const name = checkTypeName(args.name)
    if (this.typeByName(name)) throw new StudioError('conflict', `an entity type named "${name}" already exists`)
    const { n } = this.db.prepare('SELECT count(*) AS n FROM entity_types').get() as { n: number }
    const row: TypeRow = {
      id: 0,
      name,
      color: args.color === undefined ? colorFor(n) : checkColor(args.color),
      hotkey: checkHotkey(args.hotkey ?? null),
      description: args.description ?? '',
      created_at: Date.now(),
    }
    this.assertHotkeyFree(row.hotkey, null)
    const id = this.edit(`create type ${name}`, (ops) => {
      row.id = insertType(this.db, row)
      ops.push({ k: 'type+', row: { ...row } })
      return row.id
    })
    return this.entityType(id)
  }

  updateType(args: TypeUpdate): EntityType {
    const before = this.typeById(args.id)
    const after: TypeRow = { ...before }
    if (args.name !== undefined) {
      after.name = checkTypeName(args.name)
      const other = this.typeByName(after.name)
      if (other && other.id !== before.id) {
        throw new StudioError('conflict', `an entity type named "${after.name}" already exists; merge the two instead`)
      }
    }
    if (args.color !== undefined) after.color = checkColor(args.color)
    if (args.hotkey !== undefined) after.hotkey = checkHotkey(args.hotkey)
    if (args.description !== undefined) after.description = String(args.description)
    this.assertHotkeyFree(after.hotkey, before.id)
    this.edit(`edit type ${after.name}`, (ops) => {
      updateType(this.db, after)
      ops.push({ k: 'type~', before, after })
    })
    return this.entityType(before.id)
  }

  /** Move every span of `from` to `into`, then delete `from`. */
  mergeTypes(fromId: number, intoId: number): { moved: number } {
    if (fromId === intoId) throw new StudioError('bad_request', 'cannot merge an entity type into itself')
    const from = this.typeById(fromId)
    const into = this.typeById(intoId)
    return this.edit(`merge type ${from.name} into ${into.name}`, (ops) => {
      const rows = this.db.prepare('SELECT * FROM spans WHERE type_id = ?').all(fromId) as SpanRow[]
      const upd = this.db.prepare('UPDATE spans SET type_id = ? WHERE id = ?')
      for (const r of rows) {
        upd.run(intoId, r.id)
        ops.push({ k: 'span~', before: r, after: { ...r, type_id: intoId } })
      }
      this.db.prepare('DELETE FROM entity_types WHERE id = ?').run(fromId)
      ops.push({ k: 'type-', row: from })
      return { moved: rows.length }
    })
  }

  /** Delete a type and all its spans (the UI confirms with the count from listTypes first). */
  deleteType(id: number): { deletedSpans: number } {
    const row = this.typeById(id)
    return this.edit(`delete type ${row.name}`, (ops) => {
      const spans = this.db.prepare('SELECT * FROM spans WHERE type_id = ?').all(id) as SpanRow[]
      this.db.prepare('DELETE FROM spans WHERE type_id = ?').run(id)
      for (const s of spans) ops.push({ k: 'span-', row: s })
      this.db.prepare('DELETE FROM entity_types WHERE id = ?').run(id)
      ops.push({ k: 'type-', row })
      return { deletedSpans: spans.length }
    })
  }

  private assertHotkeyFree(hotkey: string | null, selfId: number | null): void {
    if (hotkey === null) return
    const other = this.db.prepare('SELECT id, name FROM entity_types WHERE hotkey = ?').get(hotkey) as
      | { id: number; name: string }
      | undefined
    if (other && other.id !== selfId) {
      throw new StudioError('conflict', `hotkey "${hotkey}" is already used by entity type "${other.name}"`)
    }
  }

  /** The id of the type named `name`, created (outside history) if missing. For importers. */
  ensureType(name: string): number {
    // Look up the checked (trimmed) name, the one that would be stored: " 品牌" is 品牌.
    const checked = checkTypeName(name)
    const row = this.typeByName(checked)
    if (row) return row.id
    const { n } = this.db.prepare('SELECT count(*) AS n FROM entity_types').get() as { n: number }
    return insertType(this.db, {
      id: 0,
      name: checked,
      color: colorFor(n),
      hotkey: null,
      description: '',
      created_at: Date.now(),
    })
  }

  /** `ensureType` remembered by name: for labelling many spans in one go (import, weak labels, pre-annotation). */
  typeIds(): (name: string) => number {
    const ids = new Map<string, number>()
    return (name) => {
      let id = ids.get(name)
      if (id === undefined) ids.set(name, (id = this.ensureType(name)))
      return id
    }
  }

  // ---------------------------------------------------------------- titles

  /** The WHERE clause of a title query (over `titles t`); `skip` leaves one facet out (for counts per filter value). */
  titleWhere(q: TitleQuery, skip?: 'split' | 'status' | 'origin'): { where: string[]; params: unknown[] } {
    const where: string[] = []
    const params: unknown[] = []
    if (q.split !== undefined && skip !== 'split') {
      if (!SPLITS.includes(q.split)) throw new StudioError('bad_request', `unknown split "${q.split}"`)
      where.push('t.split = ?')
      params.push(q.split)
    }
    if (q.status !== undefined && skip !== 'status') {
      if (!REVIEW_STATUSES.includes(q.status)) throw new StudioError('bad_request', `unknown status "${q.status}"`)
      where.push('t.status = ?')
      params.push(q.status)
    }
    const origin = skip === 'origin' ? undefined : q.origin
    if (q.type !== undefined || origin !== undefined) {
      const sub: string[] = ['s.title_id = t.id']
      if (q.type !== undefined) {
        sub.push('s.type_id = (SELECT id FROM entity_types WHERE name = ?)')
        params.push(q.type)
      }
      if (origin !== undefined) {
        if (!ORIGINS.includes(origin)) throw new StudioError('bad_request', `unknown origin "${origin}"`)
        sub.push('s.origin = ?')
        params.push(origin)
      }
      where.push(`EXISTS (SELECT 1 FROM spans s WHERE ${sub.join(' AND ')})`)
    }
    if (q.search) {
      where.push('instr(t.text, ?) > 0')
      params.push(q.search)
    }
    if (q.disagreesWith !== undefined && q.disagreesWith !== null) {
      if (!Number.isInteger(q.disagreesWith)) throw new StudioError('bad_request', 'disagreesWith must be a run id')
      // A title disagrees with run X when X predicted for it and the two span sets differ: a
      // prediction with no identical stored span, or a stored span (not itself a model span) that X
      // did not predict. Titles X never predicted are not listed.
      const same = `s.title_id = p.title_id AND s.start = json_extract(j.value, '$.start')
                    AND s.end = json_extract(j.value, '$.end') AND s.type_id = e.id AND e.name = json_extract(j.value, '$.type')`
      where.push(`EXISTS (SELECT 1 FROM predictions p WHERE p.run_id = ? AND p.title_id = t.id AND (
          EXISTS (SELECT 1 FROM json_each(p.spans) j WHERE NOT EXISTS (
            SELECT 1 FROM spans s JOIN entity_types e ON e.id = s.type_id WHERE ${same} AND s.origin != 'model'))
          OR EXISTS (SELECT 1 FROM spans s2 JOIN entity_types e2 ON e2.id = s2.type_id
                      WHERE s2.title_id = t.id AND s2.origin != 'model' AND NOT EXISTS (
            SELECT 1 FROM json_each(p.spans) j2 WHERE json_extract(j2.value, '$.start') = s2.start
               AND json_extract(j2.value, '$.end') = s2.end AND json_extract(j2.value, '$.type') = e2.name))))`)
      params.push(q.disagreesWith)
    }
    return { where, params }
  }

  listTitles(q: TitleQuery = {}): TitlePage {
    const { where, params } = this.titleWhere(q)
    const w = where.length ? `WHERE ${where.join(' AND ')}` : ''
    const offset = Math.max(0, Math.floor(q.offset ?? 0))
    const limit = Math.min(1000, Math.max(1, Math.floor(q.limit ?? 100)))
    const { n } = q.skipTotal
      ? { n: -1 }
      : (this.db.prepare(`SELECT count(*) AS n FROM titles t ${w}`).get(...params) as { n: number })
    const items = this.db
      .prepare(
        `SELECT t.id, t.text, t.split, t.status,
                (SELECT count(*) FROM spans s WHERE s.title_id = t.id) AS spanCount
           FROM titles t ${w} ORDER BY t.id LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset) as TitleListItem[]
    return { total: n, offset, items }
  }

  /**
   * Counts per filter value: each facet counted with every other filter of `q` applied. Split and
   * status come from one pass grouped by both; origins (a pass over the spans) only when asked.
   */
  countTitles(q: CountsQuery = {}): TitleCounts {
    const base = this.titleWhere({ ...q, split: undefined, status: undefined })
    const w = base.where.length ? `WHERE ${base.where.join(' AND ')}` : ''
    const rows = this.db
      .prepare(`SELECT t.split AS split, t.status AS status, count(*) AS n FROM titles t ${w} GROUP BY t.split, t.status`)
      .all(...base.params) as { split: Split; status: ReviewStatus; n: number }[]
    const bySplit = zero(SPLITS)
    const byStatus = zero(REVIEW_STATUSES)
    let total = 0
    for (const r of rows) {
      const splitOk = q.split === undefined || r.split === q.split
      const statusOk = q.status === undefined || r.status === q.status
      if (statusOk) bySplit[r.split] += r.n
      if (splitOk) byStatus[r.status] += r.n
      if (splitOk && statusOk) total += r.n
    }
    let byOrigin: Record<Origin, number> | null = null
    if (q.origins) {
      byOrigin = zero(ORIGINS)
      const c = this.titleWhere(q, 'origin')
      const extra = c.where.length ? `AND ${c.where.join(' AND ')}` : ''
      const stmt = this.db.prepare(
        `SELECT count(DISTINCT s.title_id) AS n FROM spans s JOIN titles t ON t.id = s.title_id WHERE s.origin = ? ${extra}`,
      )
      for (const o of ORIGINS) byOrigin[o] = (stmt.get(o, ...c.params) as { n: number }).n
    }
    return { total, bySplit, byStatus, byOrigin }
  }

  /** The next/previous title of a filtered list (ordered by id), and its index in that list. */
  neighbor(args: NeighborQuery): Neighbor {
    const { where, params } = this.titleWhere(args.query ?? {})
    const dir = args.direction === 'prev' ? 'prev' : 'next'
    const w2 = [...where, dir === 'next' ? 't.id > ?' : 't.id < ?']
    const p2 = [...params, args.id]
    if (args.unreviewed) w2.push(`t.status = 'unreviewed'`)
    const row = this.db
      .prepare(`SELECT t.id FROM titles t WHERE ${w2.join(' AND ')} ORDER BY t.id ${dir === 'next' ? 'ASC' : 'DESC'} LIMIT 1`)
      .get(...p2) as { id: number } | undefined
    if (!row) return { id: null, index: -1 }
    const w3 = [...where, 't.id < ?']
    const { n } = this.db.prepare(`SELECT count(*) AS n FROM titles t WHERE ${w3.join(' AND ')}`).get(...params, row.id) as {
      n: number
    }
    return { id: row.id, index: n }
  }

  getTitle(id: number): TitleWithSpans {
    const t = this.db.prepare('SELECT * FROM titles WHERE id = ?').get(id) as
      | {
          id: number
          text: string
          length: number
          split: Split
          status: ReviewStatus
          source: string
          words: string | null
          created_at: number
          updated_at: number
        }
      | undefined
    if (!t) throw new StudioError('not_found', `no title with id ${id}`)
    return {
      id: t.id,
      text: t.text,
      length: t.length,
      split: t.split,
      status: t.status,
      source: t.source,
      words: t.words ? t.words.split(',').map(Number) : null,
      createdAt: t.created_at,
      updatedAt: t.updated_at,
      spans: this.spansOf(id),
    }
  }

  spansOf(titleId: number): Span[] {
    const rows = this.db
      .prepare(
        `SELECT s.*, t.name AS type FROM spans s JOIN entity_types t ON t.id = s.type_id
          WHERE s.title_id = ? ORDER BY s.start`,
      )
      .all(titleId) as (SpanRow & { type: string })[]
    return rows.map(toSpan)
  }

  setStatus(ids: number[], status: ReviewStatus): { changed: number } {
    if (!REVIEW_STATUSES.includes(status)) throw new StudioError('bad_request', `unknown status "${status}"`)
    if (!Array.isArray(ids)) throw new StudioError('bad_request', 'ids must be an array of title ids')
    return this.edit(`mark ${ids.length} title(s) ${status}`, (ops) => {
      const get = this.db.prepare('SELECT status FROM titles WHERE id = ?')
      const set = this.db.prepare('UPDATE titles SET status = ?, updated_at = ? WHERE id = ?')
      let changed = 0
      for (const id of ids) {
        const row = get.get(id) as { status: ReviewStatus } | undefined
        if (!row) throw new StudioError('not_found', `no title with id ${id}`)
        if (row.status === status) continue
        set.run(status, Date.now(), id)
        ops.push({ k: 'status', titleId: id, before: row.status, after: status })
        changed++
      }
      return { changed }
    })
  }

  // ---------------------------------------------------------------- spans

  private spanRow(id: number): SpanRow {
    const row = this.db.prepare('SELECT * FROM spans WHERE id = ?').get(id) as SpanRow | undefined
    if (!row) throw new StudioError('not_found', `no span with id ${id}`)
    return row
  }

  private span(id: number): Span {
    const row = this.db
      .prepare('SELECT s.*, t.name AS type FROM spans s JOIN entity_types t ON t.id = s.type_id WHERE s.id = ?')
      .get(id) as SpanRow & { type: string }
    return toSpan(row)
  }

  /** Throws unless [start, end) lies inside the title and overlaps no other span of it (entities are flat). */
  private checkSpanPlace(titleId: number, start: number, end: number, selfId: number | null): void {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) {
      throw new StudioError('bad_request', `invalid span [${start}, ${end}): need 0 <= start < end`)
    }
    const t = this.db.prepare('SELECT length FROM titles WHERE id = ?').get(titleId) as { length: number } | undefined
    if (!t) throw new StudioError('not_found', `no title with id ${titleId}`)
    if (end > t.length) {
      throw new StudioError('bad_request', `span [${start}, ${end}) ends past the title (${t.length} characters)`)
    }
    const other = this.db
      .prepare(
        `SELECT s.start, s.end, e.name FROM spans s JOIN entity_types e ON e.id = s.type_id
          WHERE s.title_id = ? AND s.start < ? AND s.end > ? AND s.id IS NOT ? LIMIT 1`,
      )
      .get(titleId, end, start, selfId) as { start: number; end: number; name: string } | undefined
    if (other) {
      throw new StudioError(
        'conflict',
        `span [${start}, ${end}) overlaps the ${other.name} span [${other.start}, ${other.end}); entities are flat`,
      )
    }
  }

  createSpan(args: SpanCreate): Span {
    const typeRow = this.typeByName(String(args.type))
    if (!typeRow) throw new StudioError('not_found', `no entity type named "${args.type}"`)
    const id = this.edit(`create span ${typeRow.name}`, (ops) => {
      this.checkSpanPlace(args.titleId, args.start, args.end, null)
      const row: SpanRow = {
        id: 0,
        title_id: args.titleId,
        start: args.start,
        end: args.end,
        type_id: typeRow.id,
        origin: 'gold',
        run_id: null,
        confidence: null,
        created_at: Date.now(),
      }
      row.id = insertSpan(this.db, row)
      this.touch(row.title_id)
      ops.push({ k: 'span+', row })
      return row.id
    })
    return this.span(id)
  }

  /** Move a boundary or change the type. An edited span becomes gold: a person has confirmed it. */
  updateSpan(args: SpanUpdate): Span {
    const before = this.spanRow(args.id)
    const after: SpanRow = { ...before, origin: 'gold', run_id: null, confidence: null }
    if (args.start !== undefined) after.start = args.start
    if (args.end !== undefined) after.end = args.end
    let typeName: string | null = null
    if (args.type !== undefined) {
      const t = this.typeByName(String(args.type))
      if (!t) throw new StudioError('not_found', `no entity type named "${args.type}"`)
      after.type_id = t.id
      typeName = t.name
    }
    this.edit(`edit span${typeName ? ` ${typeName}` : ''}`, (ops) => {
      this.checkSpanPlace(after.title_id, after.start, after.end, after.id)
      updateSpan(this.db, after)
      this.touch(after.title_id)
      ops.push({ k: 'span~', before, after })
    })
    return this.span(args.id)
  }

  /** The title a span belongs to. */
  titleOfSpan(id: number): number {
    return this.spanRow(id).title_id
  }

  deleteSpan(id: number): { deleted: number } {
    const row = this.spanRow(id)
    return this.edit('delete span', (ops) => {
      this.db.prepare('DELETE FROM spans WHERE id = ?').run(id)
      this.touch(row.title_id)
      ops.push({ k: 'span-', row })
      return { deleted: 1 }
    })
  }

  /** Confirm every weak/dictionary/model span of a title: they become gold. One history entry. */
  acceptAll(titleId: number): { accepted: number } {
    const t = this.db.prepare('SELECT id FROM titles WHERE id = ?').get(titleId)
    if (!t) throw new StudioError('not_found', `no title with id ${titleId}`)
    return this.edit('accept all spans', (ops) => {
      const rows = this.db.prepare(`SELECT * FROM spans WHERE title_id = ? AND origin != 'gold'`).all(titleId) as SpanRow[]
      for (const before of rows) {
        const after: SpanRow = { ...before, origin: 'gold', run_id: null, confidence: null }
        updateSpan(this.db, after)
        ops.push({ k: 'span~', before, after })
      }
      if (rows.length) this.touch(titleId)
      return { accepted: rows.length }
    })
  }

  private touch(titleId: number): void {
    this.db.prepare('UPDATE titles SET updated_at = ? WHERE id = ?').run(Date.now(), titleId)
  }

  // ---------------------------------------------------------------- history (undo / redo)

  /**
   * Run `fn` as one transaction that also records one history entry made of the ops `fn` pushes.
   * A new edit clears the redo stack. Throwing inside `fn` rolls everything back.
   * Public for the bulk services (services/titles): an op pushed must already be applied.
   */
  edit<T>(label: string, fn: (ops: Op[]) => T): T {
    return this.db.transaction(() => {
      const ops: Op[] = []
      const result = fn(ops)
      if (ops.length > 0) {
        this.db.prepare('DELETE FROM history WHERE undone = 1').run()
        this.db
          .prepare('INSERT INTO history (label, ops, created_at) VALUES (?, ?, ?)')
          .run(label, JSON.stringify(ops), Date.now())
        this.db
          .prepare('DELETE FROM history WHERE id <= (SELECT max(id) FROM history) - ?')
          .run(HISTORY_LIMIT)
      }
      return result
    })()
  }

  undo(): HistoryResult {
    return this.db.transaction(() => {
      const h = this.db.prepare('SELECT * FROM history WHERE undone = 0 ORDER BY id DESC LIMIT 1').get() as
        | { id: number; label: string; ops: string }
        | undefined
      if (!h) return { label: null, titleIds: [], ...this.canUndoRedo() }
      const ops = JSON.parse(h.ops) as Op[]
      for (let i = ops.length - 1; i >= 0; i--) this.applyOp(invert(ops[i]!), h.label, 'undo')
      this.db.prepare('UPDATE history SET undone = 1 WHERE id = ?').run(h.id)
      return { label: h.label, titleIds: titleIdsOf(ops), ...this.canUndoRedo() }
    })()
  }

  redo(): HistoryResult {
    return this.db.transaction(() => {
      const h = this.db.prepare('SELECT * FROM history WHERE undone = 1 ORDER BY id ASC LIMIT 1').get() as
        | { id: number; label: string; ops: string }
        | undefined
      if (!h) return { label: null, titleIds: [], ...this.canUndoRedo() }
      const ops = JSON.parse(h.ops) as Op[]
      for (const op of ops) this.applyOp(op, h.label, 'redo')
      this.db.prepare('UPDATE history SET undone = 0 WHERE id = ?').run(h.id)
      return { label: h.label, titleIds: titleIdsOf(ops), ...this.canUndoRedo() }
    })()
  }

  canUndoRedo(): { canUndo: boolean; canRedo: boolean } {
    const r = this.db
      .prepare('SELECT sum(undone = 0) AS u, sum(undone = 1) AS r FROM history')
      .get() as { u: number | null; r: number | null }
    return { canUndo: (r.u ?? 0) > 0, canRedo: (r.r ?? 0) > 0 }
  }

  private applyOp(op: Op, label: string, verb: string): void {
    const db = this.db
    try {
      switch (op.k) {
        case 'span+':
          this.checkSpanPlace(op.row.title_id, op.row.start, op.row.end, op.row.id)
          insertSpan(db, op.row, true)
          this.touch(op.row.title_id)
          break
        case 'span-':
          db.prepare('DELETE FROM spans WHERE id = ?').run(op.row.id)
          this.touch(op.row.title_id)
          break
        case 'span~':
          this.checkSpanPlace(op.after.title_id, op.after.start, op.after.end, op.after.id)
          updateSpan(db, op.after)
          this.touch(op.after.title_id)
          break
        case 'status':
          db.prepare('UPDATE titles SET status = ?, updated_at = ? WHERE id = ?').run(op.after, Date.now(), op.titleId)
          break
        case 'type+':
          insertType(db, op.row, true)
          break
        case 'type-':
          db.prepare('DELETE FROM entity_types WHERE id = ?').run(op.row.id)
          break
        case 'type~':
          updateType(db, op.after)
          break
        case 'split':
          db.prepare('UPDATE titles SET split = ?, updated_at = ? WHERE id = ?').run(op.after, Date.now(), op.titleId)
          break
        case 'title-':
          db.prepare('DELETE FROM titles WHERE id = ?').run(op.rec.row.id)
          break
        case 'title+':
          restoreTitle(db, op.rec)
          break
      }
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e)
      throw new StudioError('conflict', `cannot ${verb} "${label}": ${why}`)
    }
  }

  // ---------------------------------------------------------------- model in the loop (issue 6)

  /** Model spans chosen by a selector: one span, every one of a title, or of a type at/above a confidence. */
  private modelSpans(sel: ModelSpanSelector): SpanRow[] {
    if ('spanId' in sel) {
      const row = this.spanRow(sel.spanId)
      if (row.origin !== 'model') throw new StudioError('bad_request', `span ${sel.spanId} is not a model span (origin ${row.origin})`)
      return [row]
    }
    if ('titleId' in sel) {
      return this.db.prepare("SELECT * FROM spans WHERE title_id = ? AND origin = 'model' ORDER BY start").all(sel.titleId) as SpanRow[]
    }
    if ('type' in sel) {
      const t = this.typeByName(String(sel.type))
      if (!t) throw new StudioError('not_found', `no entity type named "${sel.type}"`)
      // At or above minConfidence; with `below`, strictly below it (bulk reject of the unsure ones).
      const min = sel.minConfidence ?? 0
      const cmp = sel.below ? '<' : '>='
      const run = sel.runId !== undefined ? ' AND run_id = ?' : ''
      const args: unknown[] = [t.id, min]
      if (sel.runId !== undefined) args.push(sel.runId)
      return this.db
        .prepare(`SELECT * FROM spans WHERE type_id = ? AND origin = 'model' AND coalesce(confidence, 0) ${cmp} ?${run} ORDER BY title_id, start`)
        .all(...args) as SpanRow[]
    }
    throw new StudioError('bad_request', 'give spanId, titleId, or type (with minConfidence)')
  }

  /** How many model spans, in how many titles, a selector picks (a preview; changes nothing). */
  countModelSpans(sel: ModelSpanSelector): { spans: number; titles: number } {
    const rows = this.modelSpans(sel)
    return { spans: rows.length, titles: new Set(rows.map((r) => r.title_id)).size }
  }

  /** Accept model spans: they become gold. One history entry. */
  acceptModelSpans(sel: ModelSpanSelector): { changed: number; titleIds: number[] } {
    const rows = this.modelSpans(sel)
    const label = 'spanId' in sel ? 'accept model span' : 'titleId' in sel ? 'accept model spans of a title' : `accept model ${sel.type} spans`
    return this.edit(label, (ops) => {
      const ids = new Set<number>()
      for (const before of rows) {
        const after: SpanRow = { ...before, origin: 'gold', run_id: null, confidence: null }
        updateSpan(this.db, after)
        ops.push({ k: 'span~', before, after })
        ids.add(before.title_id)
      }
      for (const id of ids) this.touch(id)
      return { changed: rows.length, titleIds: [...ids] }
    })
  }

  /** Reject model spans: they are deleted. One history entry. */
  rejectModelSpans(sel: ModelSpanSelector): { changed: number; titleIds: number[] } {
    const rows = this.modelSpans(sel)
    const label =
      'spanId' in sel ? 'reject model span' : 'titleId' in sel ? 'reject model spans of a title' : `reject model ${sel.type} spans${sel.below ? ` below ${sel.minConfidence ?? 0}` : ''}`
    return this.edit(label, (ops) => {
      const ids = new Set<number>()
      const del = this.db.prepare('DELETE FROM spans WHERE id = ?')
      for (const row of rows) {
        del.run(row.id)
        ops.push({ k: 'span-', row })
        ids.add(row.title_id)
      }
      for (const id of ids) this.touch(id)
      return { changed: rows.length, titleIds: [...ids] }
    })
  }

  // ---------------------------------------------------------------- runs

  listRuns(): RunRecord[] {
    const rows = this.db
      .prepare(
        `SELECT r.*, EXISTS (SELECT 1 FROM checkpoints c WHERE c.run_id = r.id) AS has_ckpt
           FROM runs r ORDER BY r.id DESC`,
      )
      .all() as {
      id: number
      preset: string
      config: string
      status: RunRecord['status']
      metrics: string | null
      backend: string | null
      backend_reason: string | null
      error: string | null
      timings: string | null
      has_ckpt: number
      created_at: number
      started_at: number | null
      finished_at: number | null
    }[]
    return rows.map((r) => ({
      id: r.id,
      preset: r.preset,
      config: JSON.parse(r.config) as Record<string, unknown>,
      status: r.status,
      metrics: r.metrics ? (JSON.parse(r.metrics) as Record<string, unknown>) : null,
      backend: r.backend,
      backendReason: r.backend_reason,
      error: r.error,
      timings: r.timings ? (JSON.parse(r.timings) as Record<string, number>) : null,
      hasCheckpoint: r.has_ckpt === 1,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }))
  }
}

// ------------------------------------------------------------------ row helpers

/** A count of 0 for each key. */
function zero<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>
}

function insertSpan(db: DB, r: SpanRow, withId = false): number {
  const info = db
    .prepare(
      `INSERT INTO spans (id, title_id, start, end, type_id, origin, run_id, confidence, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(withId ? r.id : null, r.title_id, r.start, r.end, r.type_id, r.origin, r.run_id, r.confidence, r.created_at)
  return Number(info.lastInsertRowid)
}

function updateSpan(db: DB, r: SpanRow): void {
  db.prepare(
    'UPDATE spans SET start = ?, end = ?, type_id = ?, origin = ?, run_id = ?, confidence = ? WHERE id = ?',
  ).run(r.start, r.end, r.type_id, r.origin, r.run_id, r.confidence, r.id)
}

function insertType(db: DB, r: TypeRow, withId = false): number {
  const info = db
    .prepare('INSERT INTO entity_types (id, name, color, hotkey, description, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(withId ? r.id : null, r.name, r.color, r.hotkey, r.description, r.created_at)
  return Number(info.lastInsertRowid)
}

function updateType(db: DB, r: TypeRow): void {
  db.prepare('UPDATE entity_types SET name = ?, color = ?, hotkey = ?, description = ? WHERE id = ?').run(
    r.name,
    r.color,
    r.hotkey,
    r.description,
    r.id,
  )
}

function invert(op: Op): Op {
  switch (op.k) {
    case 'span+':
      return { k: 'span-', row: op.row }
    case 'span-':
      return { k: 'span+', row: op.row }
    case 'span~':
      return { k: 'span~', before: op.after, after: op.before }
    case 'status':
      return { k: 'status', titleId: op.titleId, before: op.after, after: op.before }
    case 'type+':
      return { k: 'type-', row: op.row }
    case 'type-':
      return { k: 'type+', row: op.row }
    case 'type~':
      return { k: 'type~', before: op.after, after: op.before }
    case 'split':
      return { k: 'split', titleId: op.titleId, before: op.after, after: op.before }
    case 'title-':
      return { k: 'title+', rec: op.rec }
    case 'title+':
      return { k: 'title-', rec: op.rec }
  }
}

/** A title as stored with its spans, predictions and dictionary links (deleting it cascades them). */
export function titleRecord(db: DB, id: number): TitleRecord | null {
  const row = db.prepare('SELECT * FROM titles WHERE id = ?').get(id) as TitleRecord['row'] | undefined
  if (!row) return null
  return {
    row,
    spans: db.prepare('SELECT * FROM spans WHERE title_id = ? ORDER BY id').all(id) as SpanRow[],
    predictions: db.prepare('SELECT run_id, spans FROM predictions WHERE title_id = ?').all(id) as TitleRecord['predictions'],
    dictionarySpans: db
      .prepare('SELECT d.span_id, d.dictionary_id FROM dictionary_spans d JOIN spans s ON s.id = d.span_id WHERE s.title_id = ?')
      .all(id) as TitleRecord['dictionarySpans'],
  }
}

/** Put a deleted title back as it was (same ids); rows of a run or dictionary deleted since are left out. */
function restoreTitle(db: DB, rec: TitleRecord): void {
  const cols = Object.keys(rec.row)
  db.prepare(`INSERT INTO titles (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(
    ...cols.map((c) => rec.row[c]),
  )
  for (const s of rec.spans) {
    const run = s.run_id !== null && db.prepare('SELECT 1 FROM runs WHERE id = ?').get(s.run_id) ? s.run_id : null
    insertSpan(db, { ...s, run_id: run }, true)
  }
  const insPred = db.prepare('INSERT INTO predictions (run_id, title_id, spans) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?)')
  for (const p of rec.predictions) insPred.run(p.run_id, rec.row.id, p.spans, p.run_id)
  const insDict = db.prepare(
    'INSERT INTO dictionary_spans (span_id, dictionary_id) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM dictionaries WHERE id = ?)',
  )
  for (const d of rec.dictionarySpans) insDict.run(d.span_id, d.dictionary_id, d.dictionary_id)
}

function titleIdsOf(ops: Op[]): number[] {
  const ids = new Set<number>()
  for (const op of ops) {
    if (op.k === 'span+' || op.k === 'span-') ids.add(op.row.title_id)
    else if (op.k === 'span~') ids.add(op.after.title_id)
    else if (op.k === 'status' || op.k === 'split') ids.add(op.titleId)
    else if (op.k === 'title-' || op.k === 'title+') ids.add(op.rec.row.id)
  }
  return [...ids]
}

function toSpan(r: SpanRow & { type: string }): Span {
  return {
    id: r.id,
    titleId: r.title_id,
    start: r.start,
    end: r.end,
    type: r.type,
    origin: r.origin,
    runId: r.run_id,
    confidence: r.confidence,
  }
}

function toEntityType(r: TypeRow & { span_count: number }): EntityType {
  return { id: r.id, name: r.name, color: r.color, hotkey: r.hotkey, description: r.description, spanCount: r.span_count }
}

export function checkTypeName(name: unknown): string {
  if (typeof name !== 'string') throw new StudioError('bad_request', 'an entity type name must be a string')
  const n = name.trim()
  if (!n) throw new StudioError('bad_request', 'an entity type name cannot be empty')
  if (cpLength(n) > MAX_TYPE_NAME) throw new StudioError('bad_request', `entity type name longer than ${MAX_TYPE_NAME} characters`)
  if (/\s/.test(n)) throw new StudioError('bad_request', `entity type name "${n}" contains white space`)
  return n
}

function checkColor(c: unknown): string {
  if (!isColor(c)) throw new StudioError('bad_request', `colour must look like #rrggbb, got ${JSON.stringify(c)}`)
  return c.toLowerCase()
}

function checkHotkey(k: unknown): string | null {
  if (k === null || k === '') return null
  if (typeof k !== 'string' || cpLength(k) !== 1 || /\s/.test(k)) {
    throw new StudioError('bad_request', `a hotkey is one character, got ${JSON.stringify(k)}`)
  }
  return k.toLowerCase()
}
