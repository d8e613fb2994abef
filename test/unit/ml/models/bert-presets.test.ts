// The five BERT presets on the tiny fixture encoder (test/fixtures/bert-tiny: 2 layers, hidden 32,
// 64 positions): overfitting, leaks, the two learning-rate groups, warm-up/decay, gradient
// accumulation, windows for long titles, and the self-contained checkpoint.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { BertEncoder } from '../../../../src-main/ml/bert/encoder'
import { importBertFolder } from '../../../../src-main/ml/bert/import'
import { windows } from '../../../../src-main/ml/bert/tokenizer'
import { checkpointFromBytes, checkpointToBytes, loadCheckpoint, saveCheckpoint, CHECKPOINT_VERSION } from '../../../../src-main/ml/checkpoint'
import { evaluate } from '../../../../src-main/ml/eval'
import { buildVocabs, featurize, makeBatch, spansToTitle } from '../../../../src-main/ml/models/features'
import { listPresets, presetConfig, validateConfig } from '../../../../src-main/ml/models/presets'
import { Tagger } from '../../../../src-main/ml/models/tagger'
import { predict } from '../../../../src-main/ml/predict'
import { lrFactor, makeOptimizer, slowBackendWarning, train, trainStep } from '../../../../src-main/ml/train/trainer'
import type { PresetName, TrainConfig } from '../../../../src-main/shared/training'
import { gradientGap, stepGradients, testBackend } from '../../../helpers/ml'
import { TINY } from '../../../helpers/tiny'
import { BERT_TINY } from '../../../helpers/bert'

const FIX = BERT_TINY
const BERT_NAMES: PresetName[] = ['bert', 'bert-crf', 'bert-bilstm-crf', 'cascade-bert-crf', 'cascade-bert-crf-wol']

function tinyBert(): { encoder: BertEncoder; vocab: ReturnType<typeof importBertFolder>['vocab'] } {
  const imp = importBertFolder(FIX)
  return { encoder: BertEncoder.fromWeights(imp.config, imp.weights), vocab: imp.vocab }
}

/** Small, fast settings for the tiny encoder (no dropout, high learning rates, no schedule). */
function tinyConfig(name: PresetName, extra: Partial<TrainConfig> = {}): TrainConfig {
  return presetConfig(name, {
    batchSize: 4,
    epochs: 80,
    patience: 0,
    logEvery: 0,
    seed: 7,
    learningRate: 0.01,
    encoderLearningRate: 0.001,
    warmupRatio: 0,
    lrDecay: 'none',
    model: { hidden: 24, bert: { dropout: 0 } },
    ...extra,
  })
}

function tagger(name: PresetName, config = tinyConfig(name)): Tagger {
  return Tagger.build({ config: config.model, vocabs: buildVocabs(TINY, config.model), seed: 3, bert: tinyBert() })
}

