// Model spans (pre-annotation's output) under review: pick them by span, title or type at/above a
// confidence; accept (→ gold) or reject (delete), each one history entry.

import { StudioError } from '../../shared/errors'
import type { ModelSpanSelector } from '../../shared/runs'
import type { DB } from '../../store/db'
import { edit } from '../project/history'
import { asGold, spanRow, touch, typeByName, updateSpanRow, type SpanRow } from '../project/rows'

/** Model spans chosen by a selector: one span, every one of a title, or of a type at/above a confidence. */
function modelSpans(db: DB, sel: ModelSpanSelector): SpanRow[] {
  if ('spanId' in sel) {
    const row = spanRow(db, sel.spanId)
    if (row.origin !== 'model') throw new StudioError('bad_request', `span ${sel.spanId} is not a model span (origin ${row.origin})`)
    return [row]
  }
  if ('titleId' in sel) {
    return db.prepare("SELECT * FROM spans WHERE title_id = ? AND origin = 'model' ORDER BY start").all(sel.titleId) as SpanRow[]
  }
  if ('type' in sel) {
    const t = typeByName(db, String(sel.type))
    if (!t) throw new StudioError('not_found', `no entity type named "${sel.type}"`)
    // At or above minConfidence; with `below`, strictly below it (bulk reject of the unsure ones).
    const min = sel.minConfidence ?? 0
    const cmp = sel.below ? '<' : '>='
    const run = sel.runId !== undefined ? ' AND run_id = ?' : ''
    const args: unknown[] = [t.id, min]
    if (sel.runId !== undefined) args.push(sel.runId)
    return db
      .prepare(`SELECT * FROM spans WHERE type_id = ? AND origin = 'model' AND coalesce(confidence, 0) ${cmp} ?${run} ORDER BY title_id, start`)
      .all(...args) as SpanRow[]
  }
  throw new StudioError('bad_request', 'give spanId, titleId, or type (with minConfidence)')
}

/** How many model spans, in how many titles, a selector picks (a preview; changes nothing). */
export function countModelSpans(db: DB, sel: ModelSpanSelector): { spans: number; titles: number } {
  const rows = modelSpans(db, sel)
  return { spans: rows.length, titles: new Set(rows.map((r) => r.title_id)).size }
}

/** Accept model spans: they become gold. One history entry. */
export function acceptModelSpans(db: DB, sel: ModelSpanSelector): { changed: number; titleIds: number[] } {
  const rows = modelSpans(db, sel)
  const label = 'spanId' in sel ? 'accept model span' : 'titleId' in sel ? 'accept model spans of a title' : `accept model ${sel.type} spans`
  return edit(db, label, (ops) => {
    const ids = new Set<number>()
    for (const before of rows) {
      const after: SpanRow = asGold(before)
      updateSpanRow(db, after)
      ops.push({ k: 'span~', before, after })
      ids.add(before.title_id)
    }
    for (const id of ids) touch(db, id)
    return { changed: rows.length, titleIds: [...ids] }
  })
}

/** Reject model spans: they are deleted. One history entry. */
export function rejectModelSpans(db: DB, sel: ModelSpanSelector): { changed: number; titleIds: number[] } {
  const rows = modelSpans(db, sel)
  const label = 'spanId' in sel ? 'reject model span' : 'titleId' in sel ? 'reject model spans of a title' : `reject model ${sel.type} spans${sel.below ? ` below ${sel.minConfidence ?? 0}` : ''}`
  return edit(db, label, (ops) => {
    const ids = new Set<number>()
    const del = db.prepare('DELETE FROM spans WHERE id = ?')
    for (const row of rows) {
      del.run(row.id)
      ops.push({ k: 'span-', row })
      ids.add(row.title_id)
    }
    for (const id of ids) touch(db, id)
    return { changed: rows.length, titleIds: [...ids] }
  })
}
