// The BERT port equals an independent reference: last hidden states of a tiny random BERT computed
// by a plain torch implementation (scripts/make-bert-fixture.py, HF tensor names) are reproduced by
// the tfjs encoder loaded through our own safetensors reader and, separately, through our own TF
// tensor-bundle reader — max |Δ| ≤ 1e-4 on the cpu backend.
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readBertConfig } from '../../../../src-main/ml/bert/config'
import { BertEncoder, fromHfNames } from '../../../../src-main/ml/bert/encoder'
import { floatTensors, readSafetensors } from '../../../../src-main/ml/bert/safetensors'
import { importBertFolder, loadBertModel, saveBertModel } from '../../../../src-main/ml/bert/import'
import { tokenizeTitle } from '../../../../src-main/ml/bert/tokenizer'
import { BERT_TINY } from '../../../helpers/bert'

const DIR = BERT_TINY

interface Case {
  name: string
  ids: number[][]
  mask: number[][]
  tokenTypes: number[][]
  shape: number[]
  hidden: number[]
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  titles: string[]
  encoded: { ids: number[]; offsets: number[] }[]
  cases: Case[]
  gradients: { case: number; R: number[]; grads: Record<string, { shape: number[]; data: number[] }> }
}

function maxAbsDiff(enc: BertEncoder, c: Case, training = false): number {
  return tf.tidy(() => {
    const out = enc.apply(tf.tensor2d(c.ids, undefined, 'int32'), tf.tensor2d(c.mask, undefined, 'int32'), {
      tokenTypeIds: tf.tensor2d(c.tokenTypes, undefined, 'int32'),
      training,
    })
    expect(out.shape).toEqual(c.shape)
    return tf.max(tf.abs(tf.sub(out, tf.tensor(c.hidden, c.shape)))).dataSync()[0]!
  })
}

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('BERT encoder equals the torch reference', () => {
  it('HF layout via safetensors: every case within 1e-4, no leaked tensors', () => {
    const config = readBertConfig(join(DIR, 'config.json'))
    const weights = fromHfNames(floatTensors(readSafetensors(join(DIR, 'model.safetensors'))))
    const before = tf.memory().numTensors
    const enc = BertEncoder.fromWeights(config, weights)
    const afterLoad = tf.memory().numTensors
    for (const c of expected.cases) {
      const d = maxAbsDiff(enc, c)
      expect(d, c.name).toBeLessThanOrEqual(1e-4)
    }
    expect(tf.memory().numTensors).toBe(afterLoad)
    enc.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('backward equals torch: gradients of sum(hidden · R) (word-embedding scatter, attention, LayerNorm, GELU)', () => {
    const f = importBertFolder(DIR)
    const enc = BertEncoder.fromWeights(f.config, f.weights)
    const c = expected.cases[expected.gradients.case]!
    const ids = tf.tensor2d(c.ids, undefined, 'int32')
    const mask = tf.tensor2d(c.mask, undefined, 'int32')
    const types = tf.tensor2d(c.tokenTypes, undefined, 'int32')
    const R = tf.tensor(expected.gradients.R, c.shape)
    const n = tf.memory().numTensors
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(enc.apply(ids, mask, { tokenTypeIds: types }), R)) as tf.Scalar,
      enc.allVariables(),
    )
    for (const [name, ref] of Object.entries(expected.gradients.grads)) {
      const v = enc.variables.get(name)!
      let g = grads[v.name]!
      // dense kernels are held as [in, out]; the reference is HF [out, in]
      if (ref.shape.length === 2 && !name.includes('embeddings')) g = g.transpose()
      expect(g.shape, name).toEqual(ref.shape)
      const { diff, scale } = tf.tidy(() => {
        const r = tf.tensor(ref.data, ref.shape)
        return { diff: tf.max(tf.abs(tf.sub(g, r))).dataSync()[0]!, scale: tf.max(tf.abs(r)).dataSync()[0]! }
      })
      if (g !== grads[v.name]) g.dispose()
      expect(scale, name).toBeGreaterThan(0)
      expect(diff, `${name}: max |Δ| ${diff} (max |g| ${scale})`).toBeLessThanOrEqual(1e-4 * Math.max(1, scale))
    }
    tf.dispose([value, ...Object.values(grads)])
    expect(tf.memory().numTensors).toBe(n)
    tf.dispose([ids, mask, types, R])
    enc.dispose()
  })

  it('eval is deterministic; training=true applies dropout', () => {
    const f = importBertFolder(DIR)
    const enc = BertEncoder.fromWeights(f.config, f.weights)
    const c = expected.cases[0]!
    expect(maxAbsDiff(enc, c)).toBeLessThanOrEqual(1e-4)
    expect(maxAbsDiff(enc, c, true)).toBeGreaterThan(1e-2)
    enc.dispose()
  })

  it('Google layout via the TF tensor-bundle reader gives the same outputs', () => {
    const f = importBertFolder(join(DIR, 'google'))
    expect(f.layout).toBe('google')
    const enc = BertEncoder.fromWeights(f.config, f.weights)
    for (const c of expected.cases) expect(maxAbsDiff(enc, c), c.name).toBeLessThanOrEqual(1e-4)
    enc.dispose()
  })

  it('tokeniser ids and offsets match the fixture script', () => {
    const f = importBertFolder(DIR)
    expected.titles.forEach((t, i) => {
      const e = tokenizeTitle(f.vocab, t)
      expect(e.ids).toEqual(expected.encoded[i]!.ids)
      expect(e.offsets).toEqual(expected.encoded[i]!.offsets)
    })
  })

  it('saveToSafetensors round-trips to the same outputs (self-contained, config in metadata)', () => {
    const f = importBertFolder(DIR)
    const enc = BertEncoder.fromWeights(f.config, f.weights)
    const path = join(tmpdir(), `bert-roundtrip-${process.pid}.safetensors`)
    enc.saveToSafetensors(path)
    enc.dispose()
    const back = BertEncoder.loadSafetensors(path)
    expect(back.config).toEqual(f.config)
    for (const c of expected.cases) expect(maxAbsDiff(back, c)).toBeLessThanOrEqual(1e-4)
    back.dispose()
  })

  it('saveBertModel / loadBertModel: one file with weights, config and vocabulary', () => {
    const f = importBertFolder(DIR)
    const enc = BertEncoder.fromWeights(f.config, f.weights)
    const path = join(tmpdir(), `bert-model-${process.pid}.safetensors`)
    saveBertModel(path, enc, f.vocab)
    enc.dispose()
    const m = loadBertModel(path)
    expect(m.config).toEqual(f.config)
    expect(m.vocab.tokens).toEqual(f.vocab.tokens)
    for (const c of expected.cases) expect(maxAbsDiff(m.encoder, c)).toBeLessThanOrEqual(1e-4)
    m.encoder.dispose()
    expect(() => loadBertModel(join(DIR, 'model.safetensors'))).toThrow(/no "bert_config" in __metadata__/)
  })
})
