// The same equality check on the wasm backend (the one the app trains on), plus one training step:
// every kernel the encoder's forward and backward need exists on wasm.
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { BertEncoder } from '../../../../src-main/ml/bert/encoder'
import { importBertFolder } from '../../../../src-main/ml/bert/import'
import { BERT_TINY } from '../../../helpers/bert'

const FIX = BERT_TINY
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as {
  cases: { ids: number[][]; mask: number[][]; tokenTypes: number[][]; shape: number[]; hidden: number[] }[]
  gradients: { case: number; R: number[]; grads: Record<string, { shape: number[]; data: number[] }> }
}

beforeAll(async () => {
  setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/')
  expect(await tf.setBackend('wasm')).toBe(true)
})

describe('BERT encoder on wasm', () => {
  it('matches the torch reference within 1e-4 and trains (forward + backward) without leaks', () => {
    expect(tf.getBackend()).toBe('wasm')
    const f = importBertFolder(FIX)
    const enc = BertEncoder.fromWeights(f.config, f.weights)
    for (const c of expected.cases) {
      const d = tf.tidy(() => {
        const out = enc.apply(tf.tensor2d(c.ids, undefined, 'int32'), tf.tensor2d(c.mask, undefined, 'int32'), {
          tokenTypeIds: tf.tensor2d(c.tokenTypes, undefined, 'int32'),
        })
        return tf.max(tf.abs(tf.sub(out, tf.tensor(c.hidden, c.shape)))).dataSync()[0]!
      })
      expect(d).toBeLessThanOrEqual(1e-4)
    }
    const c = expected.cases[expected.gradients.case]!
    const ids = tf.tensor2d(c.ids, undefined, 'int32')
    const mask = tf.tensor2d(c.mask, undefined, 'int32')
    const n = tf.memory().numTensors
    // gradients equal the torch reference on wasm too
    const R = tf.tensor(expected.gradients.R, c.shape)
    const ref = tf.variableGrads(() => tf.sum(tf.mul(enc.apply(ids, mask), R)) as tf.Scalar, enc.allVariables())
    for (const [name, r] of Object.entries(expected.gradients.grads)) {
      const g = ref.grads[enc.variables.get(name)!.name]!
      const d = tf.tidy(() => {
        const gg = r.shape.length === 2 && !name.includes('embeddings') ? g.transpose() : g
        return tf.max(tf.abs(tf.sub(gg, tf.tensor(r.data, r.shape)))).dataSync()[0]!
      })
      expect(d, name).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.max(...r.data.map(Math.abs))))
    }
    tf.dispose([R, ref.value, ...Object.values(ref.grads)])
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(enc.apply(ids, mask, { training: true }))) as tf.Scalar,
      enc.trainableVariables(),
    )
    expect(Object.keys(grads)).toHaveLength(enc.trainableVariables().length)
    const gw = grads[enc.variables.get('embeddings.word_embeddings.weight')!.name]!
    expect(tf.tidy(() => tf.sum(tf.abs(gw)).dataSync()[0])).toBeGreaterThan(0)
    tf.dispose([value, ...Object.values(grads)])
    expect(tf.memory().numTensors).toBe(n)
    tf.dispose([ids, mask])
    enc.dispose()
  })
})