describe('BERT presets', () => {
  beforeAll(async () => {
    await testBackend()
  })

  it('are listed as needing a BERT folder, available once one is given, documented editable configs', () => {
    const without = listPresets()
    const withBert = listPresets({ bert: true })
    for (const name of BERT_NAMES) {
      expect(without.find((p) => p.name === name)).toMatchObject({ available: false, needsBert: true })
      expect(withBert.find((p) => p.name === name)).toMatchObject({ available: true, needsBert: true })
      const c = presetConfig(name)
      expect(c.model.encoder).toBe('bert')
      expect(c).toMatchObject({ learningRate: 1e-3, encoderLearningRate: 1e-4, clipNorm: 5, warmupRatio: 0.1, lrDecay: 'linear', accumulateSteps: 1 })
      expect(c.model.bert).toEqual({ lstm: name === 'bert-bilstm-crf', freezeLayers: 0, dropout: null })
      expect(validateConfig(c)).toEqual([])
      expect(JSON.parse(JSON.stringify(c))).toEqual(c)
    }
    // WOL: the study's cascade-bert-crf-wol has a softmax boundary head (a CRF has no per-char loss)
    expect(presetConfig('cascade-bert-crf-wol')).toMatchObject({ model: { head: 'softmax', architecture: 'cascade' }, lossWeights: { entity: 1.5, outside: 0.5 } })
    expect(validateConfig(presetConfig('cascade-bert-crf', { lossWeights: { entity: 1.5, outside: 0.5 } }))).not.toEqual([])
    // deep override of model.bert keeps the other fields
    expect(presetConfig('bert-crf', { model: { bert: { freezeLayers: 2 } } }).model.bert).toEqual({ lstm: false, freezeLayers: 2, dropout: null })
    expect(validateConfig(presetConfig('bert', { accumulateSteps: 0 }))).not.toEqual([])
  })

  for (const name of BERT_NAMES) {
    it(`${name} overfits 8 titles to entity F1 1.0 with the tiny encoder; no tensor leaks`, async () => {
      const before = tf.memory().numTensors
      const bert = tinyBert()
      let lastF1 = 0
      const r = await train(tinyConfig(name), TINY, [], {
        bert,
        onEvent: (e) => {
          if (e.kind === 'eval') lastF1 = e.bestF1
        },
        shouldStop: () => lastF1 >= 1,
      })
      const mid = tf.memory().numTensors
      const preds = await predict(r.model, TINY)
      expect(tf.memory().numTensors).toBe(mid) // predict leaks nothing
      const rep = evaluate(
        TINY.map((e) => e.spans),
        preds.map((p) => p.spans),
      )
      expect(rep.micro.f1).toBe(1)
      for (const p of preds) for (const s of p.spans) expect(s.confidence).toBeGreaterThan(0)
      r.model.dispose() // frees the encoder too
      expect(tf.memory().numTensors).toBe(before)
    }, 30_000)
  }

  it('a train step (plain and accumulated) and predict leave no tensors behind', async () => {
    const m = tagger('cascade-bert-crf')
    const cfg = tinyConfig('cascade-bert-crf')
    const opt = makeOptimizer(m, cfg)
    const items = TINY.map((e) => featurize(e, m.vocabs))
    trainStep(m, opt, items, cfg) // Adam creates its slots on the first step
    const before = tf.memory().numTensors
    trainStep(m, opt, items, cfg)
    trainStep(m, opt, items, { ...cfg, accumulateSteps: 3 })
    await predict(m, TINY)
    expect(tf.memory().numTensors).toBe(before)
    opt.dispose()
    m.dispose()
  })

  it('two parameter groups really get different learning rates (BERT 1e-4, heads 1e-3), scaled by the schedule; frozen layers stay put', () => {
    const cfg = presetConfig('bert-crf', { model: { bert: { dropout: 0, freezeLayers: 1 } }, clipNorm: 0 })
    const bert = tinyBert()
    bert.encoder.freeze({ layers: 1, embeddings: true })
    const m = Tagger.build({ config: cfg.model, vocabs: buildVocabs(TINY, cfg.model), seed: 1, bert })
    const opt = makeOptimizer(m, cfg)
    expect(opt.learningRates).toEqual({ encoder: 1e-4, heads: 1e-3 })
    const g = m.groups
    expect(g.encoder.every((v) => bert.encoder.allVariables().includes(v))).toBe(true)
    expect(g.encoder.some((v) => v.name.includes('encoder.layer.0.'))).toBe(false) // frozen
    expect(g.encoder.some((v) => v.name.includes('encoder.layer.1.'))).toBe(true)
    expect(g.heads.some((v) => bert.encoder.allVariables().includes(v))).toBe(false)
    const snap = (vs: tf.Variable[]): Float32Array[] => vs.map((v) => v.dataSync().slice() as Float32Array)
    const frozen = bert.encoder.allVariables().filter((v) => !v.trainable)
    const [e0, h0, f0] = [snap(g.encoder), snap(g.heads), snap(frozen)]
    trainStep(m, opt, TINY.map((e) => featurize(e, m.vocabs)), cfg)
    // Adam's first step moves each weight with a non-zero gradient by ≈ lr
    const maxStep = (before: Float32Array[], vs: tf.Variable[]): number => {
      let mx = 0
      vs.forEach((v, i) => {
        const a = v.dataSync()
        for (let j = 0; j < a.length; j++) mx = Math.max(mx, Math.abs(a[j]! - before[i]![j]!))
      })
      return mx
    }
    expect(maxStep(e0, g.encoder)).toBeCloseTo(1e-4, 5)
    expect(maxStep(h0, g.heads)).toBeCloseTo(1e-3, 4)
    expect(maxStep(f0, frozen)).toBe(0)
    opt.setLearningRateFactor(0.25)
    expect(opt.learningRates.encoder).toBeCloseTo(2.5e-5, 12)
    expect(opt.learningRates.heads).toBeCloseTo(2.5e-4, 12)
    opt.dispose()
    m.dispose()
  })

  it('freezeEmbeddings freezes the embedding tables alone; freezeLayers N also freezes layers 0 … N−1', async () => {
    const cases: [Record<string, unknown>, RegExp, RegExp][] = [
      // options, must stay unchanged, must change
      [{ freezeEmbeddings: true }, /\/embeddings\./, /encoder\.layer\.[01]\.attention\.self\.query\.weight/],
      [{ freezeLayers: 1 }, /\/(embeddings\.|encoder\.layer\.0\.)/, /encoder\.layer\.1\.attention\.self\.query\.weight/],
      [{ freezeLayers: 1, freezeEmbeddings: false }, /encoder\.layer\.0\./, /word_embeddings|encoder\.layer\.1\.attention\.self\.query\.weight/],
    ]
    for (const [bertOpts, frozenRe, trainedRe] of cases) {
      const bert = tinyBert()
      const all = bert.encoder.allVariables()
      const before = all.map((v) => v.dataSync().slice())
      const r = await train(tinyConfig('bert-crf', { epochs: 1, model: { hidden: 24, bert: { dropout: 0, ...bertOpts } } } as Partial<TrainConfig>), TINY, [], { bert })
      all.forEach((v, i) => {
        const changed = v.dataSync().some((x, j) => x !== before[i]![j])
        if (frozenRe.test(v.name)) expect(changed, `${JSON.stringify(bertOpts)} ${v.name}`).toBe(false)
        if (trainedRe.test(v.name)) expect(changed, `${JSON.stringify(bertOpts)} ${v.name}`).toBe(true)
      })
      r.model.dispose()
    }
  })

  it('warm-up and linear decay schedule values', () => {
    // 10 steps, warm-up 20 % = 2 steps: 1/2, 1, then (10 − s)/8
    const f = Array.from({ length: 10 }, (_, s) => lrFactor(s, 10, 0.2, 'linear'))
    expect(f).toEqual([0.5, 1, 1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8])
    expect(Array.from({ length: 4 }, (_, s) => lrFactor(s, 10, 0.25, 'none'))).toEqual([1 / 3, 2 / 3, 1, 1])
    expect(Array.from({ length: 3 }, (_, s) => lrFactor(s, 4, 0, 'linear'))).toEqual([1, 3 / 4, 2 / 4])
    expect(lrFactor(5, 10)).toBe(1)
  })

  it('gradient accumulation sums to the full batch’s gradient (softmax, CRF and cascade type loss)', () => {
    for (const name of ['bert', 'bert-crf', 'cascade-bert-crf'] as PresetName[]) {
      const m = tagger(name)
      const items = TINY.map((e) => featurize(e, m.vocabs))
      const grab = (k: number): Record<string, Float32Array> => stepGradients(m, (opt) => trainStep(m, opt, items, { ...tinyConfig(name), accumulateSteps: k })).grads
      const full = grab(1)
      for (const k of [2, 3, 8]) {
        const acc = grab(k)
        expect(Object.keys(acc).sort()).toEqual(Object.keys(full).sort())
        const { maxDiff, maxAbs } = gradientGap(full, acc)
        expect(maxAbs).toBeGreaterThan(1e-3)
        expect(maxDiff, `${name} k=${k}`).toBeLessThan(1e-5)
      }
      m.dispose()
    }
  })

  it('a title longer than max positions is windowed; hidden states come from the window with most context; offsets map back (emoji, spaces)', async () => {
    const m = tagger('bert-crf')
    const bert = m.bert!
    const maxLen = bert.config.maxPositions - 2 // 62
    const title = `${TINY.map((e) => e.text).join(' ')} 😀👍🏻 end`
    const enc = featurize(title, m.vocabs)
    const n = enc.charIds.length
    expect(n).toBeGreaterThan(maxLen)
    const ws = windows(n, maxLen)
    expect(ws.length).toBeGreaterThan(1)
    // per-position vectors equal a direct run of the window where the position is furthest from an edge
    const h = m.encode(makeBatch([enc]), false)
    const got = (await h.array()) as number[][]
    h.dispose()
    const v = m.vocabs.bert!
    for (const w of ws) {
      const row = bert.forward([[v.cls, ...enc.charIds.subarray(w.start, w.end), v.sep]], [new Array<number>(w.end - w.start + 2).fill(1)])
      const direct = ((await row.array()) as number[][][])[0]!
      row.dispose()
      for (let i = w.start; i < w.end; i++) {
        const margin = Math.min(i - w.start, w.end - 1 - i)
        const bestMargin = Math.max(...ws.filter((x) => i >= x.start && i < x.end).map((x) => Math.min(i - x.start, x.end - 1 - i)))
        const first = ws.find((x) => i >= x.start && i < x.end && Math.min(i - x.start, x.end - 1 - i) === bestMargin)!
        if (margin !== bestMargin || first !== w) continue
        for (let d = 0; d < direct[0]!.length; d++) expect(got[i]![d]!).toBeCloseTo(direct[1 + i - w.start]![d]!, 4)
      }
    }
    // spaces get no token; predictions cover every code point; spaces are O; span text matches offsets
    const cps = Array.from(title)
    const [p] = await predict(m, [title])
    expect(p!.tags).toHaveLength(cps.length)
    cps.forEach((c, i) => {
      if (c === ' ') expect(p!.tags[i]).toBe('O')
    })
    for (const s of p!.spans) expect(s.text).toBe(cps.slice(s.start, s.end).join(''))
    // gold spans across a space survive the round trip token positions → code points
    const ex = { text: 'Nike Air 😀鞋 ３７', spans: [{ start: 0, end: 8, type: '品牌' }, { start: 9, end: 11, type: '品类' }, { start: 12, end: 14, type: '尺码' }] }
    const e2 = featurize(ex, m.vocabs)
    expect(e2.chars.join('')).toBe('NikeAir😀鞋３７')
    expect(e2.spans).toEqual([{ start: 0, end: 7, type: '品牌' }, { start: 7, end: 9, type: '品类' }, { start: 9, end: 11, type: '尺码' }])
    expect(spansToTitle(e2, e2.spans!)).toEqual(ex.spans)
    // a title of spaces only: one O per character, no spans
    expect(await predict(m, ['   '])).toEqual([{ tags: ['O', 'O', 'O'], spans: [] }])
    m.dispose()
  })

  it('checkpoint of a BERT run is self-contained (v2: encoder config + vocab + weights), round-trips through bytes and predicts identically', async () => {
    const before = tf.memory().numTensors
    const cfg = tinyConfig('cascade-bert-crf', { epochs: 3 })
    const r = await train(cfg, TINY, [], { bert: { ...tinyBert(), source: { dir: FIX, layout: 'hf' } } })
    const ckpt = await saveCheckpoint(r.model, { config: cfg })
    expect(ckpt.manifest.version).toBe(CHECKPOINT_VERSION)
    expect(CHECKPOINT_VERSION).toBe(2)
    expect(ckpt.manifest.bert!.vocab).toHaveLength(76)
    expect(ckpt.manifest.bert!.config).toMatchObject({ num_hidden_layers: 2, hidden_size: 32 })
    expect(ckpt.manifest.weights.map((w) => w.name)).toContain('bert/encoder.layer.1.output.dense.weight')
    const bytes = checkpointToBytes(ckpt)
    const back = checkpointFromBytes(bytes)
    const titles = [...TINY.map((e) => e.text), '小米 手机 白色']
    const a = await predict(r.model, titles)
    const b = await predict(back, titles)
    expect(b.map((p) => p.tags)).toEqual(a.map((p) => p.tags))
    const noConf = (ps: typeof a): unknown => ps.map((p) => p.spans.map((s) => ({ start: s.start, end: s.end, type: s.type, text: s.text })))
    expect(noConf(b)).toEqual(noConf(a))
    b.forEach((p, i) => p.spans.forEach((s, j) => expect(s.confidence).toBeCloseTo(a[i]!.spans[j]!.confidence, 5)))
    const loaded = loadCheckpoint(back)
    expect(loaded.bert!.config.numLayers).toBe(2)
    loaded.dispose()
    r.model.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('v1 (BiLSTM) checkpoints still load', async () => {
    const cfg = presetConfig('bilstm', { model: { charEmbedding: 8, hidden: 8 }, epochs: 1, batchSize: 4, logEvery: 0 })
    const r = await train(cfg, TINY, [])
    const ckpt = await saveCheckpoint(r.model, { config: cfg })
    const v1 = checkpointFromBytes(checkpointToBytes({ manifest: { ...ckpt.manifest, version: 1 }, weights: ckpt.weights }))
    const a = await predict(r.model, TINY.map((e) => e.text))
    expect(await predict(v1, TINY.map((e) => e.text))).toEqual(a)
    r.model.dispose()
  })

  it('BERT training is reproducible with a seed, dropout (0.1) included', async () => {
    const run = async (): Promise<number[]> => {
      const losses: number[] = []
      const r = await train(tinyConfig('bert-crf', { epochs: 2, logEvery: 1, model: { hidden: 24, bert: { dropout: 0.1 } } } as Partial<TrainConfig>), TINY, [], {
        bert: tinyBert(),
        onEvent: (e) => {
          if (e.kind === 'batch') losses.push(e.loss)
        },
      })
      r.model.dispose()
      return losses
    }
    const a = await run()
    expect(a.length).toBe(4)
    expect(await run()).toEqual(a)
  })

  it('train() refuses a BERT config without an encoder', async () => {
    await expect(train(tinyConfig('bert-crf'), TINY, [])).rejects.toThrow(/needs a BERT encoder/)
  })

  it('says BERT is slow without a GPU, and nothing for GPU backends or BiLSTM presets', () => {
    expect(slowBackendWarning('wasm', presetConfig('bert-crf'), 12)).toMatch(/no GPU.*slow.*3–4 layers.*freeze/)
    expect(slowBackendWarning('cpu', presetConfig('bert'))).toMatch(/no GPU/)
    expect(slowBackendWarning('tensorflow', presetConfig('bert'), 12, '@tensorflow/tfjs-node-gpu')).toBeNull()
    expect(slowBackendWarning('tensorflow', presetConfig('bert'), 12, '@tensorflow/tfjs-node')).toMatch(/no GPU/)
    expect(slowBackendWarning('wasm', presetConfig('bilstm'))).toBeNull()
  })
})
