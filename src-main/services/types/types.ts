// Entity types: list, create, edit, merge, delete (each one undoable edit), and the lookups the
// importers use to create types on the fly.

import type { TypeCreate, TypeUpdate } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import { cpLength } from '../../shared/text'
import type { EntityType } from '../../shared/types'
import type { DB } from '../../store/db'
import { edit } from '../project/history'
import { insertTypeRow, toEntityType, typeById, typeByName, updateTypeRow, type SpanRow, type TypeRow } from '../project/rows'
import { colorFor, isColor } from './palette'
import { assignHotkeys, clash, hotkeyProblem, showHotkey } from '../../shared/hotkeys'

const MAX_TYPE_NAME = 100

export function listTypes(db: DB): EntityType[] {
  const rows = db
    .prepare(
      `SELECT t.*, (SELECT count(*) FROM spans s WHERE s.type_id = t.id) AS span_count
         FROM entity_types t ORDER BY span_count DESC, t.name`,
    )
    .all() as (TypeRow & { span_count: number })[]
  return rows.map(toEntityType)
}

function entityType(db: DB, id: number): EntityType {
  const row = typeById(db, id)
  const { n } = db.prepare('SELECT count(*) AS n FROM spans WHERE type_id = ?').get(id) as { n: number }
  return toEntityType({ ...row, span_count: n })
}

export function createType(db: DB, args: TypeCreate): EntityType {
  const name = checkTypeName(args.name)
  if (typeByName(db, name)) throw new StudioError('conflict', `an entity type named "${name}" already exists`)
  const { n } = db.prepare('SELECT count(*) AS n FROM entity_types').get() as { n: number }
  const row: TypeRow = {
    id: 0,
    name,
    color: args.color === undefined ? colorFor(n) : checkColor(args.color),
    hotkey: checkHotkey(args.hotkey ?? null),
    description: args.description ?? '',
    created_at: Date.now(),
  }
  assertHotkeyFree(db, row.hotkey, null)
  const id = edit(db, `create type ${name}`, (ops) => {
    row.id = insertTypeRow(db, row)
    ops.push({ k: 'type+', row: { ...row } })
    return row.id
  })
  return entityType(db, id)
}

export function updateType(db: DB, args: TypeUpdate): EntityType {
  const before = typeById(db, args.id)
  const after: TypeRow = { ...before }
  if (args.name !== undefined) {
    after.name = checkTypeName(args.name)
    const other = typeByName(db, after.name)
    if (other && other.id !== before.id) {
      throw new StudioError('conflict', `an entity type named "${after.name}" already exists; merge the two instead`)
    }
  }
  if (args.color !== undefined) after.color = checkColor(args.color)
  if (args.hotkey !== undefined) after.hotkey = checkHotkey(args.hotkey)
  if (args.description !== undefined) after.description = String(args.description)
  assertHotkeyFree(db, after.hotkey, before.id)
  edit(db, `edit type ${after.name}`, (ops) => {
    updateTypeRow(db, after)
    ops.push({ k: 'type~', before, after })
  })
  return entityType(db, before.id)
}

/** Move every span of `from` to `into`, then delete `from`. */
export function mergeTypes(db: DB, fromId: number, intoId: number): { moved: number } {
  if (fromId === intoId) throw new StudioError('bad_request', 'cannot merge an entity type into itself')
  const from = typeById(db, fromId)
  const into = typeById(db, intoId)
  return edit(db, `merge type ${from.name} into ${into.name}`, (ops) => {
    const rows = db.prepare('SELECT * FROM spans WHERE type_id = ?').all(fromId) as SpanRow[]
    const upd = db.prepare('UPDATE spans SET type_id = ? WHERE id = ?')
    for (const r of rows) {
      upd.run(intoId, r.id)
      ops.push({ k: 'span~', before: r, after: { ...r, type_id: intoId } })
    }
    db.prepare('DELETE FROM entity_types WHERE id = ?').run(fromId)
    ops.push({ k: 'type-', row: from })
    return { moved: rows.length }
  })
}

/** Delete a type and all its spans (the UI confirms with the count from listTypes first). */
export function deleteType(db: DB, id: number): { deletedSpans: number } {
  const row = typeById(db, id)
  return edit(db, `delete type ${row.name}`, (ops) => {
    const spans = db.prepare('SELECT * FROM spans WHERE type_id = ?').all(id) as SpanRow[]
    db.prepare('DELETE FROM spans WHERE type_id = ?').run(id)
    for (const s of spans) ops.push({ k: 'span-', row: s })
    db.prepare('DELETE FROM entity_types WHERE id = ?').run(id)
    ops.push({ k: 'type-', row })
    return { deletedSpans: spans.length }
  })
}

function assertHotkeyFree(db: DB, hotkey: string | null, selfId: number | null): void {
  if (hotkey === null) return
  const rows = db.prepare('SELECT id, name, hotkey FROM entity_types WHERE hotkey IS NOT NULL').all() as {
    id: number
    name: string
    hotkey: string
  }[]
  const other = rows.find((r) => r.id !== selfId && clash(r.hotkey, hotkey))
  if (!other) return
  throw new StudioError(
    'conflict',
    other.hotkey === hotkey
      ? `hotkey "${hotkey}" is already used by entity type "${other.name}"`
      : `hotkey "${showHotkey(hotkey)}" clashes with "${showHotkey(other.hotkey)}" of entity type "${other.name}" (one would be the first key of the other)`,
  )
}

/** Give every type without a hotkey one (shared/hotkeys.ts), most used types first. Outside history: for importers. */
export function fillHotkeys(db: DB): void {
  const all = listTypes(db)
  const set = db.prepare('UPDATE entity_types SET hotkey = ? WHERE id = ?')
  for (const [i, k] of assignHotkeys(all)) set.run(k, all[i]!.id)
}

/** The id of the type named `name`, created (outside history) if missing. For importers. */
export function ensureType(db: DB, name: string): number {
  // Look up the checked (trimmed) name, the one that would be stored: " 品牌" is 品牌.
  const checked = checkTypeName(name)
  const row = typeByName(db, checked)
  if (row) return row.id
  const { n } = db.prepare('SELECT count(*) AS n FROM entity_types').get() as { n: number }
  return insertTypeRow(db, {
    id: 0,
    name: checked,
    color: colorFor(n),
    hotkey: null,
    description: '',
    created_at: Date.now(),
  })
}

/** `ensureType` remembered by name: for labelling many spans in one go (import, weak labels, pre-annotation). */
export function typeIds(db: DB): (name: string) => number {
  const ids = new Map<string, number>()
  return (name) => {
    let id = ids.get(name)
    if (id === undefined) ids.set(name, (id = ensureType(db, name)))
    return id
  }
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
  if (typeof k !== 'string') throw new StudioError('bad_request', `a hotkey is one key or two, got ${JSON.stringify(k)}`)
  const key = k.toLowerCase()
  const problem = hotkeyProblem(key)
  if (problem) throw new StudioError('bad_request', problem)
  return key
}
