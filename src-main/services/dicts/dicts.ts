// Dictionaries (gazetteers): import them (gazetteer.ts reads the file; whole or nothing), create,
// delete, list them with each one's precision against reviewed titles, and promote confirmed gold
// spans into one. Labelling titles with them is apply.ts.

import { basename, extname } from 'node:path'
import type {
  DictImportRequest,
  DictImportSummary,
  DictionaryInfo,
  DictionaryQuality,
  PromoteRequest,
  PromoteSummary,
} from '../../shared/api'
import { StudioError } from '../../shared/errors'
import { Matcher } from '../../shared/matcher'
import { chars, cpLength, cpSlice } from '../../shared/text'
import { SPLITS, type Split } from '../../shared/types'
import { asyncTransaction, openDatabase, writeTransaction, type DB } from '../../store/db'
import type { Project } from '../project/project'
import { checkTypeName } from '../types/types'
import { gazetteerTerms, MAX_TERM } from './gazetteer'

interface DictRow {
  id: number
  name: string
  type: string | null
  source: string
  created_at: number
}

export function dictRow(db: DB, id: number): DictRow {
  const row = db.prepare('SELECT * FROM dictionaries WHERE id = ?').get(id) as DictRow | undefined
  if (!row) throw new StudioError('not_found', `no dictionary with id ${id}`)
  return row
}

function checkDictName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim()) throw new StudioError('bad_request', 'a dictionary needs a name')
  const n = name.trim()
  if (cpLength(n) > 200) throw new StudioError('bad_request', 'dictionary name longer than 200 characters')
  return n
}

/**
 * Import a gazetteer as ONE transaction on a connection of its own (the dictionary and all its terms
 * commit together or not at all; a kill leaves nothing), streaming its lines: memory stays bounded.
 */
export async function importGazetteer(project: Project, req: DictImportRequest): Promise<DictImportSummary> {
  const t0 = performance.now()
  const own = openDatabase(project.path)
  let r: { id: number; terms: number; duplicates: number }
  try {
    r = await asyncTransaction(own, () => importGazetteerInto(own, req))
  } finally {
    own.close()
  }
  return {
    dictionary: listDictionaries(project.db, [r.id])[0]!,
    terms: r.terms,
    duplicates: r.duplicates,
    seconds: (performance.now() - t0) / 1000,
  }
}

/**
 * The import itself, inside the caller's transaction on `db` (`weak-label` imports several
 * dictionaries and labels with them in one). A bad line throws `file:line: problem`; the caller's
 * rollback then leaves nothing behind.
 */
export async function importGazetteerInto(db: DB, req: DictImportRequest): Promise<{ id: number; terms: number; duplicates: number }> {
  if (!db.inTransaction) throw new Error('importGazetteerInto runs inside a transaction')
  if (typeof req.path !== 'string' || !req.path) throw new StudioError('bad_request', 'dicts.import needs a path')
  const name = checkDictName(req.name || basename(req.path, extname(req.path)))
  const fileType = req.type ? checkTypeName(req.type) : null
  const terms = gazetteerTerms(req.path, req.type)
  const existing = db.prepare('SELECT id FROM dictionaries WHERE name = ?').get(name) as { id: number } | undefined
  let dictId: number
  if (existing) {
    if (!req.update) throw new StudioError('conflict', `a dictionary named "${name}" already exists`)
    dictId = existing.id
    db.prepare('DELETE FROM dictionary_terms WHERE dictionary_id = ?').run(dictId)
    db.prepare('UPDATE dictionaries SET type = ?, source = ? WHERE id = ?').run(fileType, req.path, dictId)
  } else {
    dictId = Number(
      db
        .prepare('INSERT INTO dictionaries (name, type, source, created_at) VALUES (?, ?, ?, ?)')
        .run(name, fileType, req.path, Date.now()).lastInsertRowid,
    )
  }
  const ins = db.prepare('INSERT OR IGNORE INTO dictionary_terms (dictionary_id, term, type) VALUES (?, ?, ?)')
  let n = 0
  let duplicates = 0
  for await (const t of terms) {
    n++
    if (ins.run(dictId, t.term, t.type).changes === 0) duplicates++
  }
  return { id: dictId, terms: n - duplicates, duplicates }
}

export function createDictionary(db: DB, name: string, type: string | null | undefined): DictionaryInfo {
  const n = checkDictName(name)
  const t = type ? checkTypeName(type) : null
  if (db.prepare('SELECT 1 FROM dictionaries WHERE name = ?').get(n)) {
    throw new StudioError('conflict', `a dictionary named "${n}" already exists`)
  }
  const id = Number(
    db.prepare(`INSERT INTO dictionaries (name, type, source, created_at) VALUES (?, ?, '', ?)`).run(n, t, Date.now())
      .lastInsertRowid,
  )
  return listDictionaries(db, [id])[0]!
}

