import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { parseBertConfig } from '../../../../src-main/ml/bert/config'
import { BertEncoder, embeddingLookup, expectedShapes, matMulFast, validateWeights, type WeightMap } from '../../../../src-main/ml/bert/encoder'
import { importBertFolder } from '../../../../src-main/ml/bert/import'
import { BERT_TINY } from '../../../helpers/bert'

const FIX = BERT_TINY
const tiny = parseBertConfig({
  vocab_size: 30,
  hidden_size: 16,
  num_hidden_layers: 3,
  num_attention_heads: 2,
  intermediate_size: 24,
  max_position_embeddings: 12,
})

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function zeros(c = tiny): WeightMap {
  const m: WeightMap = new Map()
  for (const [n, s] of expectedShapes(c)) m.set(n, { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)) })
  return m
}

describe('BertEncoder', () => {
  it('names missing tensors, shape mismatches and unknown tensors', () => {
    const w = zeros()
    w.delete('encoder.layer.2.output.LayerNorm.bias')
    w.set('encoder.layer.0.intermediate.dense.weight', { shape: [16, 24], data: new Float32Array(384) })
    expect(() => validateWeights(tiny, w, { source: 'm.safetensors' })).toThrow(
      /m\.safetensors: missing tensor: "encoder\.layer\.2\.output\.LayerNorm\.bias"; shape mismatch for "encoder\.layer\.0\.intermediate\.dense\.weight": file has \[16, 24\], config needs \[24, 16\]/,
    )
    const u = zeros()
    u.set('encoder.layer.3.output.dense.bias', { shape: [16], data: new Float32Array(16) })
    expect(() => validateWeights(tiny, u)).toThrow(/unknown tensor \(not in a 3-layer BERT encoder\): "encoder\.layer\.3\.output\.dense\.bias"/)
    const warn = vi.fn()
    expect(validateWeights(tiny, u, { unknownTensors: 'warn', onWarning: warn }).size).toBe(expectedShapes(tiny).size)
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/encoder\.layer\.3\.output\.dense\.bias/))
    expect(validateWeights(tiny, u, { unknownTensors: 'ignore' }).has('encoder.layer.3.output.dense.bias')).toBe(false)
  })

  it('freeze lowest layers / embeddings; trainableVariables lists only the rest', () => {
    const enc = BertEncoder.random(tiny, 3)
    expect(enc.trainableVariables()).toHaveLength(5 + 3 * 16)
    enc.freeze({ embeddings: true, layers: 2 })
    const names = enc.trainableVariables().map((v) => v.name)
    expect(names).toHaveLength(16)
    expect(names.every((n) => n.includes('encoder.layer.2.'))).toBe(true)
    enc.freeze({ layers: 0 })
    expect(enc.trainableVariables()).toHaveLength(5 + 3 * 16)
    expect(() => enc.freeze({ layers: 4 })).toThrow(/layers must be in \[0, 3\]/)
    enc.dispose()
  })

  it('a training step: gradients only for trainable variables, loss goes down, no leaked tensors', () => {
    const enc = BertEncoder.random(tiny, 5)
    enc.freeze({ embeddings: true, layers: 1 })
    const ids = tf.tensor2d([[2, 5, 6, 7, 3, 0], [2, 8, 9, 3, 0, 0]], undefined, 'int32')
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]], undefined, 'int32')
    const target = tf.randomNormal([2, 6, 16], 0, 1, 'float32', 9)
    const opt = tf.train.adam(1e-2)
    const vars = enc.trainableVariables()
    const lossFn = (): tf.Scalar => tf.mean(tf.square(tf.sub(enc.apply(ids, mask, { training: false }), target))) as tf.Scalar
    const frozenBefore = enc.variables.get('encoder.layer.0.attention.self.query.weight')!.dataSync().slice()
    const l0 = tf.tidy(() => lossFn().dataSync()[0]!)
    const n0 = tf.memory().numTensors
    let last = l0
    for (let step = 0; step < 5; step++) {
      const before = tf.memory().numTensors
      const loss = opt.minimize(lossFn, true, vars)!
      last = loss.dataSync()[0]!
      loss.dispose()
      // adam creates its slot variables on the first step only
      if (step > 0) expect(tf.memory().numTensors).toBe(before)
    }
    expect(last).toBeLessThan(l0)
    expect(enc.variables.get('encoder.layer.0.attention.self.query.weight')!.dataSync()).toEqual(frozenBefore)
    const { grads, value } = tf.variableGrads(lossFn, vars)
    expect(Object.keys(grads)).toHaveLength(vars.length)
    expect(Object.keys(grads).some((k) => k.includes('encoder.layer.0.'))).toBe(false)
    tf.dispose([value, ...Object.values(grads)])
    opt.dispose()
    tf.dispose([ids, mask, target])
    expect(tf.memory().numTensors).toBeLessThanOrEqual(n0)
    enc.dispose()
  })

  it('dropout in training mode only; masked keys do not influence real positions', () => {
    const f = importBertFolder(FIX)
    const enc = BertEncoder.fromWeights(f.config, f.weights)
    const n = tf.memory().numTensors
    const a = enc.forward([[2, 10, 11, 3, 0, 0]], [[1, 1, 1, 1, 0, 0]])
    const b = enc.forward([[2, 10, 11, 3, 40, 41]], [[1, 1, 1, 1, 0, 0]])
    const c = enc.forward([[2, 10, 11, 3]], [[1, 1, 1, 1]])
    const real = (t: tf.Tensor3D): tf.Tensor => t.slice([0, 0, 0], [1, 4, -1])
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(real(a), real(b)))).dataSync()[0])).toBeLessThan(1e-5)
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(real(a), c))).dataSync()[0])).toBeLessThan(1e-5)
    const d1 = enc.forward([[2, 10, 11, 3]], [[1, 1, 1, 1]], { training: true })
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(d1, c))).dataSync()[0])).toBeGreaterThan(1e-3)
    tf.dispose([a, b, c, d1])
    expect(tf.memory().numTensors).toBe(n)
    expect(() => enc.forward([new Array(65).fill(1)], [new Array(65).fill(1)])).toThrow(/sequence length 65 > max_position_embeddings 64; use windows\(\)/)
    enc.dispose()
    expect(() => enc.forward([[2, 3]], [[1, 1]])).toThrow(/after dispose/)
  })
})

