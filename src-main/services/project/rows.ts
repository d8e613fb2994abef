// Rows as stored, and the small reads and checks every domain's edits share: one span or type by
// id or name, the flat-span rule, a title's updated_at. The SQL of the spans and entity_types
// tables' rows lives here and in the domain modules that own them.

import { StudioError } from '../../shared/errors'
import type { EntityType, Origin, Span } from '../../shared/types'
import type { DB } from '../../store/db'

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

export interface TypeRow {
  id: number
  name: string
  color: string
  hotkey: string | null
  description: string
  created_at: number
}

/** A span a person confirmed: gold, no longer tied to a run or a confidence. */
export function asGold(row: SpanRow): SpanRow {
  return { ...row, origin: 'gold', run_id: null, confidence: null }
}

export function typeById(db: DB, id: number): TypeRow {
  const row = db.prepare('SELECT * FROM entity_types WHERE id = ?').get(id) as TypeRow | undefined
  if (!row) throw new StudioError('not_found', `no entity type with id ${id}`)
  return row
}

export function typeByName(db: DB, name: string): TypeRow | undefined {
  return db.prepare('SELECT * FROM entity_types WHERE name = ?').get(name) as TypeRow | undefined
}

export function spanRow(db: DB, id: number): SpanRow {
  const row = db.prepare('SELECT * FROM spans WHERE id = ?').get(id) as SpanRow | undefined
  if (!row) throw new StudioError('not_found', `no span with id ${id}`)
  return row
}

export function spanById(db: DB, id: number): Span {
  const row = db
    .prepare('SELECT s.*, t.name AS type FROM spans s JOIN entity_types t ON t.id = s.type_id WHERE s.id = ?')
    .get(id) as SpanRow & { type: string }
  return toSpan(row)
}

/** Throws unless [start, end) lies inside the title and overlaps no other span of it (entities are flat). */
export function checkSpanPlace(db: DB, titleId: number, start: number, end: number, selfId: number | null): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) {
    throw new StudioError('bad_request', `invalid span [${start}, ${end}): need 0 <= start < end`)
  }
  const t = db.prepare('SELECT length FROM titles WHERE id = ?').get(titleId) as { length: number } | undefined
  if (!t) throw new StudioError('not_found', `no title with id ${titleId}`)
  if (end > t.length) {
    throw new StudioError('bad_request', `span [${start}, ${end}) ends past the title (${t.length} characters)`)
  }
  const other = db
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

export function touch(db: DB, titleId: number): void {
  db.prepare('UPDATE titles SET updated_at = ? WHERE id = ?').run(Date.now(), titleId)
}

/** A count of 0 for each key. */
export function zero<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>
}

export function insertSpanRow(db: DB, r: SpanRow, withId = false): number {
  const info = db
    .prepare(
      `INSERT INTO spans (id, title_id, start, end, type_id, origin, run_id, confidence, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(withId ? r.id : null, r.title_id, r.start, r.end, r.type_id, r.origin, r.run_id, r.confidence, r.created_at)
  return Number(info.lastInsertRowid)
}

export function updateSpanRow(db: DB, r: SpanRow): void {
  db.prepare(
    'UPDATE spans SET start = ?, end = ?, type_id = ?, origin = ?, run_id = ?, confidence = ? WHERE id = ?',
  ).run(r.start, r.end, r.type_id, r.origin, r.run_id, r.confidence, r.id)
}

export function insertTypeRow(db: DB, r: TypeRow, withId = false): number {
  const info = db
    .prepare('INSERT INTO entity_types (id, name, color, hotkey, description, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(withId ? r.id : null, r.name, r.color, r.hotkey, r.description, r.created_at)
  return Number(info.lastInsertRowid)
}

export function updateTypeRow(db: DB, r: TypeRow): void {
  db.prepare('UPDATE entity_types SET name = ?, color = ?, hotkey = ?, description = ? WHERE id = ?').run(
    r.name,
    r.color,
    r.hotkey,
    r.description,
    r.id,
  )
}

export function toSpan(r: SpanRow & { type: string }): Span {
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

export function toEntityType(r: TypeRow & { span_count: number }): EntityType {
  return { id: r.id, name: r.name, color: r.color, hotkey: r.hotkey, description: r.description, spanCount: r.span_count }
}
