// The decode bias (ModelConfig.decodeBias) and its choice on dev (train/decode-bias.ts, `tuneDecodeBias`).
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadCheckpoint, type Checkpoint } from '../../../../src-main/ml/checkpoint'
import { evaluate } from '../../../../src-main/ml/eval'
import { presetConfig } from '../../../../src-main/ml/models/presets'
import type { Tagger } from '../../../../src-main/ml/models/tagger'
import { predict, predictAtBiases } from '../../../../src-main/ml/predict'
import { DECODE_BIAS_GRID, tuneDecodeBias } from '../../../../src-main/ml/train/decode-bias'
import { trainRecipe } from '../../../../src-main/ml/train/recipe'
import { train } from '../../../../src-main/ml/train/trainer'
import type { Example, PresetName } from '../../../../src-main/shared/training'
import { testBackend } from '../../../helpers/ml'
import { TINY } from '../../../helpers/tiny'

const small = { charEmbedding: 16, hidden: 16 }
const spansOf = (preds: { spans: { start: number; end: number; type: string }[] }[]) => preds.map((p) => p.spans.map((s) => [s.start, s.end, s.type]))
const f1At = async (model: Tagger, dev: readonly Example[], bias: number): Promise<number> => {
  model.setDecodeBias(bias)
  const preds = await predict(model, dev, { confidence: false })
  return evaluate(
    dev.map((e) => e.spans),
    preds.map((p) => p.spans),
  ).micro.f1
}

async function trained(preset: PresetName, epochs: number): Promise<Tagger> {
  const r = await train(presetConfig(preset, { epochs, seed: 2, logEvery: 0, model: small }), TINY, [])
  return r.model
}

describe('decode bias', () => {
  beforeAll(async () => {
    await testBackend()
  })

  for (const preset of ['bilstm-crf', 'bilstm', 'cascade-bilstm-crf'] as PresetName[]) {
    it(`${preset}: a bias only moves the O tag's score — 0 is the plain prediction, a huge one tags no character O, a huge negative one finds nothing; decoding at several biases from one encoding equals decoding at each, and leaks nothing`, async () => {
      const model = await trained(preset, 3)
      try {
        const plain = await predict(model, TINY)
        const grid = [0, 0.5, 2, 40, -40]
        const n = tf.memory().numTensors
        const at = await predictAtBiases(model, TINY, grid)
        expect(tf.memory().numTensors).toBe(n)
        expect(spansOf(at[0]!)).toEqual(spansOf(plain))
        for (let j = 0; j < grid.length; j++) {
          model.setDecodeBias(grid[j]!)
          expect(spansOf(at[j]!)).toEqual(spansOf(await predict(model, TINY)))
        }
        for (const p of at[3]!) expect(p.tags.filter((t) => t === 'O')).toEqual([])
        for (const p of at[4]!) expect(p.spans).toEqual([])
      } finally {
        model.dispose()
      }
    })
  }

  it('setDecodeBias copies the config: the caller’s is not changed', async () => {
    const config = presetConfig('bilstm-crf', { epochs: 1, seed: 1, logEvery: 0, model: small })
    const r = await train(config, TINY.slice(0, 2), [])
    r.model.setDecodeBias(0.5)
    expect(r.model.config.decodeBias).toBe(0.5)
    expect(config.model.decodeBias).toBeUndefined()
    r.model.dispose()
  })

  it('tuneDecodeBias picks the grid’s bias with the best dev F1 (computed here one bias at a time), the smallest on a tie', async () => {
    const model = await trained('bilstm-crf', 2)
    try {
      const dev = TINY.slice(0, 5)
      const t = await tuneDecodeBias(model, dev)
      const f1s: number[] = []
      for (const b of DECODE_BIAS_GRID) f1s.push(await f1At(model, dev, b))
      const best = Math.max(...f1s)
      expect(t.bias).toBe(DECODE_BIAS_GRID[f1s.indexOf(best)])
      expect(t.devF1).toBeCloseTo(best, 9)
      expect(t.devF1Before).toBeCloseTo(f1s[0]!, 9)
      expect(t.report.micro.f1).toBeCloseTo(best, 9)
      // two biases too close to change any path: a tie, so 0
      const tie = await tuneDecodeBias(model, dev, [0, 1e-7])
      expect(tie.bias).toBe(0)
      await expect(tuneDecodeBias(model, dev, [0.5, 0])).rejects.toThrow(/starts at 0/)
    } finally {
      model.dispose()
    }
  })

  it('trainRecipe with tuneDecodeBias: the model decodes with the bias chosen, the checkpoint handed to onBest last carries it and its dev scores, and loads to the same predictions', async () => {
    // four epochs: the model still says O where unsure, so a bias pays on dev (0.31 → 0.48 at 0.375 here)
    const config = { ...presetConfig('bilstm-crf', { epochs: 4, seed: 1, logEvery: 0, learningRate: 0.05, model: small }), tuneDecodeBias: true }
    const saved: Checkpoint[] = []
    const dev = TINY.slice(0, 6)
    const r = await trainRecipe(config, TINY, dev, { onBest: (c) => (saved.push(c), null) })
    const untuned = await trainRecipe({ ...config, tuneDecodeBias: false }, TINY, dev)
    const loaded = loadCheckpoint(saved.at(-1)!)
    try {
      expect(r.decodeBias).not.toBeNull()
      expect(r.decodeBias!.bias).toBeGreaterThan(0)
      expect(untuned.decodeBias).toBeNull()
      // before = the trainer's own best dev F1 (bias 0); after = the recorded dev scores
      expect(r.decodeBias!.devF1Before).toBeCloseTo(untuned.bestDev!.micro.f1, 9)
      expect(r.decodeBias!.devF1).toBeGreaterThan(r.decodeBias!.devF1Before)
      expect(r.bestDev!.micro.f1).toBeCloseTo(r.decodeBias!.devF1, 9)
      expect(r.model.config.decodeBias).toBe(r.decodeBias!.bias)
      // the epochs' checkpoints, then the tuned one: the same weights
      const [before, last] = saved.slice(-2) as [Checkpoint, Checkpoint]
      expect(last.manifest.config.model.decodeBias).toBe(r.decodeBias!.bias)
      expect(last.manifest.metrics!.micro.f1).toBeCloseTo(r.decodeBias!.devF1, 9)
      expect(before.manifest.config.model.decodeBias).toBeUndefined()
      expect(last.weights).toBe(before.weights)
      expect(spansOf(await predict(loaded, dev))).toEqual(spansOf(await predict(r.model, dev)))
      expect(spansOf(await predict(loaded, dev))).not.toEqual(spansOf(await predict(untuned.model, dev)))
    } finally {
      for (const m of [r.model, untuned.model, loaded]) m.dispose()
    }
  })
})
