// Imports as the analyst manages them: every import listed, undoable by id, and a
// preview of the first titles and spans before committing one.
//
// Undoing an import is, like the import itself, a bulk operation outside the edit history (a
// 500,000-title history entry would make undo slow and the file huge): it deletes the titles the
// import created — with their spans, predictions and dictionary links — in one transaction, and
// marks the import undone. Titles a person reviewed meanwhile are only deleted with `force`.

import type {
  ImportPreview,
  ImportPreviewRequest,
  ImportRecord,
  ImportUndoRequest,
  ImportUndoResult,
} from '../../shared/api'
import { StudioError } from '../../shared/errors'
import { chars } from '../../shared/text'
import { openReader } from '../../io/readers'
import { sniffFormat, suspectImport, TAG_LINE } from '../../io/sniff'
import type { Project } from '../project/project'

interface ImportRow {
  id: number
  file: string
  format: string
  options: string
  titles: number
  spans: number
  created_at: number
  undone_at: number | null
  remaining: number
  reviewed: number
}

/** Every import of the project, newest first. */
export function listImports(project: Project): ImportRecord[] {
  const rows = project.db
    .prepare(
      `SELECT i.*, count(t.id) AS remaining, coalesce(sum(t.status = 'reviewed'), 0) AS reviewed
         FROM imports i LEFT JOIN titles t ON t.import_id = i.id
        GROUP BY i.id ORDER BY i.id DESC`,
    )
    .all() as ImportRow[]
  return rows.map(toRecord)
}

function toRecord(r: ImportRow): ImportRecord {
  return {
    id: r.id,
    file: r.file,
    format: r.format,
    options: JSON.parse(r.options) as Record<string, unknown>,
    titles: r.titles,
    spans: r.spans,
    createdAt: r.created_at,
    undoneAt: r.undone_at,
    remaining: r.remaining,
    reviewed: r.reviewed,
    undoable: r.undone_at === null && (r.remaining > 0 || r.titles === 0),
  }
}

/** Delete the titles an import created (one transaction) and mark it undone. */
export function undoImport(project: Project, req: ImportUndoRequest): ImportUndoResult {
  const db = project.db
  if (!Number.isInteger(req.id)) throw new StudioError('bad_request', `an import id is an integer, got ${String(req.id)}`)
  const rec = listImports(project).find((i) => i.id === req.id)
  if (!rec) throw new StudioError('not_found', `no import with id ${req.id}`)
  if (rec.undoneAt !== null) {
    throw new StudioError('conflict', `import ${req.id} (${rec.file}) was already undone on ${new Date(rec.undoneAt).toISOString()}`)
  }
  if (!rec.undoable) {
    throw new StudioError(
      'conflict',
      `import ${req.id} (${rec.file}) was made before the project recorded which titles an import creates; ` +
        'delete its titles with a filter instead (ner-studio titles … --delete)',
    )
  }
  if (rec.reviewed > 0 && !req.force) {
    throw new StudioError(
      'conflict',
      `${rec.reviewed} of the ${rec.remaining} titles of import ${req.id} were reviewed since; undo with force to delete them too`,
    )
  }
  return db.transaction(() => {
    const { n: spans } = db
      .prepare('SELECT count(*) AS n FROM spans s JOIN titles t ON t.id = s.title_id WHERE t.import_id = ?')
      .get(req.id) as { n: number }
    const titles = db.prepare('DELETE FROM titles WHERE import_id = ?').run(req.id).changes
    db.prepare('UPDATE imports SET undone_at = ? WHERE id = ?').run(Date.now(), req.id)
    return { id: req.id, titles, spans }
  })()
}

const PREVIEW_DEFAULT = 20
const PREVIEW_MAX = 200

/** The first titles and spans of a file as `import.run` would read them, with warnings. Writes nothing. */
export async function previewImport(req: ImportPreviewRequest): Promise<ImportPreview> {
  if (!req || typeof req.path !== 'string' || !req.path) throw new StudioError('bad_request', 'import.preview needs a path')
  const format = req.format ?? sniffFormat(req.path)
  const limit = Math.min(PREVIEW_MAX, Math.max(1, Math.floor(req.limit ?? PREVIEW_DEFAULT)))
  const reader = openReader(req.path, format, {
    ...(req.column ? { column: req.column } : {}),
    ...(req.repairTags ? { repairTags: true } : {}),
  })
  const titles: ImportPreview['titles'] = []
  let spans = 0
  let tagLike = 0
  try {
    for await (const t of reader.titles) {
      titles.push({ text: t.text, source: t.source, spans: t.spans.map((s) => ({ start: s.start, end: s.end, type: s.type })) })
      spans += t.spans.length
      if (chars(t.text).length <= 12 && TAG_LINE.test(t.text)) tagLike++
      if (titles.length >= limit) break
    }
  } finally {
    await reader.titles.return?.()
  }
  return {
    format,
    detected: req.format === undefined,
    titles,
    spans,
    repairedTags: reader.repaired(),
    warnings: suspectImport(format, titles.length, spans, tagLike),
  }
}
