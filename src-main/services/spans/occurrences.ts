// Alt+L, "label every occurrence": the selected span's text everywhere gets
// the span's type as gold. A place that already carries a weak, dictionary or model span with the
// same boundaries is confirmed (that span becomes gold of this type: the analyst confirms it); a
// place overlapping anything else is skipped. Reviewed titles and the dev/test splits (evaluation
// data) are left alone unless `includeProtected` — the preview (`dryRun`) counts them so the screen
// can say so before anything is written. One transaction, one history entry.

import type { OccurrencesRequest, OccurrencesResult } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import { cpLength, cpSlice } from '../../shared/text'
import type { Project } from '../project/project'
import { edit } from '../project/history'
import type { SpanRow } from '../project/rows'

export function labelOccurrences(project: Project, req: OccurrencesRequest): OccurrencesResult {
  const db = project.db
  const src = db.prepare('SELECT * FROM spans WHERE id = ?').get(req.spanId) as SpanRow | undefined
  if (!src) throw new StudioError('not_found', `no span with id ${req.spanId}`)
  const title = db.prepare('SELECT text FROM titles WHERE id = ?').get(src.title_id) as { text: string }
  const needle = cpSlice(title.text, src.start, src.end)
  const len = src.end - src.start
  const { name: typeName } = db.prepare('SELECT name FROM entity_types WHERE id = ?').get(src.type_id) as { name: string }
  const candidates = db
    .prepare('SELECT id, text, status, split FROM titles WHERE instr(text, ?) > 0 ORDER BY id')
    .all(needle) as { id: number; text: string; status: string; split: string }[]
  const overlapping = db.prepare('SELECT * FROM spans WHERE title_id = ? AND start < ? AND end > ?')
  const creates: SpanRow[] = []
  const confirms: SpanRow[] = []
  let skipped = 0
  let protectedPlaces = 0
  const titleIds = new Set<number>()
  const now = Date.now()
  for (const c of candidates) {
    const isProtected = c.status === 'reviewed' || c.split === 'dev' || c.split === 'test'
    let from = 0
    for (;;) {
      const at = c.text.indexOf(needle, from)
      if (at < 0) break
      from = at + needle.length
      const start = cpLength(c.text.slice(0, at))
      const end = start + len
      if (c.id === src.title_id && start === src.start) continue
      const over = overlapping.all(c.id, end, start) as SpanRow[]
      const same = over.length === 1 && over[0]!.start === start && over[0]!.end === end ? over[0]! : null
      if (same?.origin === 'gold' && same.type_id === src.type_id) continue // already labelled so by a person
      if (over.length && (!same || same.origin === 'gold')) {
        skipped++
        continue
      }
      if (isProtected && !req.includeProtected) {
        protectedPlaces++
        continue
      }
      if (same) confirms.push(same)
      else creates.push({ id: 0, title_id: c.id, start, end, type_id: src.type_id, origin: 'gold', run_id: null, confidence: null, created_at: now })
      titleIds.add(c.id)
    }
  }
  const result: OccurrencesResult = {
    created: creates.length,
    confirmed: confirms.length,
    skipped,
    protected: protectedPlaces,
    titleIds: [...titleIds],
    applied: false,
  }
  if (req.dryRun || creates.length + confirms.length === 0) return result
  edit(db, `label every "${needle}" as ${typeName}`, (ops) => {
    const ins = db.prepare(
      'INSERT INTO spans (title_id, start, end, type_id, origin, run_id, confidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    )
    for (const row of creates) {
      row.id = Number(ins.run(row.title_id, row.start, row.end, row.type_id, 'gold', null, null, row.created_at).lastInsertRowid)
      ops.push({ k: 'span+', row })
    }
    const upd = db.prepare(`UPDATE spans SET type_id = ?, origin = 'gold', run_id = NULL, confidence = NULL WHERE id = ?`)
    for (const before of confirms) {
      upd.run(src.type_id, before.id)
      ops.push({ k: 'span~', before, after: { ...before, type_id: src.type_id, origin: 'gold', run_id: null, confidence: null } })
    }
    const touch = db.prepare('UPDATE titles SET updated_at = ? WHERE id = ?')
    for (const id of titleIds) touch.run(now, id)
  })
  return { ...result, applied: true }
}