describe('embeddingLookup', () => {
  it('gradient (scatterND) equals tf.gather’s gradient, with repeated ids', () => {
    const table = tf.randomNormal([7, 3], 0, 1, 'float32', 1) as tf.Tensor2D
    const ids = tf.tensor2d([[1, 4, 1], [6, 1, 0]], undefined, 'int32')
    const w = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 2)
    const f1 = (t: tf.Tensor): tf.Tensor => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), w))
    const f2 = (t: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.gather(t, ids), w))
    const g1 = tf.grad(f1)(table)
    const g2 = tf.grad(f2)(table)
    expect(tf.max(tf.abs(tf.sub(g1, g2))).dataSync()[0]).toBeLessThan(1e-6)
    expect(tf.max(tf.abs(tf.sub(f1(table), f2(table)))).dataSync()[0]).toBe(0)
  })
})

describe('matMulFast', () => {
  it('value and gradients equal tf.matMul (rank 2 and batched rank 4)', () => {
    for (const [sa, sb] of [
      [[5, 3], [3, 4]],
      [[2, 3, 5, 4], [2, 3, 4, 6]],
    ] as const) {
      const a = tf.randomNormal([...sa], 0, 1, 'float32', 3)
      const b = tf.randomNormal([...sb], 0, 1, 'float32', 4)
      const w = tf.randomNormal(tf.matMul(a, b).shape, 0, 1, 'float32', 5)
      const g1 = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMulFast(x, y), w)))([a, b])
      const g2 = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), w)))([a, b])
      expect(tf.max(tf.abs(tf.sub(matMulFast(a, b), tf.matMul(a, b)))).dataSync()[0]).toBe(0)
      g1.forEach((g, i) => expect(tf.max(tf.abs(tf.sub(g, g2[i]!))).dataSync()[0]).toBeLessThan(1e-5))
    }
  })
})