/** Delete a dictionary and its terms; with removeSpans also its still-unconfirmed spans. */
export function deleteDictionary(db: DB, id: number, removeSpans: boolean): { removedSpans: number } {
  dictRow(db, id)
  return writeTransaction(db, () => {
    let removedSpans = 0
    if (removeSpans) {
      removedSpans = db
        .prepare(
          `DELETE FROM spans WHERE origin = 'dictionary' AND id IN (SELECT span_id FROM dictionary_spans WHERE dictionary_id = ?)`,
        )
        .run(id).changes
    }
    db.prepare('DELETE FROM dictionaries WHERE id = ?').run(id)
    return { removedSpans }
  })
}

/**
 * The trie of the dictionaries' terms that can occur in `texts`: a term is kept only when each of its
 * character pairs (or its one character) occurs in some text. A match needs the term inside a title,
 * so the matches are exactly those of the whole dictionary, while memory follows the titles, not the
 * gazetteer (a 200 MB gazetteer against 10,000 titles keeps a few thousand terms).
 */
export function matcherOf(db: DB, ids: number[], minLength: number, texts: Iterable<string>): Matcher {
  const grams = new Set<string>()
  for (const t of texts) {
    const cps = chars(t)
    for (let i = 0; i < cps.length; i++) {
      grams.add(cps[i]!)
      if (i + 1 < cps.length) grams.add(cps[i]! + cps[i + 1]!)
    }
  }
  const possible = (term: string): boolean => {
    const cps = chars(term)
    if (cps.length === 1) return grams.has(cps[0]!)
    for (let i = 0; i + 1 < cps.length; i++) if (!grams.has(cps[i]! + cps[i + 1]!)) return false
    return true
  }
  const m = new Matcher()
  const stmt = db.prepare('SELECT term, type FROM dictionary_terms WHERE dictionary_id = ?')
  for (const id of ids) {
    for (const r of stmt.iterate(id) as Iterable<{ term: string; type: string }>) {
      if ((minLength <= 1 || cpLength(r.term) >= minLength) && possible(r.term)) m.add(r.term, { type: r.type, dict: id })
    }
  }
  return m
}

export interface ReviewedTitle {
  cps: string[]
  gold: Set<string>
  goldByType: Map<string, number>
}

/** Reviewed titles with their gold spans (of these splits only, when given). */
function reviewedTitles(db: DB, splits?: readonly Split[]): ReviewedTitle[] {
  const rows = db
    .prepare(
      `SELECT t.id, t.text, s.start, s.end, e.name AS type FROM titles t
         LEFT JOIN spans s ON s.title_id = t.id AND s.origin = 'gold'
         LEFT JOIN entity_types e ON e.id = s.type_id
        WHERE t.status = 'reviewed' ${splits ? `AND t.split IN (${splits.map(() => '?').join(',')})` : ''} ORDER BY t.id`,
    )
    .all(...(splits ?? [])) as { id: number; text: string; start: number | null; end: number | null; type: string | null }[]
  const out: ReviewedTitle[] = []
  let lastId = -1
  for (const r of rows) {
    if (r.id !== lastId) {
      out.push({ cps: chars(r.text), gold: new Set(), goldByType: new Map() })
      lastId = r.id
    }
    if (r.type !== null) {
      const cur = out[out.length - 1]!
      cur.gold.add(`${r.start}:${r.end}:${r.type}`)
      cur.goldByType.set(r.type, (cur.goldByType.get(r.type) ?? 0) + 1)
    }
  }
  return out
}

/** Precision and recall of one dictionary's longest matches against reviewed titles' gold spans. */
export function measure(matcher: Matcher, types: string[], titles: ReviewedTitle[]): DictionaryQuality {
  let matches = 0
  let correct = 0
  let support = 0
  for (const t of titles) {
    for (const ty of types) support += t.goldByType.get(ty) ?? 0
    for (const m of matcher.match(t.cps)) {
      matches++
      if (t.gold.has(`${m.start}:${m.end}:${m.hit.type}`)) correct++
    }
  }
  return {
    reviewedTitles: titles.length,
    matches,
    correct,
    precision: matches ? correct / matches : null,
    support,
    recall: support ? correct / support : null,
    inSample: null,
  }
}

/** Reviewed titles holding a span this dictionary made that a person confirmed (now gold), by dictionary. */
function confirmedTitles(db: DB): Map<number, number> {
  const rows = db
    .prepare(
      `SELECT d.dictionary_id AS id, count(DISTINCT s.title_id) AS n FROM dictionary_spans d
         JOIN spans s ON s.id = d.span_id JOIN titles t ON t.id = s.title_id
        WHERE s.origin = 'gold' AND t.status = 'reviewed' GROUP BY d.dictionary_id`,
    )
    .all() as { id: number; n: number }[]
  return new Map(rows.map((r) => [r.id, r.n]))
}

/** See `DictionaryQuality.inSample`. */
function inSampleReason(d: DictRow, terms: number, confirmed: number): string | null {
  if (d.source === '' && terms > 0) return 'its terms were promoted from these reviewed titles'
  if (confirmed > 0) return `${confirmed} of these reviewed titles hold its own spans, confirmed by a person`
  return null
}

