import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readCheckpointDir } from '../../../src-main/ml/checkpoint'
import { toJsonl } from '../../../src-main/shared/jsonl'
import { presetConfig } from '../../../src-main/ml/models/presets'
import { predict } from '../../../src-main/ml/predict'
import { startTrainingJob, type TrainingJob, type TrainingJobHandle } from '../../../src-main/trainer/host'
import type { TrainingEvent } from '../../../src-main/shared/training'
import { testBackend } from '../../helpers/ml'
import { TINY } from '../../helpers/tiny'
import { tmpDir } from '../../helpers/tmp'
import { BERT_TINY } from '../../helpers/bert'
import { waitFor } from '../../helpers/wait'
import { pidAlive } from '../../../src-main/io/temp'

const dir = tmpDir('ner-trainer-')
const small = { charEmbedding: 16, hidden: 16, wordEmbedding: 8 }

const alive = (pid: number | undefined): boolean => pid !== undefined && pidAlive(pid)

/** Start `job`, collecting its events, and cancel it at its third batch (mid-epoch). */
function startAndCancel(job: TrainingJob): { job: TrainingJobHandle; events: TrainingEvent[] } {
  const events: TrainingEvent[] = []
  let cancelled = false
  const handle = startTrainingJob(
    job,
    (e) => {
      events.push(e)
      if (e.kind === 'batch' && e.step >= 3 && !cancelled) {
        cancelled = true
        handle.cancel()
      }
    },
    { timeoutMs: 110_000 },
  )
  return { job: handle, events }
}

