// The review stream's queues (one stream in the editor, pluggable sources): the list's filter, the
// titles that disagree with a run (most disagreeing first), an Evaluate cell, the Pre-annotate queue
// in any of its uncertainty orders; and a run's suggestions for one title. Reads only: accepting a
// suggestion is an ordinary span edit (spans/spans.ts), so it is undone like any other.

import type { TitleQuery } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import type { PlainSpan } from '../../shared/tags'
import { STREAM_MAX, type ReviewQueue, type ReviewSource, type Suggestion } from '../../shared/review'
import { QUEUE_ORDER_TEXT } from '../../shared/runs'
import { SPLITS } from '../../shared/types'
import type { DB } from '../../store/db'
import { getRunRow } from '../runs/records'
import { evalTitles, preannotateQueue } from '../runs/evaluation'
import { titleWhere } from '../titles/titles'

const key = (s: PlainSpan): string => `${s.start}:${s.end}:${s.type}`

/** The titles of a source, in stream order. */
export function reviewQueue(db: DB, source: ReviewSource): ReviewQueue {
  if (!source || typeof source !== 'object') throw new StudioError('bad_request', 'review.queue needs a source')
  switch (source.kind) {
    case 'filter':
      return filterQueue(db, source.query ?? {})
    case 'disagreements':
      return disagreementQueue(db, source.runId, source.query ?? {})
    case 'cell': {
      if (!SPLITS.includes(source.split)) throw new StudioError('bad_request', `unknown split "${String(source.split)}"`)
      const r = evalTitles(db, source.runId, source.split, source.cell, STREAM_MAX)
      return { ids: r.titles.map((t) => t.id), total: r.total, label: `an Evaluate cell of run ${source.runId} (${source.split})`, runId: source.runId }
    }
    case 'uncertain': {
      if (source.runId !== undefined) getRunRow(db, source.runId)
      const order = source.order ?? 'least-confident'
      const q = preannotateQueue(db, { ...(source.runId !== undefined ? { runId: source.runId } : {}), order, limit: 1000 })
      const label = `${QUEUE_ORDER_TEXT[order].first}${source.runId !== undefined ? ` (run ${source.runId})` : ''}`
      return { ids: q.items.map((i) => i.id), total: q.total, label, runId: source.runId ?? null }
    }
    default:
      throw new StudioError('bad_request', `unknown queue kind "${(source as { kind: unknown }).kind}"`)
  }
}

function filterQueue(db: DB, query: TitleQuery): ReviewQueue {
  const { where, params } = titleWhere(query)
  const w = where.length ? `WHERE ${where.join(' AND ')}` : ''
  const { n } = db.prepare(`SELECT count(*) AS n FROM titles t ${w}`).get(...params) as { n: number }
  const ids = (db.prepare(`SELECT t.id FROM titles t ${w} ORDER BY t.id LIMIT ?`).all(...params, STREAM_MAX) as { id: number }[]).map((r) => r.id)
  const runId = query.disagreesWith ?? null
  return { ids, total: n, label: 'the filtered list', runId }
}

/**
 * Titles whose stored spans (gold, weak, dictionary — not model) differ from run `runId`'s
 * predictions, within `query`; the same titles as the list's "disagrees with run" filter, ordered by
 * how many spans differ (predicted but not stored, plus stored but not predicted), then by id.
 */
export function disagreementQueue(db: DB, runId: number, query: TitleQuery = {}): ReviewQueue {
  if (!Number.isInteger(runId)) throw new StudioError('bad_request', 'disagreements need a run id')
  getRunRow(db, runId)
  const { where, params } = titleWhere({ ...query, disagreesWith: runId })
  const rows = db
    .prepare(`SELECT t.id, p.spans FROM titles t JOIN predictions p ON p.run_id = ? AND p.title_id = t.id WHERE ${where.join(' AND ')}`)
    .all(runId, ...params) as { id: number; spans: string }[]
  const stored = db.prepare(
    `SELECT s.start, s.end, e.name AS type FROM spans s JOIN entity_types e ON e.id = s.type_id WHERE s.title_id = ? AND s.origin != 'model'`,
  )
  const scored = rows.map((r) => {
    const pred = new Set((JSON.parse(r.spans) as Suggestion[]).map(key))
    const have = new Set((stored.all(r.id) as Suggestion[]).map(key))
    let d = 0
    for (const k of pred) if (!have.has(k)) d++
    for (const k of have) if (!pred.has(k)) d++
    return { id: r.id, d }
  })
  scored.sort((a, b) => b.d - a.d || a.id - b.id)
  const top = scored.slice(0, STREAM_MAX)
  return { ids: top.map((s) => s.id), total: scored.length, label: `disagreements with run ${runId}, most first`, runId, differences: top.map((s) => s.d) }
}

/** What run `runId` predicted for a title: its stored prediction, else the title's model spans of that run. */
export function suggestions(db: DB, runId: number, titleId: number): Suggestion[] {
  getRunRow(db, runId)
  if (!db.prepare('SELECT 1 FROM titles WHERE id = ?').get(titleId)) throw new StudioError('not_found', `no title with id ${titleId}`)
  const row = db.prepare('SELECT spans FROM predictions WHERE run_id = ? AND title_id = ?').get(runId, titleId) as { spans: string } | undefined
  const out: Suggestion[] = row
    ? (JSON.parse(row.spans) as Suggestion[]).map((s) => ({ start: s.start, end: s.end, type: s.type, confidence: s.confidence ?? null }))
    : (db
        .prepare(
          `SELECT s.start, s.end, e.name AS type, s.confidence FROM spans s JOIN entity_types e ON e.id = s.type_id
            WHERE s.title_id = ? AND s.origin = 'model' AND s.run_id = ?`,
        )
        .all(titleId, runId) as Suggestion[])
  return out.sort((a, b) => a.start - b.start || a.end - b.end)
}
