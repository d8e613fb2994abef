// `ner-studio train --model auto` on a project of weak titles: the parts the data calls for are
// chosen, said on stderr, and recorded in the run's config; the run trains to a checkpoint.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importInto } from '../../../src-main/services/io/import'
import { openDatabase } from '../../../src-main/store/db'
import { Project } from '../../../src-main/services/project/project'
import { getRun } from '../../../src-main/services/runs/evaluation'
import type { DecodeBiasOutcome, SelfTrainingOutcome } from '../../../src-main/shared/training'
import type { CheckpointManifest } from '../../../src-main/ml/checkpoint'
import { DECODE_BIAS_GRID } from '../../../src-main/ml/train/decode-bias'
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
    expect(t.stderr).toMatch(/auto = bilstm-crf \+ title embeddings \+ bigrams \+ partial CRF \(ρ 0\.3\) \+ origin weights \+ dictionaries ≥ ½ precise \+ self-training \(1 round, 1 epochs\) \+ decoding tuned on dev \(O bias\)/)
    const db = openDatabase(project, { readonly: true })
    const run = db.prepare('SELECT preset, status, config, metrics FROM runs WHERE id = 1').get() as { preset: string; status: string; config: string; metrics: string }
    const stored = db.prepare('SELECT manifest FROM checkpoints WHERE run_id = 1').get() as { manifest: string }
    db.close()
    expect(run).toMatchObject({ preset: 'auto', status: 'done' })
    // the O bias chosen on dev: in the run's metrics, on the Runs board, and in the checkpoint the studio predicts with
    const { decodeBias } = JSON.parse(run.metrics) as { decodeBias: DecodeBiasOutcome }
    expect(DECODE_BIAS_GRID).toContain(decodeBias.bias)
    expect(decodeBias.devF1).toBeGreaterThanOrEqual(decodeBias.devF1Before)
    expect((JSON.parse(stored.manifest) as CheckpointManifest).config.model.decodeBias ?? 0).toBe(decodeBias.bias)
    const q = Project.open(project, { readonly: true })
    expect(getRun(q, 1).decoding).toMatch(decodeBias.bias ? /^decoding: O bias [\d.]+ chosen on dev \(dev F1 [\d.]+ → [\d.]+\)$/ : /^decoding: no O bias pays on dev/)
    q.close()
    const config = JSON.parse(run.config) as { recipe: { parts: { id: string }[]; facts: unknown }; weakLoss: { partial: boolean }; selfTraining: { rounds: number } }
    expect(config.recipe.parts.map((p) => p.id)).toEqual(['base', 'title-embeddings', 'weak-loss', 'self-training', 'decode-bias'])
    expect(config.recipe.facts).toEqual({ reviewed: 0, weak: 24, unlabelled: 0, types: 5, dictionaryTerms: 0 })
    expect(config.weakLoss.partial).toBe(true)
    expect(config.selfTraining.rounds).toBe(1)
  })

  it('soft dictionary spans (a preset with weakLoss.softSpans): each dictionary span trains with its dictionary’s precision on the reviewed dev titles, recorded in the run', async () => {
    const dir = tmpDir()
    const project = await makeProject(dir, tinyTitles(24).map((t) => ({ text: t.text })), { origin: 'weak', split: 'train' })
    await importInto(project, { path: writeJsonl(join(dir, 'dev.jsonl'), tinyTitles(24)), format: 'jsonl', origin: 'gold', split: 'dev' })
    const p = Project.open(project)
    p.setStatus((p.db.prepare(`SELECT id FROM titles WHERE split = 'dev'`).all() as { id: number }[]).map((r) => r.id), 'reviewed')
    p.close()
    // seven right brands and one category filed as a brand: on the 24 dev titles 21 of 24 matches are right
    const dic = join(dir, 'brands.dic')
    writeFileSync(dic, '回力\n创维\n啄木鸟\n小米\n耐克\n华为\n李宁\n女鞋\n')
    const w = await runCli(['weak-label', project, '--dict', dic, '--type', '品牌', '--split', 'train'])
    expect(w.code, w.stderr).toBe(0)
    const overrides = join(dir, 'soft.json')
    writeFileSync(overrides, JSON.stringify({ weakLoss: { partial: true, unknownEntityPrior: 0.3, originWeights: { gold: 1, weak: 0.8, dictionary: 0.6, model: 0.5 }, softSpans: true } }))
    const t = await runCli(['train', project, '--model', 'bilstm-crf', '--epochs', '1', '--config', overrides, '--json'], { timeoutMs: 300_000 })
    expect(t.code, t.stderr).toBe(0)
    const db = openDatabase(project, { readonly: true })
    const run = db.prepare('SELECT status, config FROM runs WHERE id = 1').get() as { status: string; config: string }
    db.close()
    expect(run.status).toBe('done')
    const config = JSON.parse(run.config) as { weakLoss: { softSpans: boolean }; data: { dictionaryPrecision: unknown } }
    expect(config.weakLoss.softSpans).toBe(true)
    expect(config.data.dictionaryPrecision).toEqual({ brands: { precision: 21 / 24, matches: 24 } })
  })

  it("self-training's pool: the titles of no split and the train split's unreviewed titles the run did not train on, never dev or test", async () => {
    const dir = tmpDir()
    const project = await makeProject(dir, tinyTitles(24), { split: 'train' })
    const p = Project.open(project)
    p.setStatus((p.db.prepare(`SELECT id FROM titles WHERE split = 'train'`).all() as { id: number }[]).map((r) => r.id), 'reviewed')
    p.close()
    await importInto(project, { path: writeJsonl(join(dir, 'more.jsonl'), tinyTitles(5, 1).map((t) => ({ text: `新${t.text}` }))), format: 'jsonl', origin: 'weak', split: 'train' })
    await importInto(project, { path: writeJsonl(join(dir, 'none.jsonl'), tinyTitles(6, 2).map((t) => ({ text: `无${t.text}` }))), format: 'jsonl', origin: 'weak', split: 'none' })
    await importInto(project, { path: writeJsonl(join(dir, 'dev.jsonl'), tinyTitles(8, 3)), format: 'jsonl', origin: 'gold', split: 'dev' })
    await importInto(project, { path: writeJsonl(join(dir, 'test.jsonl'), tinyTitles(7, 4).map((t) => ({ text: `测${t.text}` }))), format: 'jsonl', origin: 'gold', split: 'test' })
    // every predicted span is confident enough: the round runs whenever the pool reaches the trainer
    const overrides = join(dir, 'st.json')
    writeFileSync(overrides, JSON.stringify({ selfTraining: { rounds: 1, minConfidence: 0, epochs: 1 } }))
    // two workers: training on two threads, the pool tagged by two prediction processes
    const t = await runCli(['train', project, '--model', 'bilstm-crf', '--data', 'reviewed', '--epochs', '4', '--workers', '2', '--config', overrides, '--json'], { timeoutMs: 300_000 })
    expect(t.code, t.stderr).toBe(0)
    const db = openDatabase(project, { readonly: true })
    const run = db.prepare('SELECT status, config, metrics FROM runs WHERE id = 1').get() as { status: string; config: string; metrics: string }
    db.close()
    expect(run.status).toBe('done')
    // 5 unreviewed train titles (left out by --data reviewed) + 6 of no split; not the 8 dev and 7 test titles
    expect((JSON.parse(run.config) as { data: { train: number; pool: number } }).data).toMatchObject({ train: 24, pool: 11 })
    // the self-training round ran on them: one epoch beyond the four
    const metrics = JSON.parse(run.metrics) as { epochs: unknown[]; selfTraining: SelfTrainingOutcome }
    expect(metrics.epochs).toHaveLength(5)
    // minConfidence 0: each of the 11 titles (none with a weak span) is taken in full; the run says what it did
    expect(metrics.selfTraining).toMatchObject({ roundsRun: 1, pseudoTitles: 11, pool: { titles: 11, workers: 2 } })
    const q = Project.open(project, { readonly: true })
    const line = getRun(q, 1).selfTraining
    q.close()
    expect(line).toMatch(metrics.selfTraining.roundsKept ? /^self-training: 1 of 1 round kept \(last round: 11 titles labelled by the model, \d+ spans\)$/ : /^self-training: not kept \(11 titles labelled by the model, \d+ spans; dev F1 did not improve\)$/)
  })
})
