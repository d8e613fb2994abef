import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { listPresets, presetConfig, validateConfig } from '../../../../src-main/ml/models/presets'
import { train } from '../../../../src-main/ml/train/trainer'
import { predict } from '../../../../src-main/ml/predict'
import { evaluate } from '../../../../src-main/ml/eval'
import type { PresetName } from '../../../../src-main/shared/training'
import { testBackend } from '../../../helpers/ml'
import { TINY } from '../../../helpers/tiny'

const SMALL = { charEmbedding: 16, wordEmbedding: 0, hidden: 24 }

describe('presets', () => {
  beforeAll(async () => {
    await testBackend()
  })

  it('registry lists the study’s ten presets + bilstm-globalpointer; the five BERT ones need a BERT folder (unavailable without one)', () => {
    const ps = listPresets()
    expect(ps.map((p) => p.name)).toHaveLength(11)
    expect(ps.filter((p) => p.available).map((p) => p.name)).toEqual([
      'bilstm',
      'bilstm-crf',
      'cascade-bilstm-crf',
      'cascade-bilstm-crf-wlf',
      'cascade-bilstm-crf-wlf-wol',
      'bilstm-globalpointer',
    ])
    for (const p of ps.filter((x) => !x.available)) {
      expect(p.requires).toMatch(/BERT/)
      expect(p.needsBert).toBe(true)
      // the config builds (to edit); train() refuses it without an encoder (bert-presets.test.ts)
      expect(presetConfig(p.name).model.encoder).toBe('bert')
    }
    expect(listPresets({ bert: true }).every((p) => p.available)).toBe(true)
    const c = presetConfig('cascade-bilstm-crf-wlf-wol')
    expect(c.model).toMatchObject({ charEmbedding: 300, hidden: 300, wordEmbedding: 300, merge: 'add', architecture: 'cascade' })
    expect(c).toMatchObject({ batchSize: 32, learningRate: 1e-3, lossWeights: { entity: 1.5, outside: 0.5 } })
    expect(JSON.parse(JSON.stringify(c))).toEqual(c)
    expect(validateConfig(presetConfig('bilstm-crf', { lossWeights: { entity: 1.5, outside: 0.5 } }))).not.toEqual([])
  })

  const names: PresetName[] = ['bilstm', 'bilstm-crf', 'cascade-bilstm-crf', 'cascade-bilstm-crf-wlf', 'cascade-bilstm-crf-wlf-wol']
  for (const name of names) {
    it(`${name} overfits 8 titles to entity F1 1.0`, async () => {
      const before = tf.memory().numTensors
      const wlf = name.includes('wlf')
      const config = presetConfig(name, {
        model: { ...SMALL, wordEmbedding: wlf ? 8 : 0 },
        batchSize: 4,
        epochs: 60,
        learningRate: 0.02,
        patience: 0,
        logEvery: 0,
        seed: 7,
      })
      let lastF1 = 0
      const r = await train(config, TINY, [], {
        onEvent: (e) => {
          if (e.kind === 'eval') lastF1 = e.bestF1
        },
        shouldStop: () => lastF1 >= 1,
      })
      const preds = await predict(r.model, TINY)
      const rep = evaluate(
        TINY.map((e) => e.spans),
        preds.map((p) => p.spans),
      )
      expect(rep.micro.f1).toBe(1)
      for (const p of preds) for (const s of p.spans) expect(s.confidence).toBeGreaterThan(0)
      r.model.dispose()
      expect(tf.memory().numTensors).toBe(before)
    })
  }
})
