// The prediction pool (trainer/predict-workers.ts): N helper processes tag the same as one process,
// in input order; a helper crash fails the call with its reason and leaves no process; close()
// (cancel) ends every helper within a second.
import { beforeAll, describe, expect, it } from 'vitest'
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../../src-main/ml/checkpoint'
import { buildVocabs, featurize } from '../../../src-main/ml/models/features'
import { presetConfig } from '../../../src-main/ml/models/presets'
import { Tagger } from '../../../src-main/ml/models/tagger'
import { predict, type TitlePrediction } from '../../../src-main/ml/predict'
import { makeRng } from '../../../src-main/ml/train/rng'
import { makeOptimizer, trainStep } from '../../../src-main/ml/train/trainer'
import type { PresetName } from '../../../src-main/shared/training'
import { openPredictor, resolvePredictWorkers } from '../../../src-main/trainer/predict-workers'
import { predictBatched } from '../../../src-main/services/runs/inference'
import { testBackend } from '../../helpers/ml'
import { TINY } from '../../helpers/tiny'
import { pidAlive } from '../../../src-main/io/temp'
import { waitFor } from '../../helpers/wait'

let backend = 'wasm'
const small = { charEmbedding: 16, hidden: 16, wordEmbedding: 8, dropout: 0 }

/** Every one of `pids` has exited (waitFor fails naming those still there). */
function gone(pids: number[]): Promise<true> {
  return waitFor(() => !pids.some(pidAlive), () => `helpers ${pids.filter(pidAlive).join(', ')} to exit`)
}

/** A model trained here for 30 steps on the tiny titles (so its spans and confidences are not flat). */
async function trained(preset: PresetName): Promise<Checkpoint> {
  const config = presetConfig(preset, { model: small, batchSize: 8, learningRate: 0.02 })
  const vocabs = buildVocabs(TINY, config.model)
  const model = Tagger.build({ config: config.model, vocabs, seed: 5 })
  const opt = makeOptimizer(model, config)
  const enc = TINY.map((e) => featurize(e, model.vocabs))
  for (let s = 0; s < 30; s++) trainStep(model, opt, enc, config)
  const ckpt = await saveCheckpoint(model, { config })
  opt.dispose()
  model.dispose()
  return ckpt
}

/**
 * Titles of every length from 1 character up, mixed from the tiny titles' pieces in a fixed
 * random order, with empty and blank ones among them.
 */
function titles(n: number): string[] {
  const rng = makeRng(11)
  const chars = TINY.flatMap((e) => Array.from(e.text))
  return Array.from({ length: n }, (_, i) => {
    if (i % 97 === 5) return ''
    if (i % 89 === 7) return '  '
    const src = Array.from(TINY[Math.floor(rng() * TINY.length)]!.text)
    const len = 1 + Math.floor(rng() * (src.length + 6))
    return Array.from({ length: len }, (_, k) => (k < src.length && rng() < 0.8 ? src[k]! : chars[Math.floor(rng() * chars.length)]!)).join('')
  })
}

function expectSame(a: TitlePrediction[], b: TitlePrediction[], confidence: boolean): void {
  // confidence false: NaN (no marginals for a CRF, no probabilities read back for a softmax)
  expect(b).toHaveLength(a.length)
  let maxDiff = 0
  a.forEach((p, i) => {
    expect(b[i]!.tags, `title ${i}`).toEqual(p.tags)
    expect(b[i]!.spans.map(({ confidence: _, ...s }) => s), `title ${i}`).toEqual(p.spans.map(({ confidence: _, ...s }) => s))
    p.spans.forEach((s, k) => {
      const c = b[i]!.spans[k]!.confidence
      if (confidence) maxDiff = Math.max(maxDiff, Math.abs(c - s.confidence))
      else expect(c).toBeNaN()
    })
  })
  expect(maxDiff).toBeLessThan(1e-5)
}

