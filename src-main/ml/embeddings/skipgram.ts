/**
 * Skip-gram with negative sampling (word2vec, Mikolov et al. 2013), in plain typed arrays.
 * Single-threaded and driven by one seeded PRNG, so a seed gives the same vectors every time.
 *
 * For each token (after sub-sampling frequent ones: kept with probability √(t/f) + t/f, word2vec's
 * rule), a window radius r ∈ [1, window] is drawn, and each context token within r predicts the
 * centre's input vector: logistic loss on the true pair and on `negative` tokens drawn from the
 * unigram distribution ^0.75. Learning rate decays linearly from `lr` to lr·1e-4 over all epochs.
 * Returns the input vectors (the usual embeddings), `[V · dim]`.
 */
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
  const output = new Float32Array(V * D)
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
  const grad = new Float32Array(D)
  const totalSteps = opts.epochs * total
  let seen = 0
  const kept = new Int32Array(Math.max(1, ...sequences.map((s) => s.length)))
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
      for (let t = 0; t < n; t++) {
        const centre = kept[t]!
        const r = 1 + Math.floor(rng() * opts.window)
        for (let c = Math.max(0, t - r); c <= Math.min(n - 1, t + r); c++) {
          if (c === t) continue
          // the context token's input vector predicts the centre (word2vec's loop order)
          const io = kept[c]! * D
          grad.fill(0)
          for (let d = 0; d <= opts.negative; d++) {
            let target: number
            let label: number
            if (d === 0) {
              target = centre
              label = 1
            } else {
              target = table[Math.floor(rng() * TABLE_SIZE)]!
              if (target === centre) continue
              label = 0
            }
            const oo = target * D
            let dot = 0
            for (let k = 0; k < D; k++) dot += input[io + k]! * output[oo + k]!
            const sig = dot > 6 ? 1 : dot < -6 ? 0 : 1 / (1 + Math.exp(-dot))
            const g = (label - sig) * lr
            for (let k = 0; k < D; k++) {
              grad[k] += g * output[oo + k]!
              output[oo + k] += g * input[io + k]!
            }
          }
          for (let k = 0; k < D; k++) input[io + k] += grad[k]!
        }
      }
    }
  }
  return input
}
