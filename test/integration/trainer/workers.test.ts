import { writeFileSync } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { BertEncoder } from '../../../src-main/ml/bert/encoder'
import { importBertFolder } from '../../../src-main/ml/bert/import'
import { toJsonl } from '../../../src-main/shared/jsonl'
import { BERT_TINY } from '../../helpers/bert'
import { buildVocabs, featurize } from '../../../src-main/ml/models/features'
import { presetConfig } from '../../../src-main/ml/models/presets'
import { Tagger } from '../../../src-main/ml/models/tagger'
import { makeOptimizer, trainStep } from '../../../src-main/ml/train/trainer'
import { startTrainingJob } from '../../../src-main/trainer/host'
import { resolveWorkers, splitShares, startWorkerPool } from '../../../src-main/trainer/workers'
import type { PresetName, TrainingEvent } from '../../../src-main/shared/training'
import { testBackend } from '../../helpers/ml'
import { TINY } from '../../helpers/tiny'
import { tmpDir } from '../../helpers/tmp'
import { waitFor } from '../../helpers/wait'
import { pidAlive } from '../../../src-main/io/temp'
import { childrenOf } from '../../helpers/procs'

const dir = tmpDir('ner-workers-')
const small = { charEmbedding: 16, hidden: 16, wordEmbedding: 8, dropout: 0 }
let backend = 'wasm'

/** A process exists (a zombie — exited but never reaped — counts: it is litter too). */
const alive = (pid: number | undefined): boolean => pid !== undefined && pidAlive(pid)


const snap = (vs: tf.Variable[]): Float32Array[] => vs.map((v) => v.dataSync().slice() as Float32Array)

