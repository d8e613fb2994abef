// Building small projects for tests through the real importer, and snapshots of a project file
// that prove "nothing changed".
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { importInto } from '../../src-main/services/io/import'
import { Project } from '../../src-main/services/project/project'
import type { ProjectStats } from '../../src-main/shared/types'

export interface TitleSpec {
  text: string
  /** [start, end, type] in code points. */
  label?: [number, number, string][]
}

/** Write titles as doccano JSONL. */
export function writeJsonl(path: string, titles: TitleSpec[]): string {
  writeFileSync(
    path,
    titles.map((t) => JSON.stringify({ text: t.text, label: t.label ?? [] })).join('\n') + '\n',
  )
  return path
}

/** A new project file in `dir` holding `titles` (imported as JSONL with the given origin and split). */
export async function makeProject(
  dir: string,
  titles: TitleSpec[],
  opts: { name?: string; origin?: 'gold' | 'weak'; split?: 'train' | 'dev' | 'test' | 'none' } = {},
): Promise<string> {
  const path = join(dir, opts.name ?? 'p.sqlite')
  Project.open(path, { create: true }).close()
  if (titles.length > 0) {
    const src = writeJsonl(join(dir, `${opts.name ?? 'p'}-seed.jsonl`), titles)
    await importInto(path, {
      path: src,
      format: 'jsonl',
      origin: opts.origin ?? 'gold',
      split: opts.split ?? 'none',
    })
  }
  return path
}

/** Stats without the path, for before/after comparisons. */
export function statsOf(path: string): Omit<ProjectStats, 'path'> {
  const p = Project.open(path, { readonly: true })
  try {
    const { path: _ignored, ...rest } = p.stats()
    return rest
  } finally {
    p.close()
  }
}

/** Every row of every content table, for "the project is unchanged" checks stronger than stats. */
export function dumpProject(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true })
  try {
    const out: Record<string, unknown[]> = {}
    for (const t of [
      'meta',
      'entity_types',
      'titles',
      'spans',
      'runs',
      'predictions',
      'history',
      'imports',
      'dictionaries',
      'dictionary_terms',
      'dictionary_spans',
    ]) {
      out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()
    }
    return out
  } finally {
    db.close()
  }
}
