// Data management on many titles at once: mark reviewed/unreviewed, move to a split,
// delete titles, delete the spans of one origin — over the list's filter or a selection of ids —
// and the seeded random re-split. Each is ONE transaction and ONE history entry, so one undo
// reverses all of it; `dryRun` counts what would change and writes nothing (the confirmation).

import type { TitleQuery } from '../../shared/api'
import type { BulkAction, BulkRequest, BulkResult, ResplitRequest, ResplitResult, TitleTarget } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import { ORIGINS, REVIEW_STATUSES, SPLITS, type ReviewStatus, type Split } from '../../shared/types'
import { makeRng, shuffle } from '../../ml/train/rng'
import type { Project } from '../project/project'
import { edit, titleRecord } from '../project/history'
import type { SpanRow } from '../project/rows'
import { titleWhere } from './titles'

/** The ids of the target titles, ascending. Paging fields of a query are ignored: a filter means all of it. */
export function targetIds(project: Project, target: TitleTarget): number[] {
  if (target && 'ids' in target) {
    if (!Array.isArray(target.ids) || !target.ids.every((id) => Number.isInteger(id))) {
      throw new StudioError('bad_request', 'ids must be an array of title ids')
    }
    const ids = [...new Set(target.ids)].sort((a, b) => a - b)
    const exists = project.db.prepare('SELECT 1 FROM titles WHERE id = ?')
    for (const id of ids) if (!exists.get(id)) throw new StudioError('not_found', `no title with id ${id}`)
    return ids
  }
  if (!target || typeof target.query !== 'object' || target.query === null) {
    throw new StudioError('bad_request', 'the target is {query: a title filter} or {ids: [title ids]}')
  }
  const { offset: _o, limit: _l, skipTotal: _s, ...q } = target.query as TitleQuery
  const { where, params } = titleWhere(q)
  const w = where.length ? `WHERE ${where.join(' AND ')}` : ''
  return (project.db.prepare(`SELECT t.id FROM titles t ${w} ORDER BY t.id`).pluck().all(...params) as number[])
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

function checkAction(a: BulkAction): void {
  if (!a || typeof a !== 'object') throw new StudioError('bad_request', 'an action is {mark}, {moveTo}, {deleteTitles} or {deleteSpans}')
  if ('mark' in a && !REVIEW_STATUSES.includes(a.mark)) throw new StudioError('bad_request', `unknown status "${String(a.mark)}"`)
  if ('moveTo' in a && !SPLITS.includes(a.moveTo)) throw new StudioError('bad_request', `unknown split "${String(a.moveTo)}"`)
  if ('deleteSpans' in a && !ORIGINS.includes(a.deleteSpans)) {
    throw new StudioError('bad_request', `unknown origin "${String(a.deleteSpans)}" (${ORIGINS.join(', ')})`)
  }
  if (!('mark' in a) && !('moveTo' in a) && !('deleteSpans' in a) && !('deleteTitles' in a && a.deleteTitles === true)) {
    throw new StudioError('bad_request', 'an action is {mark}, {moveTo}, {deleteTitles: true} or {deleteSpans}')
  }
}

/** Apply (or with dryRun, count) one bulk action on the target titles. */
export function bulkTitles(project: Project, req: BulkRequest): BulkResult {
  checkAction(req.action)
  const db = project.db
  const ids = targetIds(project, req.target)
  const a = req.action
  const statusOf = db.prepare('SELECT status, split FROM titles WHERE id = ?')
  if ('mark' in a || 'moveTo' in a) {
    const field = 'mark' in a ? 'status' : 'split'
    const value = 'mark' in a ? a.mark : a.moveTo
    const changing = ids.filter((id) => (statusOf.get(id) as Record<string, string>)[field] !== value)
    const label = 'mark' in a ? `mark ${plural(changing.length, 'title')} ${a.mark}` : `move ${plural(changing.length, 'title')} to ${a.moveTo}`
    const result = { titles: ids.length, changed: changing.length, spans: 0, label, applied: false }
    if (req.dryRun || changing.length === 0) return result
    edit(db, label, (ops) => {
      const set = db.prepare(`UPDATE titles SET ${field} = ?, updated_at = ? WHERE id = ?`)
      const now = Date.now()
      for (const id of changing) {
        const before = (statusOf.get(id) as Record<string, string>)[field]
        set.run(value, now, id)
        if ('mark' in a) ops.push({ k: 'status', titleId: id, before: before as ReviewStatus, after: a.mark })
        else ops.push({ k: 'split', titleId: id, before: before as Split, after: a.moveTo })
      }
    })
    return { ...result, applied: true }
  }
  if ('deleteSpans' in a) {
    const spansOf = db.prepare('SELECT * FROM spans WHERE title_id = ? AND origin = ? ORDER BY start')
    const rows: SpanRow[] = []
    let changed = 0
    for (const id of ids) {
      const r = spansOf.all(id, a.deleteSpans) as SpanRow[]
      if (r.length) changed++
      rows.push(...r)
    }
    const label = `delete ${plural(rows.length, `${a.deleteSpans} span`)} in ${plural(changed, 'title')}`
    const result = { titles: ids.length, changed, spans: rows.length, label, applied: false }
    if (req.dryRun || rows.length === 0) return result
    edit(db, label, (ops) => {
      const del = db.prepare('DELETE FROM spans WHERE id = ?')
      for (const row of rows) {
        del.run(row.id)
        ops.push({ k: 'span-', row })
      }
    })
    return { ...result, applied: true }
  }
  // deleteTitles: each title goes with its spans, predictions and dictionary links; undo restores them.
  const { n: spans } =
    ids.length === 0
      ? { n: 0 }
      : (db
          .prepare(`SELECT count(*) AS n FROM spans WHERE title_id IN (SELECT value FROM json_each(?))`)
          .get(JSON.stringify(ids)) as { n: number })
  const label = `delete ${plural(ids.length, 'title')}`
  const result = { titles: ids.length, changed: ids.length, spans, label, applied: false }
  if (req.dryRun || ids.length === 0) return result
  edit(db, label, (ops) => {
    const del = db.prepare('DELETE FROM titles WHERE id = ?')
    for (const id of ids) {
      const rec = titleRecord(db, id)!
      del.run(id)
      ops.push({ k: 'title-', rec })
    }
  })
  return { ...result, applied: true }
}

/**
 * Move a seeded random share of one split's titles to dev and test. The same titles, fractions and
 * seed give the same assignment on any machine (mulberry32 over the ids in ascending order).
 */
export function resplit(project: Project, req: ResplitRequest): ResplitResult {
  if (!SPLITS.includes(req.from)) throw new StudioError('bad_request', `unknown split "${String(req.from)}"`)
  for (const [k, v] of [['dev', req.dev], ['test', req.test]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) {
      throw new StudioError('bad_request', `--${k} must be a fraction in [0, 1), got ${String(v)}`)
    }
  }
  if (req.dev + req.test >= 1) throw new StudioError('bad_request', `dev + test must stay below 1 (got ${req.dev + req.test})`)
  if (!Number.isInteger(req.seed)) throw new StudioError('bad_request', `the seed must be an integer, got ${String(req.seed)}`)
  const db = project.db
  const ids = db.prepare('SELECT id FROM titles WHERE split = ? ORDER BY id').pluck().all(req.from) as number[]
  const order = shuffle([...ids], makeRng(req.seed))
  const nDev = Math.round(ids.length * req.dev)
  const nTest = Math.round(ids.length * req.test)
  const moves: [number, Split][] = []
  if (req.from !== 'dev') for (const id of order.slice(0, nDev)) moves.push([id, 'dev'])
  if (req.from !== 'test') for (const id of order.slice(nDev, nDev + nTest)) moves.push([id, 'test'])
  const label = `re-split ${plural(ids.length, `${req.from} title`)}: ${nDev} to dev, ${nTest} to test (seed ${req.seed})`
  const result = { titles: ids.length, dev: nDev, test: nTest, label, applied: false }
  if (req.dryRun || moves.length === 0) return result
  edit(db, label, (ops) => {
    const set = db.prepare('UPDATE titles SET split = ?, updated_at = ? WHERE id = ?')
    const now = Date.now()
    for (const [id, to] of moves) {
      set.run(to, now, id)
      ops.push({ k: 'split', titleId: id, before: req.from, after: to })
    }
  })
  return { ...result, applied: true }
}
