// Training jobs through the Studio (the same object every transport dispatches to): start →
// progress events with the run id → done; a second start while one runs → busy; cancel →
// cancelled; then evaluate, drill down and pre-annotate with the trained run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainProgress } from '../../../../src-main/shared/runs'
import { join } from 'node:path'
import { evaluate } from '../../../../src-main/ml/eval'
import { runCli } from '../../../helpers/cli'
import { runsStudio, TINY_OVERRIDES, type RunsStudio } from '../../../helpers/runs'
import { waitFor } from '../../../helpers/wait'

function finished(m: RunsStudio, runId: number): Promise<TrainProgress> {
  return waitFor(() => m.of('train.progress').find((p) => p.runId === runId && p.event === null), `run ${runId} to finish`, { timeoutMs: 100_000 })
}

describe('training jobs in the Studio', () => {
  let m: RunsStudio
  let runId: number
  beforeAll(async () => {
    m = await runsStudio()
  })
  afterAll(async () => {
    await m.studio.shutdown()
  })

  it('lists auto first (its parts one sentence each), then the study’s ten presets and the span-head model with explanations; the BERT ones take a BERT folder, checked at start', async () => {
    const ps = await m.studio.handle('presets.list', undefined)
    expect(ps).toHaveLength(12)
    expect(ps[0]).toMatchObject({ name: 'auto', available: true })
    expect(ps[0]!.parts!.map((p) => p.id)).toEqual(['base', 'title-embeddings', 'word-features', 'lexicon', 'weak-loss', 'self-training', 'decode-bias'])
    expect(ps.find((p) => p.name === 'bilstm-crf')).toMatchObject({ available: true })
    expect(ps.find((p) => p.name === 'bilstm-crf')!.config!.model.head).toBe('crf')
    const bert = ps.filter((p) => p.needsBert)
    expect(bert.map((p) => p.name).sort()).toEqual(['bert', 'bert-bilstm-crf', 'bert-crf', 'cascade-bert-crf', 'cascade-bert-crf-wol'])
    for (const p of bert) expect(p).toMatchObject({ available: true, config: { model: { encoder: 'bert' } } })
    await expect(m.studio.handle('train.start', { preset: 'bert-crf' })).rejects.toMatchObject({ code: 'bad_request' })
    await expect(m.studio.handle('train.start', { preset: 'bert-crf', bert: '/no/such/folder' })).rejects.toThrow(/BERT folder/)
    for (const p of ps) expect(p.description.length).toBeGreaterThan(10)
  })

  it('start → progress events with the run id → done; a second start is busy; the job stays listed', async () => {
    const job = await m.studio.handle('train.start', { preset: 'bilstm-crf', overrides: TINY_OVERRIDES, data: 'all' })
    runId = job.runId
    expect(job.state).toBe('running')
    await expect(m.studio.handle('train.start', { preset: 'bilstm', overrides: TINY_OVERRIDES })).rejects.toMatchObject({ code: 'busy' })
    await expect(m.studio.handle('project.open', { path: m.dir + '/other.sqlite' })).rejects.toMatchObject({ code: 'busy' })
    expect((await m.studio.handle('train.jobs', undefined))[0]).toMatchObject({ runId, state: 'running' })
    const last = await finished(m, runId)
    expect(last.job).toMatchObject({ runId, state: 'done', progress: 1 })
    const kinds = m.of('train.progress').filter((p) => p.runId === runId && p.event).map((p) => p.event!.kind)
    expect(kinds[0]).toBe('started')
    expect(kinds).toContain('batch')
    expect(kinds).toContain('epoch')
    expect(kinds).toContain('eval')
    expect(kinds).toContain('done')
    const jobs = await m.studio.handle('train.jobs', undefined)
    expect(jobs[0]).toMatchObject({ runId, state: 'done', trainExamples: 48, devExamples: 8 })
    expect(jobs[0]!.history).toHaveLength(1)
    // the one epoch's dev score is the run's recorded best (one epoch: it is the best)
    expect(jobs[0]!.history[0]!.dev).toEqual((await m.studio.handle('runs.get', { runId })).metrics?.best)
    expect(jobs[0]!.backend).toMatch(/wasm|cpu|tensorflow/)
    // batch 8 on wasm: one worker per core, at most 2 (4 titles per share)
    const cores = Math.min(2, (await import('node:os')).availableParallelism())
    expect(jobs[0]!.workers).toBe(jobs[0]!.backend === 'tensorflow' ? 1 : cores)
    expect(jobs[0]!.charsPerSec).toBeGreaterThan(0)
    const run = await m.studio.handle('runs.get', { runId })
    expect(run).toMatchObject({ status: 'done', hasCheckpoint: true, trainExamples: 48, devExamples: 8, epochsRun: 1 })
    expect(run.secondsPerEpoch).toBeGreaterThan(0)
    // the Runs board's total time and speed: the run's whole training, its epochs' chars/s
    expect(run.seconds).toBeGreaterThanOrEqual(run.secondsPerEpoch!)
    expect(run.charsPerSec).toBeCloseTo(jobs[0]!.history[0]!.charsPerSec!, 6)
    expect(run.workers).toBe(jobs[0]!.workers)
    // one history, built once from the trainer's events: the job's is the run record's
    expect(jobs[0]!.history[0]!.charsPerSec).toBeGreaterThan(0)
    expect(run.metrics?.epochs).toEqual(jobs[0]!.history)
  })

  it('cancel → cancelled, and the next start is allowed again', async () => {
    const job = await m.studio.handle('train.start', { preset: 'bilstm', overrides: { ...TINY_OVERRIDES, epochs: 50 }, data: 'all' })
    await waitFor(() => m.of('train.progress').some((p) => p.runId === job.runId && p.event?.kind === 'batch'), 'a batch event', { timeoutMs: 60_000 })
    expect(await m.studio.handle('train.cancel', { runId: job.runId })).toEqual({ cancelling: true })
    const last = await finished(m, job.runId)
    expect(last.job.state).toBe('cancelled')
    expect((await m.studio.handle('runs.get', { runId: job.runId })).status).toBe('cancelled')
    expect(m.studio.jobs.active).toBeNull()
  })

  it('eval.run reports per type with support, buckets and confusion; eval.titles returns exactly the cell', async () => {
    const ev = await m.studio.handle('eval.run', { runId, split: 'test' })
    expect(ev.titles).toBe(16)
    expect(ev.perType.reduce((a, t) => a + t.support, 0)).toBe(ev.micro.support)
    expect(m.of('inference.progress').some((p) => p.runId === runId && p.what === 'evaluate' && p.done === 16)).toBe(true)
    for (const t of ev.perType) {
      const sup = await m.studio.handle('eval.titles', { runId, split: 'test', cell: { type: t.type, metric: 'support' } })
      expect(sup.count).toBe(t.support)
      const pred = await m.studio.handle('eval.titles', { runId, split: 'test', cell: { type: t.type, metric: 'predicted' } })
      expect(pred.count).toBe(t.predicted)
      const cor = await m.studio.handle('eval.titles', { runId, split: 'test', cell: { type: t.type, metric: 'correct' } })
      expect(cor.count).toBe(t.correct)
    }
    for (const b of ['missed', 'spurious', 'wrongBoundary', 'wrongType', 'wrongBoth'] as const) {
      const r = await m.studio.handle('eval.titles', { runId, split: 'test', cell: { bucket: b } })
      expect(r.count).toBe(ev.errors[b])
      expect(r.total).toBe(r.titles.length)
      for (const t of r.titles) expect(t.hits.length).toBeGreaterThan(0)
    }
    // Exactly those titles: a title is listed for a bucket iff ml/eval, run on that title alone, counts the bucket there.
    const preds = new Map(
      (m.studio.current()!.db.prepare('SELECT title_id, spans FROM predictions WHERE run_id = ?').all(runId) as { title_id: number; spans: string }[]).map((r) => [
        r.title_id,
        JSON.parse(r.spans) as { start: number; end: number; type: string }[],
      ]),
    )
    const testTitles = await m.studio.handle('titles.list', { split: 'test', limit: 100 })
    for (const b of ['missed', 'spurious', 'wrongBoundary', 'wrongType', 'wrongBoth'] as const) {
      const listed = new Set((await m.studio.handle('eval.titles', { runId, split: 'test', cell: { bucket: b } })).titles.map((t) => t.id))
      for (const it of testTitles.items) {
        const t = await m.studio.handle('titles.get', { id: it.id })
        const one = evaluate([t.spans.filter((s) => s.origin !== 'model')], [preds.get(t.id) ?? []])
        expect(listed.has(t.id), `${b} ${t.id}`).toBe(one.errors[b] > 0)
      }
    }
    for (const [g, row] of Object.entries(ev.confusion))
      for (const [p, n] of Object.entries(row)) expect((await m.studio.handle('eval.titles', { runId, split: 'test', cell: { gold: g, pred: p } })).count).toBe(n)
    const cmp = await m.studio.handle('runs.compare', { a: runId, b: runId, split: 'test' })
    expect(cmp.types.length).toBe(ev.perType.length)
    expect(cmp.microA.f1).toBeCloseTo(ev.micro.f1)
  })

  it('one evaluation: after `ner-studio evaluate` the Compare screen reads its result instead of evaluating again', async () => {
    const path = join(m.dir, 'p.sqlite')
    const e = await runCli(['evaluate', path, '--run', String(runId), '--split', 'dev', '--json'], { timeoutMs: 60_000 })
    expect(e.code, e.stderr).toBe(0)
    const cli = JSON.parse(e.stdout) as Record<string, unknown> & { titles: number; report: { micro: { f1: number; precision: number } } }
    // The CLI's --json output is as before: run, split, titles and the engine's report, nothing more.
    expect(Object.keys(cli).sort()).toEqual(['report', 'runId', 'split', 'titles'])
    expect(cli.titles).toBe(8)
    const before = m.of('inference.progress').length
    const cmp = await m.studio.handle('runs.compare', { a: runId, b: runId, split: 'dev' })
    expect(m.of('inference.progress').length).toBe(before)
    expect(cmp.microA.f1).toBe(cli.report.micro.f1)
    expect(cmp.microA.precision).toBe(cli.report.micro.precision)
    // A split nobody evaluated on is evaluated (and reports progress).
    await m.studio.handle('runs.compare', { a: runId, b: runId, split: 'train' })
    expect(m.of('inference.progress').length).toBeGreaterThan(before)
  })

  it('pre-annotates unreviewed titles with model spans (run id, confidence), never over other spans', async () => {
    const before = (await m.studio.handle('project.stats', undefined)).byOrigin
    const r = await m.studio.handle('preannotate.run', { runId, split: 'train' })
    expect(r.titles).toBe(48)
    const after = (await m.studio.handle('project.stats', undefined)).byOrigin
    expect(after.weak).toBe(before.weak)
    expect(after.gold).toBe(before.gold)
    expect(after.model).toBe(r.spans)
    // Every train title is weakly labelled by the same spans the model learnt: overlaps are skipped.
    expect(r.spans + r.skippedOverlap).toBeGreaterThan(0)
    const q = await m.studio.handle('preannotate.queue', { runId })
    for (let i = 1; i < q.items.length; i++) expect(q.items[i]!.minConfidence).toBeGreaterThanOrEqual(q.items[i - 1]!.minConfidence)
  })

  it('pre-annotated spans never overlap another span of their title, and gold is untouched', async () => {
    const page = await m.studio.handle('titles.list', { split: 'train', limit: 100 })
    for (const it of page.items) {
      const t = await m.studio.handle('titles.get', { id: it.id })
      const model = t.spans.filter((s) => s.origin === 'model')
      for (const s of model) {
        expect(s.runId).toBe(runId)
        expect(s.confidence).toBeGreaterThan(0)
        expect(s.confidence).toBeLessThanOrEqual(1)
      }
      const sorted = t.spans.slice().sort((a, b) => a.start - b.start)
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end)
    }
  })

  it('CLI: pre-annotate --run --split --min-confidence, then queue', async () => {
    const path = join(m.dir, 'p.sqlite')
    const r = await runCli(['pre-annotate', path, '--run', String(runId), '--split', 'train', '--min-confidence', '0.5', '--json'], { timeoutMs: 60_000 })
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { titles: number; spans: number; replaced: number }
    expect(out.titles).toBe(48)
    const q = await runCli(['queue', path, '--run', String(runId), '--json'])
    expect(q.code, q.stderr).toBe(0)
    const items = (JSON.parse(q.stdout) as { items: { minConfidence: number }[] }).items
    for (const i of items) expect(i.minConfidence).toBeGreaterThanOrEqual(0.5)
    const bad = await runCli(['pre-annotate', path])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/needs --run/)
  })
})
