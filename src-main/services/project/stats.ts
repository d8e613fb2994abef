// Project statistics: titles per split and status, spans per origin and type, runs.

import { ORIGINS, REVIEW_STATUSES, SPLITS, type Origin, type ProjectStats, type ReviewStatus, type Split } from '../../shared/types'
import type { DB } from '../../store/db'
import { zero } from './rows'

export function stats(db: DB, path: string): ProjectStats {
  const bySplit = zero(SPLITS)
  const byStatus = zero(REVIEW_STATUSES)
  const bySplitStatus = db
    .prepare('SELECT split, status, count(*) AS count FROM titles GROUP BY split, status ORDER BY split, status')
    .all() as { split: Split; status: ReviewStatus; count: number }[]
  let titles = 0
  for (const r of bySplitStatus) {
    bySplit[r.split] += r.count
    byStatus[r.status] += r.count
    titles += r.count
  }
  const byOrigin = zero(ORIGINS)
  const typeRows = db
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
  const { n: runs } = db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }
  return {
    path: path,
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
