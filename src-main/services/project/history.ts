// Undo/redo: every edit is one transaction that also appends one `history` row, a list of
// reversible operations. Undo applies the inverses; redo re-applies; a new edit drops the redo stack.

import type { ChangeKind, HistoryResult } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import type { ReviewStatus, Split } from '../../shared/types'
import { writeTransaction, type DB } from '../../store/db'
import { checkSpanPlace, insertSpanRow, insertTypeRow, touch, updateSpanRow, updateTypeRow, type SpanRow, type TypeRow } from './rows'

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

/** A process's session on a project: when it opened it, and the history entries it wrote. */
interface Session {
  openedAt: number
  baseId: number
  mine: Set<number>
}
const sessions = new WeakMap<DB, Session>()

/** Start this process's undo session on a connection (Project.open does, once per open). */
export function openSession(db: DB): void {
  const baseId = (db.prepare('SELECT coalesce(max(id), 0) AS m FROM history').get() as { m: number }).m
  sessions.set(db, { openedAt: Date.now(), baseId, mine: new Set() })
}

/**
 * Undo is shared by every process with the project open, but a process never undoes (or redoes)
 * what ANOTHER process did while this one had the project open: that is refused, with why.
 * Entries from before this process opened the project (an earlier session, a restart) stay
 * undoable, as they always were (decision: per-session undo would lose undo across restarts).
 */
function checkOwn(db: DB, h: { id: number; label: string; created_at: number }, verb: string): void {
  const s = sessions.get(db)
  if (!s || s.mine.has(h.id)) return
  if (h.id > s.baseId || h.created_at >= s.openedAt) {
    throw new StudioError(
      'conflict',
      `cannot ${verb} "${h.label}": another process (a second window, server or command line) made that edit while this one had the project open; ${verb} it there`,
    )
  }
}

/**
 * Run `fn` as one transaction that also records one history entry made of the ops `fn` pushes.
 * A new edit clears the redo stack. Throwing inside `fn` rolls everything back.
 */
export function edit<T>(db: DB, label: string, fn: (ops: Op[]) => T): T {
  return writeTransaction(db, () => {
    const ops: Op[] = []
    const result = fn(ops)
    if (ops.length > 0) {
      db.prepare('DELETE FROM history WHERE undone = 1').run()
      const id = db
        .prepare('INSERT INTO history (label, ops, created_at) VALUES (?, ?, ?)')
        .run(label, JSON.stringify(ops), Date.now()).lastInsertRowid
      sessions.get(db)?.mine.add(Number(id))
      db
        .prepare('DELETE FROM history WHERE id <= (SELECT max(id) FROM history) - ?')
        .run(HISTORY_LIMIT)
    }
    return result
  })
}

export function undo(db: DB): HistoryResult {
  return writeTransaction(db, () => {
    const h = db.prepare('SELECT * FROM history WHERE undone = 0 ORDER BY id DESC LIMIT 1').get() as
      | { id: number; label: string; ops: string; created_at: number }
      | undefined
    if (!h) return { label: null, titleIds: [], kinds: [], ...canUndoRedo(db) }
    checkOwn(db, h, 'undo')
    const ops = JSON.parse(h.ops) as Op[]
    for (let i = ops.length - 1; i >= 0; i--) applyOp(db, invert(ops[i]!), h.label, 'undo')
    db.prepare('UPDATE history SET undone = 1 WHERE id = ?').run(h.id)
    return { label: h.label, titleIds: titleIdsOf(ops), kinds: kindsOf(ops), ...canUndoRedo(db) }
  })
}

export function redo(db: DB): HistoryResult {
  return writeTransaction(db, () => {
    const h = db.prepare('SELECT * FROM history WHERE undone = 1 ORDER BY id ASC LIMIT 1').get() as
      | { id: number; label: string; ops: string; created_at: number }
      | undefined
    if (!h) return { label: null, titleIds: [], kinds: [], ...canUndoRedo(db) }
    checkOwn(db, h, 'redo')
    const ops = JSON.parse(h.ops) as Op[]
    for (const op of ops) applyOp(db, op, h.label, 'redo')
    db.prepare('UPDATE history SET undone = 0 WHERE id = ?').run(h.id)
    return { label: h.label, titleIds: titleIdsOf(ops), kinds: kindsOf(ops), ...canUndoRedo(db) }
  })
}

export function canUndoRedo(db: DB): { canUndo: boolean; canRedo: boolean } {
  const r = db
    .prepare('SELECT sum(undone = 0) AS u, sum(undone = 1) AS r FROM history')
    .get() as { u: number | null; r: number | null }
  return { canUndo: (r.u ?? 0) > 0, canRedo: (r.r ?? 0) > 0 }
}

function applyOp(db: DB, op: Op, label: string, verb: string): void {
  try {
    switch (op.k) {
      case 'span+':
        checkSpanPlace(db, op.row.title_id, op.row.start, op.row.end, op.row.id)
        insertSpanRow(db, op.row, true)
        touch(db, op.row.title_id)
        break
      case 'span-':
        db.prepare('DELETE FROM spans WHERE id = ?').run(op.row.id)
        touch(db, op.row.title_id)
        break
      case 'span~':
        checkSpanPlace(db, op.after.title_id, op.after.start, op.after.end, op.after.id)
        updateSpanRow(db, op.after)
        touch(db, op.after.title_id)
        break
      case 'status':
        db.prepare('UPDATE titles SET status = ?, updated_at = ? WHERE id = ?').run(op.after, Date.now(), op.titleId)
        break
      case 'type+':
        insertTypeRow(db, op.row, true)
        break
      case 'type-':
        db.prepare('DELETE FROM entity_types WHERE id = ?').run(op.row.id)
        break
      case 'type~':
        updateTypeRow(db, op.after)
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
    insertSpanRow(db, { ...s, run_id: run }, true)
  }
  const insPred = db.prepare('INSERT INTO predictions (run_id, title_id, spans) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?)')
  for (const p of rec.predictions) insPred.run(p.run_id, rec.row.id, p.spans, p.run_id)
  const insDict = db.prepare(
    'INSERT INTO dictionary_spans (span_id, dictionary_id) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM dictionaries WHERE id = ?)',
  )
  for (const d of rec.dictionarySpans) insDict.run(d.span_id, d.dictionary_id, d.dictionary_id)
}

const KIND: Record<Op['k'], ChangeKind> = {
  'span+': 'spans',
  'span-': 'spans',
  'span~': 'spans',
  status: 'titles',
  split: 'titles',
  'type+': 'types',
  'type-': 'types',
  'type~': 'types',
  'title+': 'project',
  'title-': 'project',
}

/** The kinds of rows a history step touches. */
function kindsOf(ops: Op[]): ChangeKind[] {
  return [...new Set(ops.map((op) => KIND[op.k]))]
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