describe('trainer process', () => {
  beforeAll(async () => {
    await testBackend()
    writeFileSync(path.join(dir, 'train.jsonl'), toJsonl(TINY))
    writeFileSync(path.join(dir, 'dev.jsonl'), toJsonl(TINY.slice(0, 4)))
    writeFileSync(path.join(dir, 'big.jsonl'), toJsonl(Array.from({ length: 300 }, (_, i) => TINY[i % TINY.length]!)))
  })

  it('a forked job trains, streams events in order, writes a checkpoint that loads and predicts', async () => {
    const events: TrainingEvent[] = []
    const outDir = path.join(dir, 'out1')
    const job = startTrainingJob(
      {
        config: presetConfig('cascade-bilstm-crf-wlf', { model: small, epochs: 3, batchSize: 4, learningRate: 0.02, logEvery: 1, patience: 0 }),
        trainPath: path.join(dir, 'train.jsonl'),
        devPath: path.join(dir, 'dev.jsonl'),
        outDir,
        backend: 'wasm',
      },
      (e) => events.push(e),
      { timeoutMs: 110_000 },
    )
    const outcome = await job.done
    expect(outcome.kind, JSON.stringify(outcome)).toBe('done')
    const kinds = events.map((e) => e.kind)
    expect(kinds[0]).toBe('started')
    expect(kinds[kinds.length - 1]).toBe('done')
    expect(kinds.filter((k) => k === 'epoch')).toHaveLength(3)
    expect(kinds.filter((k) => k === 'eval')).toHaveLength(3)
    // per epoch: batches, then epoch, then eval (then maybe checkpoint)
    let epoch = 0
    for (const e of events) {
      if (e.kind === 'batch') expect(e.epoch).toBe(epoch + 1)
      if (e.kind === 'epoch') expect(e.epoch).toBe(++epoch)
      if (e.kind === 'eval') expect(e.epoch).toBe(epoch)
    }
    const steps = events.filter((e) => e.kind === 'batch').map((e) => (e as { step: number }).step)
    expect(steps).toEqual([...steps].sort((a, b) => a - b))
    const started = events[0] as Extract<TrainingEvent, { kind: 'started' }>
    expect(started.backend).toBe('wasm')
    expect(kinds).toContain('checkpoint')
    const ckpt = readCheckpointDir(outDir)
    expect(ckpt.manifest.config.preset).toBe('cascade-bilstm-crf-wlf')
    expect(ckpt.manifest.backend).toBe('wasm')
    const preds = await predict(ckpt, TINY.map((e) => e.text))
    expect(preds).toHaveLength(TINY.length)
    for (const p of preds) for (const s of p.spans) expect(s.confidence > 0 && s.confidence <= 1, `confidence ${s.confidence}`).toBe(true)
    await waitFor(() => !alive(job.pid), 'the trainer process to exit')
  })

  it('cancel mid-epoch yields `cancelled` and leaves no checkpoint of a partial epoch', async () => {
    const outDir = path.join(dir, 'out2')
    const { job, events } = startAndCancel({
      config: presetConfig('bilstm-crf', { model: { charEmbedding: 16, hidden: 16 }, epochs: 5, batchSize: 2, logEvery: 1 }),
      trainPath: path.join(dir, 'big.jsonl'),
      devPath: path.join(dir, 'dev.jsonl'),
      outDir,
      backend: 'wasm',
    })
    const outcome = await job.done
    expect(outcome.kind, JSON.stringify(outcome)).toBe('cancelled')
    expect(events.map((e) => e.kind)).not.toContain('epoch')
    expect(events.map((e) => e.kind)).not.toContain('checkpoint')
    expect(existsSync(path.join(outDir, 'manifest.json'))).toBe(false)
    if (outcome.kind === 'cancelled') expect(outcome.checkpointPath).toBeNull()
    await waitFor(() => !alive(job.pid), 'the trainer process to exit')
  })

  it('a BERT job (bert-crf, tiny encoder folder) cancels mid-epoch: `cancelled`, no checkpoint, process gone', async () => {
    const outDir = path.join(dir, 'out-bert')
    const { job, events } = startAndCancel({
      config: presetConfig('bert-crf', { epochs: 5, batchSize: 2, logEvery: 1, model: { bert: { dropout: 0 } } }),
      trainPath: path.join(dir, 'big.jsonl'),
      devPath: path.join(dir, 'dev.jsonl'),
      outDir,
      backend: 'wasm',
      bertPath: BERT_TINY,
    })
    const outcome = await job.done
    expect(outcome.kind, JSON.stringify(outcome)).toBe('cancelled')
    const started = events[0] as Extract<TrainingEvent, { kind: 'started' }>
    expect(started).toMatchObject({ kind: 'started', preset: 'bert-crf', backend: 'wasm' })
    expect(started.warning).toMatch(/no GPU/)
    expect(events.map((e) => e.kind)).not.toContain('checkpoint')
    expect(existsSync(path.join(outDir, 'manifest.json'))).toBe(false)
    await waitFor(() => !alive(job.pid), 'the trainer process to exit')
  })

  it('a BERT job writes a self-contained checkpoint that predicts', async () => {
    const outDir = path.join(dir, 'out-bert2')
    const job = startTrainingJob(
      {
        config: presetConfig('cascade-bert-crf-wol', { epochs: 2, batchSize: 4, logEvery: 0 }),
        trainPath: path.join(dir, 'train.jsonl'),
        devPath: path.join(dir, 'dev.jsonl'),
        outDir,
        backend: 'wasm',
        bertPath: BERT_TINY,
      },
      () => {},
      { timeoutMs: 110_000 },
    )
    const outcome = await job.done
    expect(outcome.kind, JSON.stringify(outcome)).toBe('done')
    const ckpt = readCheckpointDir(outDir)
    expect(ckpt.manifest.bert?.source).toMatchObject({ dir: BERT_TINY, layout: 'hf' })
    const preds = await predict(ckpt, TINY.map((e) => e.text))
    expect(preds).toHaveLength(TINY.length)
  })

  it('reports an error for a bad job (missing data file)', async () => {
    const job = startTrainingJob(
      { config: presetConfig('bilstm'), trainPath: path.join(dir, 'nope.jsonl'), devPath: '', outDir: path.join(dir, 'out3'), backend: 'wasm' },
      () => {},
      { timeoutMs: 60_000 },
    )
    const outcome = await job.done
    expect(outcome.kind).toBe('error')
    if (outcome.kind === 'error') expect(outcome.message).toMatch(/nope\.jsonl/)
  })
})
