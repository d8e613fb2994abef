// The wasm GatherV2 and Sum kernels of src-main/ml/kernels/wasm-heap.ts against plain-JS
// expectations (float64 sums), on the fast path and on the cases that fall back to the stock kernels.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { wasmHeapKernelsActive } from '../../../../src-main/ml/kernels/wasm-heap'
import { makeRng } from '../../../../src-main/ml/train/rng'
import { testBackend } from '../../../helpers/ml'

function randomArray(n: number, seed: number): Float32Array {
  const rng = makeRng(seed)
  return Float32Array.from({ length: n }, () => rng() * 4 - 2)
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > tol * Math.max(1, Math.abs(expected[i]!))) {
      throw new Error(`element ${i}: ${actual[i]} ≠ ${expected[i]}`)
    }
  }
}

describe('wasm heap kernels (GatherV2, Sum)', () => {
  let backend = ''
  beforeAll(async () => {
    backend = await testBackend()
  })

  it('replaces the stock kernels on wasm (the cases below then test ours)', () => {
    expect(tf.getBackend()).toBe(backend)
    expect(wasmHeapKernelsActive()).toBe(backend === 'wasm')
  })

  it('gathers rows along axis 0 exactly, for float32 and int32, 1-D and 2-D indices, repeats included', () => {
    const data = randomArray(7 * 3 * 2, 1)
    const x = tf.tensor3d(data, [7, 3, 2])
    const idx = [6, 0, 0, 3, 5]
    const g = tf.gather(x, tf.tensor1d(idx, 'int32'))
    expect(g.shape).toEqual([5, 3, 2])
    const want = idx.flatMap((r) => Array.from(data.subarray(r * 6, r * 6 + 6)))
    expect(Array.from(g.dataSync())).toEqual(want)
    const g2 = tf.gather(x, tf.tensor2d([[1, 2], [2, 1]], [2, 2], 'int32'))
    expect(g2.shape).toEqual([2, 2, 3, 2])
    expect(Array.from(g2.dataSync())).toEqual([1, 2, 2, 1].flatMap((r) => Array.from(data.subarray(r * 6, r * 6 + 6))))
    const ints = tf.gather(tf.tensor1d([10, 20, 30], 'int32'), tf.tensor1d([2, 2, 0], 'int32'))
    expect(ints.dtype).toBe('int32')
    expect(Array.from(ints.dataSync())).toEqual([30, 30, 10])
    const empty = tf.gather(x, tf.tensor1d([], 'int32'))
    expect(empty.shape).toEqual([0, 3, 2])
    tf.dispose([x, g, g2, ints, empty])
  })

  it('refuses an index out of range instead of reading outside the tensor', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2])
    const before = tf.memory().numTensors
    expect(() => tf.gather(x, tf.tensor1d([0, 2], 'int32'))).toThrow(/index 2 is not in \[0, 2\)|out of bounds|range/)
    expect(() => tf.gather(x, tf.tensor1d([-1], 'int32'))).toThrow()
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2) // the index tensors only
    x.dispose()
  })

  // (batchDims is not tested: the stock wasm GatherV2 itself returns garbage with batchDims = 1,
  // tfjs-backend-wasm 4.x; nothing in the engine uses it.)
  it('leaves other axes to the stock kernel, with the same results', () => {
    const data = randomArray(4 * 5, 2)
    const x = tf.tensor2d(data, [4, 5])
    const g = tf.gather(x, tf.tensor1d([4, 1], 'int32'), 1)
    const want: number[] = []
    for (let r = 0; r < 4; r++) want.push(data[r * 5 + 4]!, data[r * 5 + 1]!)
    expect(Array.from(g.dataSync())).toEqual(want)
    tf.dispose([x, g])
  })

  it('sums over leading axes (keepDims or not, negative axes), equal to float64 sums', () => {
    const [A, B, C] = [33, 7, 5]
    const data = randomArray(A * B * C, 3)
    const x = tf.tensor3d(data, [A, B, C])
    const want0 = new Float64Array(B * C)
    const want01 = new Float64Array(C)
    for (let a = 0; a < A; a++) for (let k = 0; k < B * C; k++) want0[k]! += data[a * B * C + k]!
    for (let k = 0; k < B * C; k++) want01[k % C]! += want0[k]!
    const s0 = tf.sum(x, 0)
    expect(s0.shape).toEqual([B, C])
    close(s0.dataSync(), want0)
    const s01 = tf.sum(x, [1, 0], true)
    expect(s01.shape).toEqual([1, 1, C])
    close(s01.dataSync(), want01)
    const sNeg = tf.sum(x, [-3, -2])
    expect(sNeg.shape).toEqual([C])
    close(sNeg.dataSync(), want01)
    tf.dispose([x, s0, s01, sNeg])
  })

  it('leaves trailing, whole and int32 sums to the stock kernel, with the same results', () => {
    const data = randomArray(6 * 4, 4)
    const x = tf.tensor2d(data, [6, 4])
    const rows = Array.from({ length: 6 }, (_, r) => data.subarray(r * 4, r * 4 + 4).reduce((a, c) => a + c, 0))
    close(tf.sum(x, 1).dataSync(), rows)
    close(tf.sum(x).dataSync(), [rows.reduce((a, c) => a + c, 0)])
    expect(Array.from(tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0).dataSync())).toEqual([4, 6])
    close(tf.sum(tf.tensor2d([1, 2], [1, 2]), 0).dataSync(), [1, 2])
    x.dispose()
  })

  it('gives the bias gradient of a dense layer (Add broadcast → Sum over rows) and the embedding gradient', () => {
    const M = 50
    const N = 9
    const dy = randomArray(M * N, 5)
    const bias = tf.variable(tf.zeros([N]))
    const x = tf.tensor2d(randomArray(M * N, 6), [M, N])
    const table = tf.variable(tf.tensor2d(randomArray(4 * N, 7), [4, N]))
    const ids = tf.tensor1d(Array.from({ length: M }, (_, i) => i % 4), 'int32')
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.add(tf.add(x, bias), tf.gather(table, ids)), tf.tensor2d(dy, [M, N]))) as tf.Scalar, [bias, table])
    const wantBias = new Float64Array(N)
    const wantTable = new Float64Array(4 * N)
    for (let r = 0; r < M; r++) for (let c = 0; c < N; c++) {
      wantBias[c]! += dy[r * N + c]!
      wantTable[(r % 4) * N + c]! += dy[r * N + c]!
    }
    close(grads[bias.name]!.dataSync(), wantBias)
    close(grads[table.name]!.dataSync(), wantTable)
    tf.dispose([bias, x, table, ids, ...Object.values(grads)])
  })
})
