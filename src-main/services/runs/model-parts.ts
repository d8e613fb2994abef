// What the model parts beyond the study need from the project: the title embeddings
// (kept in table `embeddings`, learnt by the trainer when missing) and the lexicon of the lexicon
// features. Both are written as files next to the job's data; nothing of dev/test's labels is read.

import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { embeddingsFromBytes, embeddingsKey, type EmbeddingOptions } from '../../ml/embeddings'
import type { LexiconEntry } from '../../ml/lexicon'
import { toJsonl } from '../../shared/jsonl'
import type { TrainConfig } from '../../shared/training'
import type { Split } from '../../shared/types'
import type { DB } from '../../store/db'

/** Title embeddings are learnt with this seed whatever the run's seed, so every run shares them. */
export const EMBEDDING_SEED = 1

export function embeddingOptions(config: TrainConfig): EmbeddingOptions {
  return { dim: config.model.charEmbedding, bigramDim: config.model.bigramEmbedding ?? 0, seed: EMBEDDING_SEED }
}

/** Every title's text, in id order (all splits, reviewed or not: text only). */
export function allTitles(db: DB): string[] {
  return (db.prepare('SELECT text FROM titles ORDER BY id').all() as { text: string }[]).map((r) => r.text)
}

function titlesHash(titles: readonly string[]): string {
  const h = createHash('sha256')
  for (const t of titles) h.update(`${t}\n`)
  return h.digest('hex')
}

/**
 * Lexicon words: the terms of every dictionary imported from a file, and the texts of the gold
 * spans of the train split. Dictionaries created in the studio (no source file) are left out: they
 * are where "promote gold spans" puts confirmed spans of any split, dev and test included.
 */
export function lexiconEntries(db: DB, trainSplit: Split = 'train'): LexiconEntry[] {
  const terms = db
    .prepare(`SELECT dt.term AS text, dt.type FROM dictionary_terms dt JOIN dictionaries d ON d.id = dt.dictionary_id WHERE d.source != '' ORDER BY d.id, dt.term`)
    .all() as LexiconEntry[]
  const spans = db
    .prepare(
      `SELECT t.text AS title, s.start, s.end, e.name AS type FROM spans s JOIN titles t ON t.id = s.title_id JOIN entity_types e ON e.id = s.type_id
        WHERE s.origin = 'gold' AND t.split = ? ORDER BY s.id`,
    )
    .all(trainSplit) as { title: string; start: number; end: number; type: string }[]
  return [...terms, ...spans.map((s) => ({ text: Array.from(s.title).slice(s.start, s.end).join(''), type: s.type }))]
}

/** Terms of the dictionaries imported from a file (the ones the lexicon takes). */
export function dictionaryTermCount(db: DB): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM dictionary_terms dt JOIN dictionaries d ON d.id = dt.dictionary_id WHERE d.source != ''`).get() as { n: number }).n
}

export interface PartFiles {
  /** Job fields (see trainer/protocol.ts). */
  job: { embeddingsPath?: string; titlesPath?: string; lexiconPath?: string }
  /** The parts' recipe for the run record: what ran and, for embeddings, whether they were reused. */
  record: { embeddings?: { key: string; cached: boolean; titles: number }; lexicon?: { words: number } }
  /** After the job: keep newly learnt embeddings in the project (one transaction; stale rows go). */
  keep(): void
}

/** Write the files the config's parts need into `dir`. */
export function preparePartFiles(db: DB, config: TrainConfig, dir: string, trainSplit: Split = 'train'): PartFiles {
  const job: PartFiles['job'] = {}
  const record: PartFiles['record'] = {}
  let keep = (): void => {}
  if (config.model.pretrainedEmbeddings && config.model.encoder !== 'bert') {
    const titles = allTitles(db)
    const key = embeddingsKey(titles, embeddingOptions(config))
    const path = join(dir, 'embeddings.bin')
    const row = db.prepare('SELECT vectors FROM embeddings WHERE key = ?').get(key) as { vectors: Buffer } | undefined
    job.embeddingsPath = path
    if (row) writeFileSync(path, row.vectors)
    else {
      job.titlesPath = join(dir, 'titles.jsonl')
      writeFileSync(job.titlesPath, toJsonl(titles))
      const hash = titlesHash(titles)
      keep = () => {
        if (!existsSync(path) || !db.open) return
        const bytes = readFileSync(path)
        if (embeddingsFromBytes(bytes).key !== key) return
        db.transaction(() => {
          db.prepare('DELETE FROM embeddings WHERE titles != ?').run(hash)
          db.prepare('INSERT OR REPLACE INTO embeddings (key, titles, vectors, created_at) VALUES (?, ?, ?, ?)').run(key, hash, bytes, Date.now())
        })()
      }
    }
    record.embeddings = { key, cached: !!row, titles: titles.length }
  }
  if (config.model.lexicon && config.model.encoder !== 'bert') {
    const entries = lexiconEntries(db, trainSplit)
    job.lexiconPath = join(dir, 'lexicon.jsonl')
    writeFileSync(job.lexiconPath, toJsonl(entries))
    record.lexicon = { words: entries.length }
  }
  return { job, record, keep }
}
