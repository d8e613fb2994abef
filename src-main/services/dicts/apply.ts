// Weak labelling: label titles by longest match over the chosen dictionaries, as `dictionary` spans.
//
// Rules (see docs/architecture.md, "Weak labelling"):
// - A match never replaces or overlaps an existing span: gold, weak, dictionary or model spans all
//   stay, and a match that overlaps one is skipped (counted). `replace` first removes the still
//   unconfirmed spans the chosen dictionaries made before, within the scope.
// - Matching is maximal munch over the union of the chosen dictionaries; a term present in several
//   keeps the type of the first dictionary listed.
// - Applying is ONE transaction and NOT an undo step (like an import): its reversal is `replace`
//   (re-apply) or deleting the dictionary with its spans. The history stays small and an undo never
//   has to replay 10,000 spans.

import type { WeakLabelRequest, WeakLabelSummary } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import { chars } from '../../shared/text'
import { SPLITS } from '../../shared/types'
import { writeTransaction } from '../../store/db'
import type { Project } from '../project/project'
import { dictRow, matcherOf } from './dicts'

const CHUNK = 5000

/** Label titles by longest match over the chosen dictionaries. One transaction. */
export function applyDictionaries(project: Project, req: WeakLabelRequest): WeakLabelSummary {
  const t0 = performance.now()
  const db = project.db
  const ids = req.dictionaryIds
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => Number.isInteger(x))) {
    throw new StudioError('bad_request', 'choose at least one dictionary (dictionaryIds)')
  }
  for (const id of ids) dictRow(db, id)
  if (req.split !== undefined && !SPLITS.includes(req.split)) throw new StudioError('bad_request', `unknown split "${req.split}"`)
  const scope = req.scope ?? 'unreviewed'
  if (scope !== 'unreviewed' && scope !== 'all') throw new StudioError('bad_request', `scope must be unreviewed or all, not "${scope}"`)
  const where: string[] = []
  const params: unknown[] = []
  if (req.split) {
    where.push('t.split = ?')
    params.push(req.split)
  }
  if (scope === 'unreviewed') where.push(`t.status = 'unreviewed'`)
  const minLength = req.minLength ?? 1
  if (!Number.isInteger(minLength) || minLength < 1) throw new StudioError('bad_request', 'minLength must be a whole number ≥ 1')
  const scopeTexts = db
    .prepare(`SELECT t.text FROM titles t ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`)
    .pluck()
    .iterate(...params) as Iterable<string>
  const matcher = matcherOf(db, ids, minLength, scopeTexts)

  return writeTransaction(db, (): WeakLabelSummary => {
    let removed = 0
    if (req.replace) {
      const inScope = where.length ? `AND title_id IN (SELECT t.id FROM titles t WHERE ${where.join(' AND ')})` : ''
      removed = db
        .prepare(
          `DELETE FROM spans WHERE origin = 'dictionary' ${inScope}
             AND id IN (SELECT span_id FROM dictionary_spans WHERE dictionary_id IN (${ids.map(() => '?').join(',')}))`,
        )
        .run(...params, ...ids).changes
    }
    const typeId = project.typeIds()
    const selTitles = db.prepare(
      `SELECT t.id, t.text FROM titles t WHERE ${[...where, 't.id > ?'].join(' AND ')} ORDER BY t.id LIMIT ${CHUNK}`,
    )
    const selSpans = db.prepare('SELECT title_id, start, end, type_id FROM spans WHERE title_id BETWEEN ? AND ?')
    const insSpan = db.prepare(
      `INSERT INTO spans (title_id, start, end, type_id, origin, created_at) VALUES (?, ?, ?, ?, 'dictionary', ?)`,
    )
    const insLink = db.prepare('INSERT INTO dictionary_spans (span_id, dictionary_id) VALUES (?, ?)')
    const touch = db.prepare('UPDATE titles SET updated_at = ? WHERE id = ?')
    const now = Date.now()
    let last = 0
    let titlesScanned = 0
    let titlesTouched = 0
    let spansAdded = 0
    let skippedOverlap = 0
    let alreadyPresent = 0
    for (;;) {
      const titles = selTitles.all(...params, last) as { id: number; text: string }[]
      if (!titles.length) break
      const first = titles[0]!.id
      last = titles[titles.length - 1]!.id
      const existing = new Map<number, { start: number; end: number; type_id: number }[]>()
      for (const s of selSpans.all(first, last) as { title_id: number; start: number; end: number; type_id: number }[]) {
        let l = existing.get(s.title_id)
        if (!l) existing.set(s.title_id, (l = []))
        l.push(s)
      }
      for (const t of titles) {
        titlesScanned++
        const matches = matcher.match(chars(t.text))
        if (!matches.length) continue
        const have = existing.get(t.id) ?? []
        let added = 0
        for (const m of matches) {
          const tid = typeId(m.hit.type)
          let clash = false
          let same = false
          for (const s of have) {
            if (s.start < m.end && s.end > m.start) {
              clash = true
              if (s.start === m.start && s.end === m.end && s.type_id === tid) same = true
              break
            }
          }
          if (same) alreadyPresent++
          else if (clash) skippedOverlap++
          else {
            const spanId = Number(insSpan.run(t.id, m.start, m.end, tid, now).lastInsertRowid)
            insLink.run(spanId, m.hit.dict)
            added++
          }
        }
        if (added) {
          touch.run(now, t.id)
          titlesTouched++
          spansAdded += added
        }
      }
    }
    return {
      titlesScanned,
      titlesTouched,
      spansAdded,
      skippedOverlap,
      alreadyPresent,
      removed,
      seconds: (performance.now() - t0) / 1000,
    }
  })
}
