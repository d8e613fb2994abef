// Import = parse (io/readers) + commit. The whole import is ONE transaction on its own connection
// to the project file: it commits whole or changes nothing, and a crash or kill mid-way leaves
// only uncommitted WAL frames, which SQLite discards when the file is next opened.
// Memory stays bounded: titles are streamed, inserted and forgotten.

import { basename } from 'node:path'
import type { ImportProgress, ImportRequest, ImportSummary } from '../../shared/api'
import { InputError, StudioError } from '../../shared/errors'
import { SPLITS } from '../../shared/types'
import { chars, formatWords } from '../../shared/text'
import { openReader } from '../../io/readers'
import { sniffFormat, suspectImport, TAG_LINE } from '../../io/sniff'
import { Project } from '../project/project'
import { fillHotkeys } from '../types/types'
import { busyError } from '../../store/db'

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void
  /** Minimum milliseconds between progress events (default 100). */
  progressEveryMs?: number
}

export async function importInto(projectPath: string, req: ImportRequest, opts: ImportOptions = {}): Promise<ImportSummary> {
  const t0 = performance.now()
  const format = req.format ?? sniffFormat(req.path)
  const split = req.split ?? 'none'
  if (!SPLITS.includes(split)) throw new StudioError('bad_request', `unknown split "${split}" (train, dev, test or none)`)
  const origin = req.origin ?? 'gold'
  if (origin !== 'gold' && origin !== 'weak') throw new StudioError('bad_request', `origin must be gold or weak, not "${origin}"`)
  const reader = openReader(req.path, format, {
    ...(req.column ? { column: req.column } : {}),
    ...(req.repairTags ? { repairTags: true } : {}),
  })
  const fileName = basename(req.path)

  const project = Project.open(projectPath)
  const db = project.db
  const typeId = project.typeIds()
  const countTypes = (): number => (db.prepare('SELECT count(*) AS n FROM entity_types').get() as { n: number }).n
  const typesBefore = countTypes()
  const insTitle = db.prepare(
    `INSERT INTO titles (text, length, split, status, source, words, created_at, updated_at, import_id)
     VALUES (?, ?, ?, 'unreviewed', ?, ?, ?, ?, ?)`,
  )
  const insSpan = db.prepare(
    `INSERT INTO spans (title_id, start, end, type_id, origin, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
  )
  let titles = 0
  let spans = 0
  let typesCreated = 0
  let tagLike = 0
  let lastEmit = 0
  const every = opts.progressEveryMs ?? 100
  const emit = (force: boolean): void => {
    if (!opts.onProgress) return
    const now = performance.now()
    if (!force && now - lastEmit < every) return
    lastEmit = now
    opts.onProgress({ file: fileName, bytesRead: reader.bytesRead(), bytesTotal: reader.bytesTotal, titles, spans })
  }

  try {
    db.exec('BEGIN IMMEDIATE')
  } catch (e) {
    project.close()
    throw busyError(e) ?? e
  }
  try {
    const now = Date.now()
    // The import's row comes first: its titles point at it, so `imports.undo` can take them out again.
    const importId = Number(
      db
        .prepare('INSERT INTO imports (file, format, options, titles, spans, created_at) VALUES (?, ?, ?, 0, 0, ?)')
        .run(
          req.path,
          format,
          JSON.stringify({ split, origin, column: req.column ?? null, repairTags: req.repairTags ?? false }),
          now,
        ).lastInsertRowid,
    )
    for await (const t of reader.titles) {
      const length = chars(t.text).length
      if (length <= 12 && TAG_LINE.test(t.text)) tagLike++
      const id = Number(
        insTitle.run(t.text, length, split, t.source, formatWords(t.words), now, now, importId).lastInsertRowid,
      )
      for (const s of t.spans) {
        let type: number
        try {
          type = typeId(s.type)
        } catch (e) {
          const [file, line] = splitSource(t.source)
          throw new InputError(file, line, (e as Error).message)
        }
        insSpan.run(id, s.start, s.end, type, origin, now)
        spans++
      }
      titles++
      if ((titles & 255) === 0) emit(false)
    }
    // Counted in the table: the names typeId has seen include aliases (" 品牌" and "品牌" are one type).
    typesCreated = countTypes() - typesBefore
    fillHotkeys(project.db)
    db.prepare('UPDATE imports SET titles = ?, spans = ? WHERE id = ?').run(titles, spans, importId)
    db.exec('COMMIT')
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK')
    project.close()
    throw e
  }
  emit(true)
  try {
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    project.close()
  }
  return {
    file: req.path,
    format,
    titles,
    spans,
    typesCreated,
    repairedTags: reader.repaired(),
    warnings: suspectImport(format, titles, spans, tagLike),
    seconds: (performance.now() - t0) / 1000,
  }
}

function splitSource(source: string): [string, number] {
  const i = source.lastIndexOf(':')
  return [source.slice(0, i), Number(source.slice(i + 1))]
}
