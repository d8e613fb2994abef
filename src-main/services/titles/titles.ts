// Titles: the filtered, paged list and its counts, next/previous in a filter, one title with its
// spans, review status (an undoable edit).

import type { CountsQuery, Neighbor, NeighborQuery, TitleCounts, TitleListItem, TitlePage, TitleQuery } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import { parseWords } from '../../shared/text'
import { ORIGINS, REVIEW_STATUSES, SPLITS, type Origin, type ReviewStatus, type Split, type TitleWithSpans } from '../../shared/types'
import type { DB } from '../../store/db'
import { edit } from '../project/history'
import { zero } from '../project/rows'
import { spansOf } from '../spans/spans'

/** The WHERE clause of a title query; `skip` leaves one facet out (for counts per filter value). */
export function titleWhere(q: TitleQuery, skip?: 'split' | 'status' | 'origin'): { where: string[]; params: unknown[] } {
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
    where.push('instr(fold(t.text), fold(?)) > 0')
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

export function listTitles(db: DB, q: TitleQuery = {}): TitlePage {
  const { where, params } = titleWhere(q)
  const w = where.length ? `WHERE ${where.join(' AND ')}` : ''
  const offset = Math.max(0, Math.floor(q.offset ?? 0))
  const limit = Math.min(1000, Math.max(1, Math.floor(q.limit ?? 100)))
  const { n } = q.skipTotal
    ? { n: -1 }
    : (db.prepare(`SELECT count(*) AS n FROM titles t ${w}`).get(...params) as { n: number })
  const items = db
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
export function countTitles(db: DB, q: CountsQuery = {}): TitleCounts {
  const base = titleWhere({ ...q, split: undefined, status: undefined })
  const w = base.where.length ? `WHERE ${base.where.join(' AND ')}` : ''
  const rows = db
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
    const c = titleWhere(q, 'origin')
    const extra = c.where.length ? `AND ${c.where.join(' AND ')}` : ''
    const stmt = db.prepare(
      `SELECT count(DISTINCT s.title_id) AS n FROM spans s JOIN titles t ON t.id = s.title_id WHERE s.origin = ? ${extra}`,
    )
    for (const o of ORIGINS) byOrigin[o] = (stmt.get(o, ...c.params) as { n: number }).n
  }
  return { total, bySplit, byStatus, byOrigin }
}

/** The next/previous title of a filtered list (ordered by id), and its index in that list. */
export function neighbor(db: DB, args: NeighborQuery): Neighbor {
  const { where, params } = titleWhere(args.query ?? {})
  const dir = args.direction === 'prev' ? 'prev' : 'next'
  const w2 = [...where, dir === 'next' ? 't.id > ?' : 't.id < ?']
  const p2 = [...params, args.id]
  if (args.unreviewed) w2.push(`t.status = 'unreviewed'`)
  const row = db
    .prepare(`SELECT t.id FROM titles t WHERE ${w2.join(' AND ')} ORDER BY t.id ${dir === 'next' ? 'ASC' : 'DESC'} LIMIT 1`)
    .get(...p2) as { id: number } | undefined
  if (!row) return { id: null, index: -1 }
  const w3 = [...where, 't.id < ?']
  const { n } = db.prepare(`SELECT count(*) AS n FROM titles t WHERE ${w3.join(' AND ')}`).get(...params, row.id) as {
    n: number
  }
  return { id: row.id, index: n }
}

export function getTitle(db: DB, id: number): TitleWithSpans {
  const t = db.prepare('SELECT * FROM titles WHERE id = ?').get(id) as
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
    words: parseWords(t.words),
    createdAt: t.created_at,
    updatedAt: t.updated_at,
    spans: spansOf(db, id),
  }
}

export function setStatus(db: DB, ids: number[], status: ReviewStatus): { changed: number } {
  if (!REVIEW_STATUSES.includes(status)) throw new StudioError('bad_request', `unknown status "${status}"`)
  if (!Array.isArray(ids)) throw new StudioError('bad_request', 'ids must be an array of title ids')
  return edit(db, `mark ${ids.length} title(s) ${status}`, (ops) => {
    const get = db.prepare('SELECT status FROM titles WHERE id = ?')
    const set = db.prepare('UPDATE titles SET status = ?, updated_at = ? WHERE id = ?')
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
