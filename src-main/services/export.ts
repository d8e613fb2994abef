// Export = read (one snapshot, on its own read-only connection) + write (io/writers).
import type { ExportRequest, ExportSummary } from '../shared/api'
import { StudioError } from '../shared/errors'
import type { PlainSpan } from '../shared/tags'
import { ORIGINS, SPLITS, type Origin } from '../shared/types'
import { openDatabase, type DB } from '../store/db'
import { writeAttributesCsv, writeConll, writeJsonl, writeSeedFolder, type ExportTitle } from '../io/writers'

export async function exportFrom(projectPath: string, req: ExportRequest): Promise<ExportSummary> {
  if (req.split !== undefined && !SPLITS.includes(req.split)) throw new StudioError('bad_request', `unknown split "${req.split}"`)
  const origins = req.origins ?? [...ORIGINS]
  for (const o of origins) if (!ORIGINS.includes(o)) throw new StudioError('bad_request', `unknown origin "${o}"`)
  if (!req.out) throw new StudioError('bad_request', 'export needs --out')
  const db = openDatabase(projectPath, { readonly: true })
  try {
    if (req.runId !== undefined) {
      const run = db.prepare('SELECT id FROM runs WHERE id = ?').get(req.runId)
      if (!run) throw new StudioError('not_found', `no run with id ${req.runId}`)
    }
    const titles = (): Generator<ExportTitle> => iterateTitles(db, req.split, origins, req.runId)
    let r: { titles: number; spans: number }
    switch (req.format) {
      case 'attributes-csv':
        r = await writeAttributesCsv(req.out, typeColumns(db, req.runId), titles(), {
          bom: req.bom ?? false,
          ...(req.separator !== undefined ? { separator: req.separator } : {}),
        })
        break
      case 'conll':
        r = await writeConll(req.out, titles(), req.scheme ?? 'bio')
        break
      case 'jsonl':
        r = await writeJsonl(req.out, titles())
        break
      case 'seed': {
        const missing = db
          .prepare(`SELECT count(*) AS n FROM titles WHERE words IS NULL ${req.split ? 'AND split = ?' : ''}`)
          .get(...(req.split ? [req.split] : [])) as { n: number }
        r = await writeSeedFolder(req.out, titles(), { withWords: missing.n === 0 })
        break
      }
      default:
        throw new StudioError('bad_request', `unknown export format "${String(req.format)}"`)
    }
    return { out: req.out, format: req.format, ...r }
  } finally {
    db.close()
  }
}

/** Attribute columns: every entity type, the most frequent first (ties by name). */
function typeColumns(db: DB, runId: number | undefined): string[] {
  const names = (
    db
      .prepare(
        `SELECT t.name FROM entity_types t LEFT JOIN spans s ON s.type_id = t.id
          GROUP BY t.id ORDER BY count(s.id) DESC, t.name`,
      )
      .all() as { name: string }[]
  ).map((r) => r.name)
  if (runId !== undefined) {
    const seen = new Set(names)
    for (const r of db.prepare('SELECT spans FROM predictions WHERE run_id = ?').iterate(runId) as Iterable<{ spans: string }>) {
      for (const s of JSON.parse(r.spans) as PlainSpan[]) {
        if (!seen.has(s.type)) {
          seen.add(s.type)
          names.push(s.type)
        }
      }
    }
  }
  return names
}

/** Titles in id order with their spans (of the given origins) or a run's predictions. */
function* iterateTitles(db: DB, split: string | undefined, origins: Origin[], runId: number | undefined): Generator<ExportTitle> {
  const where = split ? 'WHERE t.split = ?' : ''
  const params: unknown[] = split ? [split] : []
  if (runId !== undefined) {
    const rows = db
      .prepare(
        `SELECT t.id, t.text, t.words, p.spans FROM titles t
           LEFT JOIN predictions p ON p.run_id = ? AND p.title_id = t.id ${where} ORDER BY t.id`,
      )
      .iterate(runId, ...params) as Iterable<{ id: number; text: string; words: string | null; spans: string | null }>
    for (const r of rows) {
      const spans = r.spans ? (JSON.parse(r.spans) as PlainSpan[]).map(({ start, end, type }) => ({ start, end, type })) : []
      yield { id: r.id, text: r.text, words: parseWords(r.words), spans }
    }
    return
  }
  const originList = origins.map(() => '?').join(',')
  const rows = db
    .prepare(
      `SELECT t.id, t.text, t.words, s.start, s.end, e.name AS type FROM titles t
         LEFT JOIN spans s ON s.title_id = t.id AND s.origin IN (${originList})
         LEFT JOIN entity_types e ON e.id = s.type_id
         ${where} ORDER BY t.id, s.start`,
    )
    .iterate(...origins, ...params) as Iterable<{
    id: number
    text: string
    words: string | null
    start: number | null
    end: number | null
    type: string | null
  }>
  let cur: ExportTitle | null = null
  for (const r of rows) {
    if (!cur || cur.id !== r.id) {
      if (cur) yield cur
      cur = { id: r.id, text: r.text, words: parseWords(r.words), spans: [] }
    }
    if (r.start !== null && r.end !== null && r.type !== null) cur.spans.push({ start: r.start, end: r.end, type: r.type })
  }
  if (cur) yield cur
}

function parseWords(w: string | null): number[] | null {
  return w ? w.split(',').map(Number) : null
}
