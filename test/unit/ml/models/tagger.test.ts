import * as tf from '@tensorflow/tfjs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { backendReport } from '../../../../src-main/ml/backend'
import { checkpointFromBytes, checkpointToBytes, loadCheckpoint, readCheckpointDir, saveCheckpoint, writeCheckpointDir } from '../../../../src-main/ml/checkpoint'
import { BiLSTM, lstmScan, lstmScanAutodiff } from '../../../../src-main/ml/layers/bilstm'
import { buildVocabs, featurize, makeBatch } from '../../../../src-main/ml/models/features'
import { presetConfig } from '../../../../src-main/ml/models/presets'
import { Tagger } from '../../../../src-main/ml/models/tagger'
import { predict } from '../../../../src-main/ml/predict'
import { GroupedAdam } from '../../../../src-main/ml/train/optimizer'
import { makeOptimizer, microBatchSize, train, trainStep } from '../../../../src-main/ml/train/trainer'
import type { ModelConfig, PresetName } from '../../../../src-main/shared/training'
import { gradientGap, stepGradients, testBackend } from '../../../helpers/ml'
import { TINY } from '../../../helpers/tiny'

const small = { charEmbedding: 8, hidden: 8, wordEmbedding: 4 }

describe('model mechanics', () => {
  let backend = ''
  beforeAll(async () => {
    backend = await testBackend()
  })

  it('backend report names the backend and why others were skipped', () => {
    const r = backendReport()!
    expect(r.name).toBe(backend)
    expect(r.tried.length).toBeGreaterThan(0)
    expect(r.tried.filter((t) => !t.ok).every((t) => typeof t.error === 'string')).toBe(true)
  })

  for (const name of ['bilstm', 'bilstm-crf', 'cascade-bilstm-crf-wlf', 'cascade-bilstm-crf-wlf-wol'] as PresetName[]) {
    it(`${name}: no tensor leaks around a train step and a prediction`, async () => {
      const config = presetConfig(name, { model: small })
      const model = Tagger.build({ config: config.model, vocabs: buildVocabs(TINY, config.model), seed: 1 })
      const opt = makeOptimizer(model, config)
      const batch = makeBatch(TINY.map((e) => featurize(e, model.vocabs)))
      trainStep(model, opt, batch, config) // creates Adam's slots
      let n = tf.memory().numTensors
      trainStep(model, opt, batch, config)
      expect(tf.memory().numTensors).toBe(n)
      const preds = await predict(model, TINY.map((e) => e.text))
      expect(tf.memory().numTensors).toBe(n)
      for (const p of preds) {
        // log P(ŷ | x) of the whole path: a probability, and at most any one character's
        // probability of its tag, so at most each span's confidence (their mean, × its type p)
        expect(p.logProb).toBeLessThanOrEqual(0)
        expect(Number.isFinite(p.logProb)).toBe(true)
        for (const sp of p.spans) expect(p.logProb!).toBeLessThanOrEqual(Math.log(sp.confidence) + 1e-5)
      }
      // without confidences there is no distribution read (a CRF skips the forward–backward: no log Z)
      expect((await predict(model, [TINY[0]!.text], { confidence: false }))[0]!.logProb).toBeUndefined()
      expect(tf.memory().numTensors).toBe(n)
      n = tf.memory().numTensors
      opt.dispose()
      model.dispose()
      expect(tf.memory().numTensors).toBeLessThan(n)
    })
  }

  it('BIOES CRF heads (flat typed tags, cascade boundary tags) are constrained: well-formed predictions, no leaks', async () => {
    const cases: [PresetName, Partial<ModelConfig>][] = [
      ['cascade-bilstm-crf', {}],
      ['bilstm-crf', { scheme: 'BIOES' }],
    ]
    for (const [name, over] of cases) {
      const config = presetConfig(name, { model: { ...small, ...over } })
      expect(config.model.scheme).toBe('BIOES')
      const vocabs = buildVocabs(TINY, config.model)
      const off = Tagger.build({ config: { ...config.model, crfConstraints: false }, vocabs, seed: 1 })
      expect(off.crf!.structure).toBeNull()
      off.dispose()
      const model = Tagger.build({ config: config.model, vocabs, seed: 1 })
      expect(model.crf!.structure!.scheme).toBe('BIOES')
      const opt = makeOptimizer(model, config)
      const batch = makeBatch(TINY.map((e) => featurize(e, model.vocabs)))
      trainStep(model, opt, batch, config)
      const n = tf.memory().numTensors
      trainStep(model, opt, batch, config)
      const preds = await predict(model, TINY.map((e) => e.text))
      expect(tf.memory().numTensors).toBe(n)
      for (const p of preds) {
        // well-formed BIOES: I/E continue a chunk of their type, O/B/S never interrupt one, no chunk left open
        let open: string | null = null
        for (const tag of p.tags) {
          const [prefix, type = ''] = tag.split('-') as [string, string?]
          if (prefix === 'I' || prefix === 'E') expect(open, p.tags.join(' ')).toBe(type)
          else expect(open, p.tags.join(' ')).toBeNull()
          open = prefix === 'B' || prefix === 'I' ? type : null
        }
        expect(open, p.tags.join(' ')).toBeNull()
      }
      opt.dispose()
      model.dispose()
    }
  })

  for (const name of ['bilstm', 'bilstm-crf'] as PresetName[]) {
    it(`${name}: a prediction's confidences and entropy come from its tag distribution; without them the tags are the same`, async () => {
      const config = presetConfig(name, { model: small })
      const model = Tagger.build({ config: config.model, vocabs: buildVocabs(TINY, config.model), seed: 3 })
      const opt = makeOptimizer(model, config)
      const batch = makeBatch(TINY.map((e) => featurize(e, model.vocabs)))
      for (let i = 0; i < 3; i++) trainStep(model, opt, batch, config)
      const texts = TINY.map((e) => [...e.text])
      const withConf = await model.predictBatch(batch, texts)
      const without = await model.predictBatch(batch, texts, { confidence: false })
      expect(without.map((p) => p.tags)).toEqual(withConf.map((p) => p.tags))
      expect(without.every((p) => p.entropy === undefined && p.logProb === undefined)).toBe(true)
      // the [B, L, T] distribution, computed here from the model's own layers
      const { B, L, lengths } = batch
      const head = (model as unknown as { head: { apply(h: tf.Tensor2D): tf.Tensor2D } }).head
      const dist = tf.tidy(() => {
        const em = tf.reshape(head.apply(model.encode(batch, false)), [B, L, -1]) as tf.Tensor3D
        return model.crf ? model.crf.marginals(em, lengths) : tf.softmax(em)
      })
      const p = (await dist.array()) as number[][][]
      dist.dispose()
      withConf.forEach((pred, b) => {
        const ids = pred.tags.map((t) => model.vocabs.labels.id(t))
        let h = 0
        for (let t = 0; t < lengths[b]!; t++) for (const q of p[b]![t]!) if (q > 0) h -= q * Math.log(q)
        expect(pred.entropy!).toBeCloseTo(h, 3)
        // log P(ŷ | x): softmax, the product of the chosen tags' probabilities; CRF, at most any one
        // of them (the path is one of the paths through each chosen tag)
        const chosen = ids.map((j, t) => Math.log(p[b]![t]![j]!))
        if (model.crf) for (const lp of chosen) expect(pred.logProb!).toBeLessThanOrEqual(lp + 1e-5)
        else expect(pred.logProb!).toBeCloseTo(chosen.reduce((a, x) => a + x, 0), 4)
        for (const s of pred.spans) {
          let c = 0
          for (let i = s.start; i < s.end; i++) c += p[b]![i]![ids[i]!]!
          expect(s.confidence).toBeCloseTo(c / (s.end - s.start), 5)
        }
      })
      expect(withConf.some((pred) => pred.spans.length > 0)).toBe(true)
      opt.dispose()
      model.dispose()
    })
  }

  it('BiLSTM: a title’s outputs do not depend on the padding around it; backward starts at its true end', async () => {
    const lstm = new BiLSTM({ inputSize: 3, hidden: 4, name: `lstmtest${Math.random()}`, seed: 5 })
    const x = tf.randomUniform([2 * 5, 3], -1, 1, 'float32', 3) as tf.Tensor2D
    const both = await tf.tidy(() => lstm.apply(x, 2, 5, [3, 5])).array()
    const alone = await tf.tidy(() => lstm.apply(tf.slice(x, [0, 0], [3, 3]), 1, 3, [3])).array()
    for (let t = 0; t < 3; t++) for (let j = 0; j < 4; j++) expect(both[t]![j]!).toBeCloseTo(alone[t]![j]!, 5)
    for (let t = 3; t < 5; t++) expect(both[t]!.every((v) => v === 0)).toBe(true)
    const concat = new BiLSTM({ inputSize: 3, hidden: 4, merge: 'concat', name: `lstmtest${Math.random()}`, seed: 5 })
    expect(tf.tidy(() => concat.apply(x, 2, 5, [3, 5])).shape).toEqual([10, 8])
    x.dispose()
    lstm.variables.concat(concat.variables).forEach((v) => v.dispose())
  })

  it('BiLSTM equals the LSTM equations written out in plain JS (Math.tanh; gates i, f, o, g; fw + bw)', () => {
    const E = 3
    const H = 4
    const lstm = new BiLSTM({ inputSize: E, hidden: H, name: `lstmjs${Math.random()}`, seed: 11 })
    const L = 5
    const xs = Array.from({ length: L }, (_, t) => Array.from({ length: E }, (_, j) => Math.sin(3 * t + j) * 2))
    const got = tf.tidy(() => lstm.apply(tf.tensor2d(xs), 1, L, [L]).arraySync())
    const K = lstm.kernel.arraySync() as number[][]
    const bias = lstm.bias.arraySync() as number[]
    const sig = (v: number): number => 1 / (1 + Math.exp(-v))
    const run = (U: number[][], off: number, order: number[]): number[][] => {
      let h = new Array<number>(H).fill(0)
      let c = new Array<number>(H).fill(0)
      const out: number[][] = []
      for (const t of order) {
        const z = Array.from({ length: 4 * H }, (_, g) => bias[off + g]! + xs[t]!.reduce((s, x, e) => s + x * K[e]![off + g]!, 0) + h.reduce((s, hv, k) => s + hv * U[k]![g]!, 0))
        c = c.map((cv, k) => sig(z[H + k]!) * cv + sig(z[k]!) * Math.tanh(z[3 * H + k]!))
        h = c.map((cv, k) => sig(z[2 * H + k]!) * Math.tanh(cv))
        out[t] = h
      }
      return out
    }
    const fw = run(lstm.recurrentFw.arraySync() as number[][], 0, [0, 1, 2, 3, 4])
    const bw = run(lstm.recurrentBw.arraySync() as number[][], 4 * H, [4, 3, 2, 1, 0])
    for (let t = 0; t < L; t++) for (let k = 0; k < H; k++) expect(got[t]![k]!).toBeCloseTo(fw[t]![k]! + bw[t]![k]!, 5)
    lstm.variables.forEach((v) => v.dispose())
  })

  it('fused LSTM backward pass equals autodiff (values and gradients)', async () => {
    for (const L of [1, 4]) {
      const xs = tf.variable(tf.randomUniform([L, 6, 20], -1, 1, 'float32', 1), true, `xs${Math.random()}`)
      const Uf = tf.variable(tf.randomUniform([5, 20], -0.5, 0.5, 'float32', 2), true, `uf${Math.random()}`)
      const Ub = tf.variable(tf.randomUniform([5, 20], -0.5, 0.5, 'float32', 3), true, `ub${Math.random()}`)
      const w = tf.randomUniform([L, 6, 5], -1, 1, 'float32', 4)
      const before = tf.memory().numTensors
      const run = (fn: typeof lstmScan): { value: number; grads: Record<string, number[]> } => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(fn(xs as tf.Tensor3D, Uf as tf.Tensor2D, Ub as tf.Tensor2D), w)) as tf.Scalar, [xs, Uf, Ub])
        const out = { value: value.dataSync()[0]!, grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Array.from(g.dataSync())])) }
        value.dispose()
        Object.values(grads).forEach((g) => g.dispose())
        return out
      }
      const a = run(lstmScan)
      const b = run(lstmScanAutodiff)
      expect(tf.memory().numTensors).toBe(before)
      expect(a.value).toBeCloseTo(b.value, 4)
      for (const k of Object.keys(b.grads)) b.grads[k]!.forEach((v, j) => expect(a.grads[k]![j]!).toBeCloseTo(v, 4))
      ;[xs, Uf, Ub, w].forEach((t) => t.dispose())
    }
  })

  it('BiLSTM on embedding blocks (projected per distinct id) equals it on their concatenation: outputs and every gradient', () => {
    const name = `blocks${Math.random()}`
    const lstm = new BiLSTM({ inputSize: 5 + 3 + 2, hidden: 4, name, seed: 9 })
    const chars = tf.variable(tf.randomNormal([7, 5], 0, 1, 'float32', 1), true, `${name}/c`)
    const words = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 2), true, `${name}/w`)
    // 3 titles of L = 4: lengths 4, 1 (a length-1 title) and 2; padding is id 0; ids repeat across titles
    const B = 3
    const L = 4
    const lengths = [4, 1, 2]
    const charIds = Int32Array.from([3, 5, 3, 6, 5, 0, 0, 0, 6, 1, 0, 0])
    const wordIds = Int32Array.from([1, 1, 2, 2, 3, 0, 0, 0, 2, 2, 0, 0])
    const lex = tf.randomUniform([B * L, 2], 0, 1, 'float32', 3) as tf.Tensor2D
    const w = tf.randomUniform([B * L, 4], -1, 1, 'float32', 4)
    const vars = [chars, words, ...lstm.variables]
    const before = tf.memory().numTensors
    const run = (fn: () => tf.Tensor2D): { value: number[]; grads: number[][] } => {
      const out = tf.tidy(() => Array.from(fn().dataSync()))
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(fn(), w)) as tf.Scalar, vars)
      const r = { value: out, grads: vars.map((v) => Array.from(grads[v.name]!.dataSync())) }
      value.dispose()
      Object.values(grads).forEach((g) => g.dispose())
      return r
    }
    const dense = run(() => {
      const x = tf.concat([tf.gather(chars, tf.tensor1d(charIds, 'int32')), tf.gather(words, tf.tensor1d(wordIds, 'int32')), lex], 1) as tf.Tensor2D
      return lstm.apply(x, B, L, lengths)
    })
    const blocks = run(() => lstm.applyBlocks([{ table: chars as tf.Tensor2D, ids: charIds }, { table: words as tf.Tensor2D, ids: wordIds }, { x: lex }], B, L, lengths))
    expect(tf.memory().numTensors).toBe(before)
    blocks.value.forEach((v, i) => expect(v).toBeCloseTo(dense.value[i]!, 5))
    // padding rows are zero either way
    for (const row of [5, 6, 7, 10, 11]) for (let j = 0; j < 4; j++) expect(Math.abs(blocks.value[row * 4 + j]!)).toBe(0)
    vars.forEach((v, k) => blocks.grads[k]!.forEach((g, i) => expect(g, `${v.name}[${i}]`).toBeCloseTo(dense.grads[k]![i]!, 4)))
    // unused ids get no gradient; a repeated id gets the sum of its positions
    expect(blocks.grads[0]!.slice(2 * 5, 3 * 5).every((g) => g === 0)).toBe(true)
    expect(() => tf.tidy(() => lstm.applyBlocks([{ table: chars as tf.Tensor2D, ids: charIds }], B, L, lengths))).toThrow(/5 wide, the kernel takes 10/)
    expect(() => tf.tidy(() => lstm.applyBlocks([{ table: chars as tf.Tensor2D, ids: Int32Array.from([7]) }, { table: words as tf.Tensor2D, ids: Int32Array.from([0]) }, { x: tf.zeros([1, 2]) }], 1, 1, [1]))).toThrow(/id 7 is not in \[0, 7\)/)
    ;[...vars, lex, w].forEach((t) => t.dispose())
  })

  it('embedding (gather) gradient sums repeated ids (scatterND gradient on wasm)', () => {
    const table = tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), true, `gathertest${Math.random()}`)
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(table, tf.tensor1d([2, 0, 2], 'int32')), tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]))) as tf.Scalar, [table])
    expect(Array.from(grads[table.name]!.dataSync())).toEqual([3, 4, 0, 0, 6, 8])
    grads[table.name]!.dispose()
    table.dispose()
  })

  it('checkpoint: bytes and directory round trips give identical predictions', async () => {
    const config = presetConfig('cascade-bilstm-crf-wlf', { model: small, epochs: 2, batchSize: 4, logEvery: 0, patience: 0 })
    const r = await train(config, TINY, TINY.slice(0, 2))
    const a = await predict(r.model, TINY)
    const ckpt = await saveCheckpoint(r.model, { config, epoch: r.bestEpoch })
    const bytes = checkpointToBytes(ckpt)
    const back = checkpointFromBytes(bytes)
    expect(back.manifest).toEqual(ckpt.manifest)
    expect(await predict(back, TINY)).toEqual(a)
    const dir = mkdtempSync(path.join(tmpdir(), 'ner-ckpt-'))
    writeCheckpointDir(dir, ckpt)
    const m2 = loadCheckpoint(readCheckpointDir(dir))
    expect(await predict(m2, TINY)).toEqual(a)
    expect(() => checkpointFromBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9]))).toThrow(/magic/)
    m2.dispose()
    r.model.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  it('training is reproducible with a seed', async () => {
    const run = async (): Promise<number[]> => {
      const losses: number[] = []
      const config = presetConfig('bilstm-crf', { model: { ...small, dropout: 0.2 }, epochs: 2, batchSize: 3, logEvery: 1, patience: 0, seed: 11 })
      const r = await train(config, TINY, [], { onEvent: (e) => e.kind === 'batch' && losses.push(e.loss) })
      r.model.dispose()
      return losses
    }
    const a = await run()
    expect(a.length).toBeGreaterThan(3)
    expect(await run()).toEqual(a)
  })

  it('a batch past the positions budget runs as micro-batches with the same gradient as one pass (CRF with bigrams)', () => {
    const config = presetConfig('bilstm-crf', { seed: 3, model: { ...small, bigramEmbedding: 4 } })
    const vocabs = buildVocabs(TINY, config.model)
    const m = Tagger.build({ config: config.model, vocabs, seed: 3 })
    const items = TINY.map((e) => featurize(e, m.vocabs))
    const longest = Math.max(...items.map((e) => e.charIds.length))
    const grab = (maxPositions: number): { loss: number; grads: Record<string, Float32Array> } => {
      const before = tf.memory().numTensors
      const r = stepGradients(m, (opt) => trainStep(m, opt, items, config, maxPositions))
      expect(tf.memory().numTensors).toBe(before)
      return r
    }
    const one = grab(Infinity)
    // the budget fits 1, then 3 of the longest titles: 8 and 3 micro-batches
    expect(microBatchSize(items, config, longest)).toBe(1)
    expect(microBatchSize(items, config, 3 * longest + 1)).toBe(3)
    expect(microBatchSize(items, config)).toBe(items.length)
    for (const budget of [longest, 3 * longest + 1]) {
      const split = grab(budget)
      expect(split.loss).toBeCloseTo(one.loss, 4)
      expect(Object.keys(split.grads).sort()).toEqual(Object.keys(one.grads).sort())
      const { maxDiff, maxAbs } = gradientGap(one.grads, split.grads)
      expect(maxAbs).toBeGreaterThan(1e-3)
      expect(maxDiff, `budget ${budget}`).toBeLessThan(1e-5)
    }
    m.dispose()
  })

  it('parameter groups take their own learning rates', () => {
    const a = tf.variable(tf.scalar(1), true, `pga${Math.random()}`)
    const b = tf.variable(tf.scalar(1), true, `pgb${Math.random()}`)
    const opt = new GroupedAdam({
      clipNorm: 0,
      groups: [
        { name: 'encoder', variables: [a], learningRate: 1e-4 },
        { name: 'heads', variables: [b], learningRate: 1e-3 },
      ],
    })
    const { grads } = tf.variableGrads(() => tf.add(a, b) as tf.Scalar, [a, b])
    opt.apply(grads)
    // Adam's first step moves each parameter by ≈ its learning rate
    expect(1 - a.dataSync()[0]!).toBeCloseTo(1e-4, 6)
    expect(1 - b.dataSync()[0]!).toBeCloseTo(1e-3, 5)
    Object.values(grads).forEach((g) => g.dispose())
    opt.dispose()
    a.dispose()
    b.dispose()
  })

  it('global-norm clipping scales all gradients of a group together', () => {
    const a = tf.variable(tf.tensor1d([0, 0]), true, `clip${Math.random()}`)
    const opt = new GroupedAdam({ clipNorm: 1, groups: [{ name: 'all', variables: [a], learningRate: 1 }] })
    const g = { [a.name]: tf.tensor1d([30, 40]) }
    const [norm] = opt.apply(g)
    expect(norm).toBeCloseTo(50)
    g[a.name]!.dispose()
    opt.dispose()
    a.dispose()
  })
})
