// Spans a person edits: create, move, retype, delete, accept a title's spans (label every
// occurrence: spans/occurrences.ts). Each is one transaction and one history entry; an edited span becomes gold.

import type { SpanCreate, SpanUpdate } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import type { Span } from '../../shared/types'
import type { DB } from '../../store/db'
import { edit } from '../project/history'
import { asGold, checkSpanPlace, insertSpanRow, spanById, spanRow, toSpan, touch, typeByName, updateSpanRow, type SpanRow } from '../project/rows'

export function spansOf(db: DB, titleId: number): Span[] {
  const rows = db
    .prepare(
      `SELECT s.*, t.name AS type FROM spans s JOIN entity_types t ON t.id = s.type_id
        WHERE s.title_id = ? ORDER BY s.start`,
    )
    .all(titleId) as (SpanRow & { type: string })[]
  return rows.map(toSpan)
}

export function createSpan(db: DB, args: SpanCreate): Span {
  const typeRow = typeByName(db, String(args.type))
  if (!typeRow) throw new StudioError('not_found', `no entity type named "${args.type}"`)
  const id = edit(db, `create span ${typeRow.name}`, (ops) => {
    checkSpanPlace(db, args.titleId, args.start, args.end, null)
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
    row.id = insertSpanRow(db, row)
    touch(db, row.title_id)
    ops.push({ k: 'span+', row })
    return row.id
  })
  return spanById(db, id)
}

/** Move a boundary or change the type. An edited span becomes gold: a person has confirmed it. */
export function updateSpan(db: DB, args: SpanUpdate): Span {
  const before = spanRow(db, args.id)
  const after: SpanRow = asGold(before)
  if (args.start !== undefined) after.start = args.start
  if (args.end !== undefined) after.end = args.end
  let typeName: string | null = null
  if (args.type !== undefined) {
    const t = typeByName(db, String(args.type))
    if (!t) throw new StudioError('not_found', `no entity type named "${args.type}"`)
    after.type_id = t.id
    typeName = t.name
  }
  edit(db, `edit span${typeName ? ` ${typeName}` : ''}`, (ops) => {
    checkSpanPlace(db, after.title_id, after.start, after.end, after.id)
    updateSpanRow(db, after)
    touch(db, after.title_id)
    ops.push({ k: 'span~', before, after })
  })
  return spanById(db, args.id)
}

/** The title a span belongs to. */
export function titleOfSpan(db: DB, id: number): number {
  return spanRow(db, id).title_id
}

export function deleteSpan(db: DB, id: number): { deleted: number } {
  const row = spanRow(db, id)
  return edit(db, 'delete span', (ops) => {
    db.prepare('DELETE FROM spans WHERE id = ?').run(id)
    touch(db, row.title_id)
    ops.push({ k: 'span-', row })
    return { deleted: 1 }
  })
}

/** Confirm every weak/dictionary/model span of a title: they become gold. One history entry. */
export function acceptAll(db: DB, titleId: number): { accepted: number } {
  const t = db.prepare('SELECT id FROM titles WHERE id = ?').get(titleId)
  if (!t) throw new StudioError('not_found', `no title with id ${titleId}`)
  return edit(db, 'accept all spans', (ops) => {
    const rows = db.prepare(`SELECT * FROM spans WHERE title_id = ? AND origin != 'gold'`).all(titleId) as SpanRow[]
    for (const before of rows) {
      const after: SpanRow = asGold(before)
      updateSpanRow(db, after)
      ops.push({ k: 'span~', before, after })
    }
    if (rows.length) touch(db, titleId)
    return { accepted: rows.length }
  })
}

