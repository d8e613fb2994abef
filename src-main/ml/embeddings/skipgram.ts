/**
 * Skip-gram with negative sampling (word2vec, Mikolov et al. 2013), in plain typed arrays.
 * Single-threaded and driven by one seeded PRNG, so a seed gives the same vectors every time. The
 * sampling is here; the arithmetic is a WebAssembly SIMD kernel (kernels/skipgram.ts).
 *
 * For each token (after sub-sampling frequent ones: kept with probability √(t/f) + t/f, word2vec's
 * rule), a window radius r ∈ [1, window] is drawn, and each context token within r predicts the
 * centre's input vector: logistic loss on the true pair and on `negative` tokens drawn from the
 * unigram distribution ^0.75. Learning rate decays linearly from `lr` to lr·1e-4 over all epochs.
 * Returns the input vectors (the usual embeddings), `[V · dim]`.
 */
import { skipGramKernel } from '../kernels/skipgram'
import { makeRng } from '../train/rng'

export interface SkipGramOptions {
  dim: number
  window: number
  negative: number
  epochs: number
  lr: number
  /** Sub-sampling threshold t (0 = off). */
  subsample: number
  seed: number
}

// sub-sampling at 1e-4: a title's vocabulary is a few thousand chars, the commonest ones very frequent
export const DEFAULT_SKIPGRAM: Omit<SkipGramOptions, 'dim' | 'seed'> = { window: 5, negative: 5, epochs: 5, lr: 0.025, subsample: 1e-4 }

const TABLE_SIZE = 1 << 20

/** Train on token-id sequences over a vocabulary of `counts.length` ids (ids < 0 are skipped). */
export function trainSkipGram(sequences: readonly Int32Array[], counts: ArrayLike<number>, opts: SkipGramOptions): Float32Array {
  const V = counts.length
  const D = opts.dim
  const rng = makeRng(opts.seed)
  const input = new Float32Array(V * D)
  for (let i = 0; i < input.length; i++) input[i] = (rng() - 0.5) / D
  let total = 0
  for (let v = 0; v < V; v++) total += counts[v]!
  if (total === 0 || V === 0) return input
  // unigram^0.75 table for negatives
  const table = new Int32Array(TABLE_SIZE)
  let norm = 0
  for (let v = 0; v < V; v++) norm += Math.pow(counts[v]!, 0.75)
  {
    let v = 0
    let cum = Math.pow(counts[0]!, 0.75) / norm
    for (let i = 0; i < TABLE_SIZE; i++) {
      table[i] = v
      if (i / TABLE_SIZE > cum && v < V - 1) cum += Math.pow(counts[++v]!, 0.75) / norm
    }
  }
  const keepP = new Float64Array(V)
  for (let v = 0; v < V; v++) {
    const f = counts[v]! / total
    keepP[v] = opts.subsample > 0 && f > 0 ? Math.min(1, Math.sqrt(opts.subsample / f) + opts.subsample / f) : 1
  }
  const window = opts.window
  const K = opts.negative
  const maxLen = Math.max(1, ...sequences.map((s) => s.length))
  const kernel = skipGramKernel(V, D, K, maxLen * 2 * window)
  const { stride, tuples } = kernel
  for (let v = 0; v < V; v++) kernel.input.set(input.subarray(v * D, (v + 1) * D), v * stride)
  const totalSteps = opts.epochs * total
  let seen = 0
  const kept = new Int32Array(maxLen)
  for (let ep = 0; ep < opts.epochs; ep++) {
    for (const seq of sequences) {
      let n = 0
      for (let t = 0; t < seq.length; t++) {
        const w = seq[t]!
        if (w < 0) continue
        seen++
        if (keepP[w]! < 1 && rng() > keepP[w]!) continue
        kept[n++] = w
      }
      const lr = Math.max(opts.lr * 1e-4, opts.lr * (1 - seen / (totalSteps + 1)))
      // the title's tuples, in word2vec's order: each context token's input vector predicts the centre
      let m = 0
      for (let t = 0; t < n; t++) {
        const centre = kept[t]!
        const r = 1 + Math.floor(rng() * window)
        for (let c = Math.max(0, t - r); c <= Math.min(n - 1, t + r); c++) {
          if (c === t) continue
          const o = m++ * (K + 2)
          tuples[o] = kept[c]!
          tuples[o + 1] = centre
          for (let d = 1; d <= K; d++) {
            const target = table[Math.floor(rng() * TABLE_SIZE)]!
            tuples[o + 1 + d] = target === centre ? -1 : target
          }
        }
      }
      if (m) kernel.run(m, lr)
    }
  }
  for (let v = 0; v < V; v++) input.set(kernel.input.subarray(v * stride, v * stride + D), v * D)
  return input
}