describe('data-parallel training workers', () => {
  beforeAll(async () => {
    backend = await testBackend()
    const big = Array.from({ length: 96 }, (_, i) => TINY[i % TINY.length]!)
    writeFileSync(path.join(dir, 'train.jsonl'), toJsonl(big))
    writeFileSync(path.join(dir, 'dev.jsonl'), toJsonl(TINY.slice(0, 4)))
  })

  it('the default is one worker per core on wasm (capped by the batch), always 1 on tfjs-node; shares are contiguous, non-empty and char-balanced', () => {
    expect(resolveWorkers(undefined, 'wasm', 32, 2)).toBe(2)
    expect(resolveWorkers(undefined, 'wasm', 32, 64)).toBe(8)
    expect(resolveWorkers(undefined, 'wasm', 4, 8)).toBe(1)
    expect(resolveWorkers(undefined, 'tensorflow', 32, 8)).toBe(1)
    expect(resolveWorkers(undefined, 'webgpu', 32, 8)).toBe(1)
    // tfjs-node's addon loads once per process: never helper threads on it, even when asked
    expect(resolveWorkers(3, 'tensorflow', 32, 8)).toBe(1)
    expect(resolveWorkers(3, 'wasm', 32, 8)).toBe(3)
    expect(resolveWorkers(9, 'wasm', 4, 8)).toBe(4)
    const items = [5, 50, 5, 5, 40, 1].map((n) => ({ charIds: new Int32Array(n) }))
    const shares = splitShares(items, 2)
    expect(shares.flat()).toEqual(items)
    expect(shares.map((s) => s.reduce((a, e) => a + e.charIds.length, 0))).toEqual([55, 51])
    expect(splitShares(items.slice(0, 2), 4).map((s) => s.length)).toEqual([1, 1])
    expect(splitShares(items, 6).every((s) => s.length === 1)).toBe(true)
  })

  for (const preset of ['bilstm-crf', 'cascade-bilstm-crf', 'bilstm'] as PresetName[]) {
    it(`${preset}: 2 workers give the same update as 1 on fixed batches (3 Adam steps, incl. a length-1 title), and dispose leaves no helper`, async () => {
      const config = presetConfig(preset, { model: small, batchSize: 8, learningRate: 0.01 })
      const vocabs = buildVocabs(TINY, config.model)
      const one = Tagger.build({ config: config.model, vocabs, seed: 3 })
      const two = Tagger.build({ config: config.model, vocabs, seed: 3 })
      const opt1 = makeOptimizer(one, config)
      const opt2 = makeOptimizer(two, config)
      const pool = await startWorkerPool(two, opt2, config, { workers: 2, backend })
      try {
        const enc = TINY.map((e) => featurize(e, one.vocabs))
        const single = featurize({ text: '鞋', spans: [{ start: 0, end: 1, type: '品类' }] }, one.vocabs)
        const batches = [enc, [...enc.slice(2, 7), single], [single, enc[0]!]]
        for (const b of batches) {
          const l1 = trainStep(one, opt1, b, config)
          const l2 = await pool.step(b)
          expect(l2).toBeCloseTo(l1, 4)
        }
        const w1 = snap(opt1.variables)
        const w2 = snap(opt2.variables)
        let maxDiff = 0
        let moved = 0
        w1.forEach((a, i) => {
          for (let j = 0; j < a.length; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j]! - w2[i]![j]!))
        })
        const init = Tagger.build({ config: config.model, vocabs, seed: 3 })
        snap(init.groups.encoder.concat(init.groups.heads)).forEach((a, i) => {
          for (let j = 0; j < a.length; j++) moved = Math.max(moved, Math.abs(a[j]! - w1[i]![j]!))
        })
        init.dispose()
        expect(moved).toBeGreaterThan(0.01) // the steps really moved the weights (lr 0.01)
        expect(maxDiff).toBeLessThan(2e-5)
      } finally {
        const exited = pool.threads.map((t) => new Promise((r) => t.once('exit', r)))
        pool.dispose()
        opt1.dispose()
        opt2.dispose()
        one.dispose()
        two.dispose()
        await Promise.all(exited)
      }
    }, 60_000)
  }

  it('cascade-bert-crf (tiny encoder, lowest layer frozen): 2 workers give the same update as 1 (Adam amplifies rounding on near-zero gradients: 1e-4 vs steps of ≈ 1e-3)', async () => {
    const config = presetConfig('cascade-bert-crf', { model: { bert: { dropout: 0, freezeLayers: 1 } }, batchSize: 8, warmupRatio: 0, lrDecay: 'none' })
    const make = (): Tagger => {
      const imp = importBertFolder(BERT_TINY)
      const bert = { encoder: BertEncoder.fromWeights(imp.config, imp.weights), vocab: imp.vocab }
      bert.encoder.freeze({ layers: 1, embeddings: true })
      return Tagger.build({ config: config.model, vocabs: buildVocabs(TINY, config.model), seed: 3, bert })
    }
    const one = make()
    const two = make()
    const opt1 = makeOptimizer(one, config)
    const opt2 = makeOptimizer(two, config)
    const pool = await startWorkerPool(two, opt2, config, { workers: 2, backend })
    try {
      const enc = TINY.map((e) => featurize(e, one.vocabs))
      for (const b of [enc, enc.slice(1, 6)]) expect(await pool.step(b)).toBeCloseTo(trainStep(one, opt1, b, config), 4)
      const w1 = snap(opt1.variables)
      const w2 = snap(opt2.variables)
      const w0 = make()
      const o0 = makeOptimizer(w0, config)
      const init = snap(o0.variables)
      o0.dispose()
      w0.dispose()
      let maxDiff = 0
      let moved = 0
      w1.forEach((a, i) => a.forEach((x, j) => ((maxDiff = Math.max(maxDiff, Math.abs(x - w2[i]![j]!))), (moved = Math.max(moved, Math.abs(x - init[i]![j]!))))))
      expect(moved).toBeGreaterThan(1e-3)
      expect(maxDiff).toBeLessThan(1e-4)
    } finally {
      pool.dispose()
      opt1.dispose()
      opt2.dispose()
      one.dispose()
      two.dispose()
    }
  }, 60_000)

  /** A 2-worker bilstm-crf pool on the tiny titles, handed to `use` and disposed after. */
  async function withPool(use: (pool: Awaited<ReturnType<typeof startWorkerPool>>, enc: ReturnType<typeof featurize>[]) => Promise<void>): Promise<void> {
    const config = presetConfig('bilstm-crf', { model: small, batchSize: 8 })
    const m = Tagger.build({ config: config.model, vocabs: buildVocabs(TINY, config.model), seed: 1 })
    const opt = makeOptimizer(m, config)
    const pool = await startWorkerPool(m, opt, config, { workers: 2, backend })
    try {
      await use(pool, TINY.map((e) => featurize(e, m.vocabs)))
    } finally {
      pool.dispose()
      opt.dispose()
      m.dispose()
    }
  }

  it('a helper thread that dies fails the next step with a clear reason naming the worker', async () => {
    await withPool(async (pool, enc) => {
      await pool.step(enc)
      await pool.threads[0]!.terminate()
      await expect(pool.step(enc)).rejects.toThrow(/training worker 1 exited \(code 1\)/)
    })
  }, 60_000)

  it('an error in a helper thread fails the step with its message, and the pool stays failed', async () => {
    await withPool(async (pool, enc) => {
      // the helper's share (the batch's second half) holds a char id the embedding table lacks
      const bad = { ...enc.at(-1)!, charIds: Int32Array.from(enc.at(-1)!.charIds, () => 1_000_000) }
      await expect(pool.step([...enc.slice(0, -1), bad])).rejects.toThrow(/training worker 1: .*1000000/)
      await expect(pool.step(enc)).rejects.toThrow(/training worker 1/)
    })
  }, 60_000)

  function job(workers: number | undefined, outDir: string, onEvent: (e: TrainingEvent, pid: number) => void, cancelGraceMs?: number) {
    const config = presetConfig('bilstm-crf', { model: small, epochs: 4, batchSize: 8, logEvery: 1, patience: 0, ...(workers !== undefined ? { workers } : {}) })
    let pid = 0
    const h = startTrainingJob(
      { config, trainPath: path.join(dir, 'train.jsonl'), devPath: path.join(dir, 'dev.jsonl'), outDir: path.join(dir, outDir), backend: backend as 'wasm' },
      (e) => onEvent(e, pid),
      { timeoutMs: 110_000, ...(cancelGraceMs ? { cancelGraceMs } : {}) },
    )
    pid = h.pid!
    return h
  }

  it('a trainer job with 2 workers reports them, trains them as threads of its one process, and leaves no process behind', async () => {
    const events: TrainingEvent[] = []
    let children: number[] = [-1]
    const h = job(2, 'out2', (e, pid) => {
      events.push(e)
      if (e.kind === 'batch' && e.step === 2) children = childrenOf(pid)
    })
    const outcome = await h.done
    expect(outcome.kind, JSON.stringify(outcome)).toBe('done')
    expect(events[0]).toMatchObject({ kind: 'started', workers: 2 })
    expect(children).toEqual([])
    await waitFor(() => !alive(h.pid), () => `process ${h.pid} to exit`)
  }, 120_000)

  it('--workers 1 trains in one process', async () => {
    const events: TrainingEvent[] = []
    const h = job(1, 'out1', (e) => {
      events.push(e)
      if (e.kind === 'epoch' && e.epoch === 1) h.cancel()
    })
    const outcome = await h.done
    expect(outcome.kind).toBe('cancelled')
    expect(events[0]).toMatchObject({ kind: 'started', workers: 1 })
  }, 120_000)

  it('cancel stops the trainer and its worker threads within a second (grace 1 s, else it is killed and reported as an error)', async () => {
    let cancelled = false
    const h = job(
      2,
      'out3',
      (e) => {
        if (e.kind === 'batch' && e.step >= 3 && !cancelled) {
          cancelled = true
          h.cancel()
        }
      },
      1000,
    )
    const outcome = await h.done
    expect(outcome.kind, JSON.stringify(outcome)).toBe('cancelled')
    await waitFor(() => !alive(h.pid), () => `process ${h.pid} to exit`)
  }, 120_000)
})
