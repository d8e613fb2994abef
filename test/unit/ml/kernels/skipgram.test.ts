// The skip-gram WebAssembly SIMD kernel against the word2vec update written out in plain JS
// (float64, as the engine computed it before the kernel), on random rows and tuples.
import { describe, expect, it } from 'vitest'
import { skipGramKernel } from '../../../../src-main/ml/kernels/skipgram'
import { sleb, uleb } from '../../../../src-main/ml/kernels/wasm-emit'
import { makeRng } from '../../../../src-main/ml/train/rng'

/** The update of kernels/skipgram.ts's header, in plain JS over `[V · dim]` arrays. */
function reference(input: Float32Array, output: Float32Array, dim: number, tuples: Int32Array, n: number, K: number, lr: number): void {
  const grad = new Float64Array(dim)
  for (let p = 0; p < n; p++) {
    const t = tuples.subarray(p * (K + 2), (p + 1) * (K + 2))
    const io = t[0]! * dim
    grad.fill(0)
    for (let d = 0; d <= K; d++) {
      const target = t[1 + d]!
      if (target < 0) continue
      const oo = target * dim
      let dot = 0
      for (let k = 0; k < dim; k++) dot += input[io + k]! * output[oo + k]!
      const s = dot > 6 ? 1 : dot < -6 ? 0 : 1 / (1 + Math.exp(-dot))
      const g = ((d === 0 ? 1 : 0) - s) * lr
      for (let k = 0; k < dim; k++) {
        grad[k]! += g * output[oo + k]!
        output[oo + k]! += g * input[io + k]!
      }
    }
    for (let k = 0; k < dim; k++) input[io + k]! += grad[k]!
  }
}

describe('skip-gram kernel (WebAssembly SIMD, built in the repo)', () => {
  it('LEB128 as the format writes it', () => {
    expect(uleb(0)).toEqual([0])
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26])
    expect(uleb(0xe4)).toEqual([0xe4, 0x01])
    expect(sleb(-1)).toEqual([0x7f])
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78])
    expect(sleb(64)).toEqual([0xc0, 0x00])
  })

  for (const dim of [1, 5, 13, 50, 300]) {
    it(`applies the tuples as the plain-JS update does (dim ${dim}, rows padded to 8)`, () => {
      const V = 17
      const K = 5
      const rng = makeRng(dim)
      const kernel = skipGramKernel(V, dim, K, 40)
      const input = Float32Array.from({ length: V * dim }, () => (rng() - 0.5) * 0.8)
      const output = Float32Array.from({ length: V * dim }, () => (rng() - 0.5) * 0.8)
      // large rows on two ids push their dot products past ±6 (the clipped branches)
      for (let k = 0; k < dim; k++) {
        input[3 * dim + k] = 2
        output[4 * dim + k] = dim === 1 ? 9 : 2
      }
      const n = 37
      const tuples = kernel.tuples
      for (let p = 0; p < n; p++) {
        const o = p * (K + 2)
        tuples[o] = p % 9 === 0 ? 3 : Math.floor(rng() * V)
        tuples[o + 1] = p % 7 === 0 ? 4 : Math.floor(rng() * V)
        // −1: a negative equal to the centre, skipped; repeated ids in one tuple are applied in order
        for (let d = 1; d <= K; d++) tuples[o + 1 + d] = rng() < 0.2 ? -1 : d === 2 ? tuples[o + 2]! : Math.floor(rng() * V)
      }
      const s = kernel.stride
      expect(s % 8).toBe(0)
      for (let v = 0; v < V; v++) {
        kernel.input.set(input.subarray(v * dim, (v + 1) * dim), v * s)
        kernel.output.set(output.subarray(v * dim, (v + 1) * dim), v * s)
      }
      const before = Float32Array.from(input)
      reference(input, output, dim, tuples, n, K, 0.05)
      // something moved: the comparison is not between two untouched copies
      expect(Math.max(...input.map((x, i) => Math.abs(x - before[i]!)))).toBeGreaterThan(1e-3)
      kernel.run(n, 0.05)
      for (let v = 0; v < V; v++)
        for (let k = 0; k < s; k++) {
          if (k >= dim) {
            // the padding stays zero
            expect(kernel.input[v * s + k]).toBe(0)
            expect(kernel.output[v * s + k]).toBe(0)
            continue
          }
          expect(kernel.input[v * s + k]).toBeCloseTo(input[v * dim + k]!, 4)
          expect(kernel.output[v * s + k]).toBeCloseTo(output[v * dim + k]!, 4)
        }
    })
  }

  it('does nothing for zero tuples', () => {
    const kernel = skipGramKernel(3, 4, 2, 1)
    kernel.input.fill(0.5)
    kernel.output.fill(0.25)
    kernel.run(0, 0.1)
    expect(Array.from(new Set(kernel.input))).toEqual([0.5])
    expect(Array.from(new Set(kernel.output))).toEqual([0.25])
  })
})
