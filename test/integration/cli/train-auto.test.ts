// `ner-studio train --model auto` on a project of weak titles: the parts the data calls for are
// chosen, said on stderr, and recorded in the run's config; the run trains to a checkpoint.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importInto } from '../../../src-main/services/io/import'
import { openDatabase } from '../../../src-main/store/db'
import { runCli } from '../../helpers/cli'
import { makeProject, writeJsonl } from '../../helpers/project'
import { tinyTitles } from '../../helpers/tiny'
import { tmpDir } from '../../helpers/tmp'

describe('train --model auto', () => {
  it('weak titles: base + weak-label-aware loss + self-training, recorded in the run', async () => {
    const dir = tmpDir()
    const project = await makeProject(dir, tinyTitles(24), { origin: 'weak', split: 'train' })
    await importInto(project, { path: writeJsonl(join(dir, 'dev.jsonl'), tinyTitles(8, 3)), format: 'jsonl', origin: 'gold', split: 'dev' })
    const t = await runCli(['train', project, '--model', 'auto', '--epochs', '2', '--json'], { timeoutMs: 300_000 })
    expect(t.code, t.stderr).toBe(0)
    expect(t.stderr).toMatch(/auto = bilstm-crf \+ title embeddings \+ bigrams \+ partial CRF \(ρ 0\.3\) \+ origin weights \+ self-training \(1 round, 1 epochs\)/)
    const db = openDatabase(project, { readonly: true })
    const run = db.prepare('SELECT preset, status, config FROM runs WHERE id = 1').get() as { preset: string; status: string; config: string }
    db.close()
    expect(run).toMatchObject({ preset: 'auto', status: 'done' })
    const config = JSON.parse(run.config) as { recipe: { parts: { id: string }[]; facts: unknown }; weakLoss: { partial: boolean }; selfTraining: { rounds: number } }
    expect(config.recipe.parts.map((p) => p.id)).toEqual(['base', 'title-embeddings', 'weak-loss', 'self-training'])
    expect(config.recipe.facts).toEqual({ reviewed: 0, weak: 24, unlabelled: 0, types: 5, dictionaryTerms: 0 })
    expect(config.weakLoss.partial).toBe(true)
    expect(config.selfTraining.rounds).toBe(1)
  })
})