export function listDictionaries(db: DB, only?: number[], minLength = 1): DictionaryInfo[] {
  if (!Number.isInteger(minLength) || minLength < 1) throw new StudioError('bad_request', 'minLength must be a whole number ≥ 1')
  let rows = db.prepare('SELECT * FROM dictionaries ORDER BY name').all() as DictRow[]
  if (only) rows = rows.filter((r) => only.includes(r.id))
  if (!rows.length) return []
  const counts = new Map<number, { terms: number; types: string[] }>()
  for (const r of db
    .prepare('SELECT dictionary_id AS id, type, count(*) AS n FROM dictionary_terms GROUP BY dictionary_id, type')
    .all() as { id: number; type: string; n: number }[]) {
    const c = counts.get(r.id) ?? { terms: 0, types: [] }
    c.terms += r.n
    c.types.push(r.type)
    counts.set(r.id, c)
  }
  const spans = new Map<number, number>()
  for (const r of db
    .prepare(
      `SELECT d.dictionary_id AS id, count(*) AS n FROM dictionary_spans d JOIN spans s ON s.id = d.span_id
        WHERE s.origin = 'dictionary' GROUP BY d.dictionary_id`,
    )
    .all() as { id: number; n: number }[])
    spans.set(r.id, r.n)
  const reviewed = reviewedTitles(db)
  const reviewedTexts = reviewed.map((t) => t.cps.join(''))
  const confirmed = confirmedTitles(db)
  return rows.map((r) => {
    const c = counts.get(r.id) ?? { terms: 0, types: r.type ? [r.type] : [] }
    return {
      id: r.id,
      name: r.name,
      type: r.type,
      source: r.source,
      createdAt: r.created_at,
      terms: c.terms,
      types: c.types,
      spans: spans.get(r.id) ?? 0,
      quality: {
        ...measure(matcherOf(db, [r.id], minLength, reviewedTexts), c.types, reviewed),
        inSample: reviewed.length ? inSampleReason(r, c.terms, confirmed.get(r.id) ?? 0) : null,
      },
    }
  })
}

/**
 * Each imported dictionary's precision on the reviewed titles of `splits` (its own longest matches,
 * as the Weak labels screen scores it), for dictionaries with at least `minMatches` matches there;
 * the others get no estimate. Dictionaries made in the studio are left out: their terms were
 * promoted from reviewed gold, so they would be scored on their own source. A dictionary whose
 * spans a person confirmed is kept: the review decided which of its matches are right.
 */
export function dictionaryPrecisions(db: DB, splits: readonly Split[], minMatches: number): Map<number, { name: string; precision: number; matches: number }> {
  const out = new Map<number, { name: string; precision: number; matches: number }>()
  const reviewed = reviewedTitles(db, splits)
  if (!reviewed.length) return out
  const texts = reviewed.map((t) => t.cps.join(''))
  const types = new Map<number, string[]>()
  for (const r of db.prepare('SELECT DISTINCT dictionary_id AS id, type FROM dictionary_terms').all() as { id: number; type: string }[]) types.set(r.id, [...(types.get(r.id) ?? []), r.type])
  for (const d of db.prepare(`SELECT * FROM dictionaries WHERE source != '' ORDER BY id`).all() as DictRow[]) {
    const q = measure(matcherOf(db, [d.id], 1, texts), types.get(d.id) ?? [], reviewed)
    if (q.precision !== null && q.matches >= minMatches) out.set(d.id, { name: d.name, precision: q.precision, matches: q.matches })
  }
  return out
}

/** Add the texts of gold spans of a type (in reviewed titles) to a dictionary: new terms only. */
export function promoteSpans(db: DB, req: PromoteRequest): PromoteSummary {
  const d = dictRow(db, req.dictionaryId)
  const type = checkTypeName(req.type)
  if (d.type !== null && d.type !== type) {
    throw new StudioError('bad_request', `dictionary "${d.name}" holds ${d.type} terms, not ${type}`)
  }
  if (req.split !== undefined && !SPLITS.includes(req.split)) throw new StudioError('bad_request', `unknown split "${req.split}"`)
  const rows = db
    .prepare(
      `SELECT t.text, s.start, s.end FROM spans s JOIN titles t ON t.id = s.title_id JOIN entity_types e ON e.id = s.type_id
        WHERE e.name = ? AND s.origin = 'gold' AND t.status = 'reviewed' ${req.split ? 'AND t.split = ?' : ''}`,
    )
    .all(type, ...(req.split ? [req.split] : [])) as { text: string; start: number; end: number }[]
  const texts = new Set<string>()
  for (const r of rows) {
    const term = cpSlice(r.text, r.start, r.end).trim()
    if (term && !term.includes('\t') && cpLength(term) <= MAX_TERM) texts.add(term)
  }
  const ins = db.prepare('INSERT OR IGNORE INTO dictionary_terms (dictionary_id, term, type) VALUES (?, ?, ?)')
  const added = writeTransaction(db, () => {
    let n = 0
    for (const t of texts) n += ins.run(d.id, t, type).changes
    return n
  })
  return { candidates: texts.size, added, present: texts.size - added }
}
