// Export = read (one snapshot, on its own read-only connection) + write (io/writers).
import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { ExportPreview, ExportPreviewRequest, ExportRequest, ExportSummary } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import type { PlainSpan } from '../../shared/tags'
import { parseWords } from '../../shared/text'
import { ORIGINS, SPLITS, type Origin } from '../../shared/types'
import { openDatabase, type DB } from '../../store/db'
import { parseCsvRecords } from '../../io/csv'
import { readLines } from '../../io/lines'
import { makeTempFolder } from '../../io/temp'
import { seedFileNames, writeAttributesCsv, writeConll, writeJsonl, writeSeedFolder, type ExportTitle } from '../../io/writers'

export async function exportFrom(projectPath: string, req: ExportRequest, limit?: number): Promise<ExportSummary> {
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
    const titles = (): Generator<ExportTitle> => take(iterateTitles(db, req.split, origins, req.runId), limit)
    // Never onto the project being exported (or any SQLite file), never over a file without asking.
    const target = { overwrite: req.overwrite === true, protect: [projectPath] }
    let r: { titles: number; spans: number }
    let files = [req.out]
    switch (req.format) {
      case 'attributes-csv':
        r = await writeAttributesCsv(req.out, typeColumns(db, req.runId), titles(), {
          ...target,
          bom: req.bom ?? false,
          ...(req.formulaEscape === false ? { formulaEscape: false } : {}),
          ...(req.separator !== undefined ? { separator: req.separator } : {}),
        })
        break
      case 'conll':
        r = await writeConll(req.out, titles(), req.scheme ?? 'bio', target)
        break
      case 'jsonl':
        r = await writeJsonl(req.out, titles(), target)
        break
      case 'seed': {
        const missing = db
          .prepare(`SELECT count(*) AS n FROM titles WHERE words IS NULL ${req.split ? 'AND split = ?' : ''}`)
          .get(...(req.split ? [req.split] : [])) as { n: number }
        const withWords = missing.n === 0
        r = await writeSeedFolder(req.out, titles(), { ...target, withWords })
        files = seedFileNames(withWords).map((f) => join(req.out, f))
        break
      }
      default:
        throw new StudioError('bad_request', `unknown export format "${String(req.format)}"`)
    }
    return { out: req.out, format: req.format, ...r, files }
  } finally {
    db.close()
  }
}

function* take<T>(it: Generator<T>, n: number | undefined): Generator<T> {
  if (n === undefined) return yield* it
  if (n <= 0) return
  let i = 0
  for (const x of it) {
    yield x
    if (++i >= n) return
  }
}

/** Lines of at most this many characters come back whole in a preview; longer ones are cut. */
const PREVIEW_LINE = 2000

/**
 * The first `limit` titles exactly as the export would write them, without writing the export: the
 * same writers render them into a private temporary folder that is removed before returning.
 */
export async function previewExport(projectPath: string, req: ExportPreviewRequest): Promise<ExportPreview> {
  const limit = Math.min(200, Math.max(1, Math.floor(req.limit ?? 20)))
  const dir = makeTempFolder('preview')
  try {
    const out = join(dir, req.format === 'seed' ? 'folder' : 'preview')
    const r = await exportFrom(projectPath, { ...req, out }, limit)
    const files = (req.format === 'seed' ? readdirSync(out).sort().map((f) => join(out, f)) : [out]).map((f) => {
      let text = readFileSync(f, 'utf8')
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      const lines = text.split(/\r?\n/)
      if (lines.at(-1) === '') lines.pop()
      return { name: req.format === 'seed' ? f.slice(out.length + 1) : req.format, lines: lines.slice(0, 2000).map((l) => l.slice(0, PREVIEW_LINE)) }
    })
    let rows: string[][] | null = null
    if (req.format === 'attributes-csv') {
      rows = []
      for await (const rec of parseCsvRecords(readLines(out, 'preview'))) rows.push(rec.fields)
    }
    const db = openDatabase(projectPath, { readonly: true })
    let total: number
    try {
      total = (
        db.prepare(`SELECT count(*) AS n FROM titles ${req.split ? 'WHERE split = ?' : ''}`).get(...(req.split ? [req.split] : [])) as {
          n: number
        }
      ).n
    } finally {
      db.close()
    }
    return { format: r.format, files, rows, titles: total }
  } finally {
    rmSync(dir, { recursive: true, force: true })
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
