// The model parts beyond the study through the real CLI, trainer process and project file: title
// embeddings learnt once, kept in the project and reused until the titles change; the lexicon
// built from imported dictionaries and TRAIN gold only (no dev/test label leaks into it).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { importInto } from '../../../src-main/services/io/import'
import { lexiconEntries, preparePartFiles } from '../../../src-main/services/runs/model-parts'
import { openDatabase } from '../../../src-main/store/db'
import { presetConfig } from '../../../src-main/ml/models/presets'
import { getRun } from '../../../src-main/services/runs/evaluation'
import { Project } from '../../../src-main/services/project/project'
import { runCli } from '../../helpers/cli'
import { makeProject, writeJsonl } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'
import { tinyTitles } from '../../helpers/tiny'

const PARTS = { model: { charEmbedding: 8, hidden: 8, pretrainedEmbeddings: true, bigramEmbedding: 4, lexicon: true }, batchSize: 4 }

describe('model parts: title embeddings and lexicon in a project', () => {
  let dir: string
  let project: string
  beforeAll(async () => {
    dir = tmpDir()
    project = await makeProject(dir, tinyTitles(8), { split: 'train' })
    // dev/test gold spans whose texts appear nowhere in train
    for (const [split, text, span] of [
      ['dev', '雅戈尔衬衫', [0, 3, '品牌']],
      ['test', '森马牛仔裤', [0, 2, '品牌']],
    ] as const) {
      const f = writeJsonl(join(dir, `${split}.jsonl`), [{ text, label: [[...span]] }])
      await importInto(project, { path: f, format: 'jsonl', origin: 'gold', split })
    }
    writeFileSync(join(dir, 'brands.dic'), '安踏\n特步\n')
    expect((await runCli(['weak-label', project, '--dict', join(dir, 'brands.dic'), '--type', '品牌', '--split', 'none'])).code).toBe(0)
  }, 120_000)

  it('the lexicon holds the imported dictionary and train gold, never dev/test gold', () => {
    const db = openDatabase(project)
    try {
      const words = new Set(lexiconEntries(db).map((e) => e.text))
      expect(words.has('安踏')).toBe(true)
      expect(words.has('回力')).toBe(true)
      expect(words.has('雅戈尔')).toBe(false)
      expect(words.has('森马')).toBe(false)
    } finally {
      db.close()
    }
  })

  it('trains with embeddings + bigrams + lexicon; the embeddings are kept, reused by the next run, and stale once a title changes', async () => {
    const cfg = join(dir, 'parts.json')
    writeFileSync(cfg, JSON.stringify(PARTS))
    for (const run of [1, 2]) {
      const t = await runCli(['train', project, '--model', 'bilstm-crf', '--epochs', '1', '--config', cfg, '--json'], { timeoutMs: 240_000 })
      expect(t.code, t.stderr).toBe(0)
      const db = openDatabase(project, { readonly: true })
      const row = db.prepare('SELECT config, status FROM runs WHERE id = ?').get(run) as { config: string; status: string }
      const cached = db.prepare('SELECT count(*) AS n FROM embeddings').get() as { n: number }
      db.close()
      expect(row.status).toBe('done')
      const parts = JSON.parse(row.config).parts
      expect(parts.names).toEqual(['title embeddings', 'bigrams', 'lexicon'])
      expect(parts.embeddings).toMatchObject({ cached: run === 2, titles: 10 })
      expect(parts.lexicon.words).toBeGreaterThan(2)
      expect(cached.n).toBe(1)
    }
    // what the Runs board shows
    const p = Project.open(project)
    try {
      expect(getRun(p, 1).parts).toEqual(['bilstm-crf', 'title embeddings', 'bigrams', 'lexicon'])
    } finally {
      p.close()
    }
    const db = openDatabase(project)
    try {
      const config = presetConfig('bilstm-crf', PARTS)
      expect(preparePartFiles(db, config, tmpDir()).record.embeddings!.cached).toBe(true)
      db.prepare("UPDATE titles SET text = text || '！' WHERE id = 1").run()
      const after = preparePartFiles(db, config, tmpDir())
      expect(after.record.embeddings!.cached).toBe(false)
      // the embeddings are learnt again, from the titles as they are now
      expect(readFileSync(after.job.titlesPath!, 'utf8')).toContain('！')
    } finally {
      db.close()
    }
  }, 600_000)
})