describe('prediction pool', () => {
  beforeAll(async () => {
    backend = await testBackend()
  })

  it('the default is one worker per core on wasm, capped at 8 and at 512 titles a worker; 1 on tfjs-node', () => {
    expect(resolvePredictWorkers(undefined, 'wasm', Infinity, 2)).toBe(2)
    expect(resolvePredictWorkers(undefined, 'wasm', Infinity, 64)).toBe(8)
    expect(resolvePredictWorkers(undefined, 'wasm', 600, 8)).toBe(1)
    expect(resolvePredictWorkers(undefined, 'wasm', 1100, 8)).toBe(2)
    expect(resolvePredictWorkers(undefined, 'tensorflow', 1e6, 8)).toBe(1)
    expect(resolvePredictWorkers(undefined, 'webgpu', 1e6, 8)).toBe(1)
    expect(resolvePredictWorkers(3, 'tensorflow', 10, 8)).toBe(3)
  })

  for (const preset of ['bilstm-crf', 'bilstm'] as PresetName[]) {
    it(`${preset}: 2 workers give the same tags, spans and confidences as 1, in input order (600 titles incl. empty and length-1)`, async () => {
      const ckpt = await trained(preset)
      const input = titles(600)
      const one = await openPredictor(ckpt, { workers: 1, backend })
      const two = await openPredictor(ckpt, { workers: 2, backend })
      try {
        expect(one.pids).toEqual([])
        expect(two.pids).toHaveLength(2)
        const progress: number[] = []
        const a = await one.predict(input)
        const b = await two.predict(input, { chunk: 64, onProgress: (d) => progress.push(d) })
        expect(a.some((p) => p.spans.length > 0)).toBe(true)
        expect(a[5]).toEqual({ tags: [], spans: [] })
        expectSame(a, b, true)
        // both hand titles out longest first: what comes back is still in input order, as `predict` on the whole list
        const model = loadCheckpoint(ckpt)
        expectSame(await predict(model, input), a, true)
        model.dispose()
        expect(progress.at(-1)).toBe(600)
        expect(progress.length).toBe(Math.ceil(600 / 64))
        // without confidences: the same spans, confidence NaN (a CRF skips its marginals, a softmax reads back only its argmax)
        expectSame(a, await two.predict(input, { confidence: false }), false)
      } finally {
        one.close()
        two.close()
      }
      await gone(two.pids)
    }, 120_000)
  }

  it('the services\' inference (evaluation, pre-annotation) on 2 workers equals 1, with progress to the last title', async () => {
    const ckpt = await trained('bilstm-crf')
    const input = titles(300).map((text, i) => (i % 2 || !text.trim() ? { text } : { text, words: [Array.from(text).length] }))
    const done: number[] = []
    const a = await predictBatched(ckpt, input, undefined, { workers: 1 })
    const b = await predictBatched(ckpt, input, (d, total) => (expect(total).toBe(300), done.push(d)), { workers: 2 })
    expectSame(a, b, true)
    expect(done.at(-1)).toBe(300)
  }, 120_000)

  it('a helper that dies mid-call fails it with the reason, and no helper is left', async () => {
    const ckpt = await trained('bilstm-crf')
    const pool = await openPredictor(ckpt, { workers: 2, backend, env: { NER_STUDIO_TEST_PREDICT_CRASH: '3' } })
    const pids = pool.pids
    await expect(pool.predict(titles(400), { chunk: 50 })).rejects.toThrow(/prediction worker [12] \(pid \d+\) exited \(code 3, signal none\)/)
    await gone(pids)
    await expect(pool.predict(['回力女鞋'])).rejects.toThrow(/exited \(code 3/)
  }, 120_000)

  it('close() during a call (cancel) rejects it and ends every helper within a second', async () => {
    const ckpt = await trained('bilstm-crf')
    const pool = await openPredictor(ckpt, { workers: 2, backend })
    const pids = pool.pids
    let t0 = 0
    const call = pool.predict(titles(3000), {
      chunk: 32,
      onProgress: () => {
        if (t0) return
        t0 = Date.now()
        pool.close()
      },
    })
    await expect(call).rejects.toThrow('prediction cancelled')
    await gone(pids)
  }, 120_000)
})
