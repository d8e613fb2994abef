/**
 * A span head: Efficient GlobalPointer (Su Jianlin, 2021/22) with rotary positions (RoPE).
 *
 *   h [B·L, H] ─ dense → q, k [B·L, D] ─ RoPE(position) ─ A[b,i,j] = q_i·k_j / √D      (shared by all types)
 *             └ dense → [B·L, 2K] ─ start bias s_k(i), end bias e_k(j)
 *   score[b,k,i,j] = A[b,i,j] + (s_k(i) + e_k(j)) / 2,   valid for i ≤ j < length, else −∞ (−1e12)
 *
 * Every (start i, end j inclusive, type k) of a title gets one score; a span is predicted when its
 * score is > 0.
 * Loss: the multi-label "circle" loss per (title, type) over all its valid (i, j) cells,
 *   log(1 + Σ_{neg} e^{s}) + log(1 + Σ_{pos} e^{−s}),
 * averaged over titles × types. Decoding (`decodeSpans`): the candidates are the spans with score
 * > 0 (per (i, j) only the best type); the result is the set of non-overlapping candidates with the
 * largest total score (weighted interval scheduling, exact DP), so output is flat, as the tag
 * presets' is. Cost: B·K·L² scores per batch — fine for a few types (Ding: 2), heavy with hundreds.
 */
import * as tf from '@tensorflow/tfjs'
import type { PlainSpan } from '../../shared/tags'
import { Dense } from './init'
import { childSeed } from '../train/rng'

export const NEG_INF = -1e12

interface GlobalPointerArgs {
  inputSize: number
  /** Entity types, in output order. */
  types: readonly string[]
  /** Size of q and k (even; rotary pairs). */
  headSize: number
  name: string
  seed: number
}

/** cos / sin tables `[B·L, D]` of the rotary embedding at positions 0 … L−1 (repeated B times). */
function ropeTables(B: number, L: number, D: number): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(B * L * D)
  const sin = new Float32Array(B * L * D)
  for (let t = 0; t < L; t++)
    for (let m = 0; m < D / 2; m++) {
      const a = t * Math.pow(10000, (-2 * m) / D)
      for (let b = 0; b < B; b++) {
        const o = (b * L + t) * D + 2 * m
        cos[o] = cos[o + 1] = Math.cos(a)
        sin[o] = sin[o + 1] = Math.sin(a)
      }
    }
  return { cos, sin }
}

/** `[N, D] → [N, D]`: each pair (x₂ₘ, x₂ₘ₊₁) rotated by the angle of its position. */
function rope(x: tf.Tensor2D, cos: tf.Tensor2D, sin: tf.Tensor2D, rot: tf.Tensor2D): tf.Tensor2D {
  // x·R = (−x₁, x₀, −x₃, x₂, …)
  return tf.add(tf.mul(x, cos), tf.mul(tf.matMul(x, rot), sin))
}

function rotationMatrix(D: number): Float32Array {
  const r = new Float32Array(D * D)
  for (let m = 0; m < D / 2; m++) {
    r[(2 * m + 1) * D + 2 * m] = -1
    r[2 * m * D + 2 * m + 1] = 1
  }
  return r
}

export class GlobalPointer {
  readonly types: readonly string[]
  readonly headSize: number
  private readonly qk: Dense
  private readonly bias: Dense

  constructor(args: GlobalPointerArgs) {
    if (args.headSize % 2 !== 0 || args.headSize <= 0) throw new Error('GlobalPointer head size must be a positive even number')
    if (args.types.length === 0) throw new Error('GlobalPointer needs at least one entity type')
    this.types = args.types
    this.headSize = args.headSize
    this.qk = new Dense({ inputSize: args.inputSize, units: 2 * args.headSize, name: `${args.name}/qk`, seed: childSeed(args.seed, 'qk') })
    this.bias = new Dense({ inputSize: args.inputSize, units: 2 * args.types.length, name: `${args.name}/bias`, seed: childSeed(args.seed, 'bias') })
  }

  get variables(): tf.Variable[] {
    return [...this.qk.variables, ...this.bias.variables]
  }

  /** Scores `[B, K, L, L]` (row i = start, column j = end, inclusive); invalid cells = −1e12. */
  scores(h: tf.Tensor2D, B: number, L: number, lengths: readonly number[]): tf.Tensor4D {
    const D = this.headSize
    const K = this.types.length
    return tf.tidy(() => {
      const { cos, sin } = ropeTables(B, L, D)
      const c = tf.tensor2d(cos, [B * L, D])
      const s = tf.tensor2d(sin, [B * L, D])
      const rot = tf.tensor2d(rotationMatrix(D), [D, D])
      const qk = this.qk.apply(h)
      const [q, k] = tf.split(qk, 2, 1) as [tf.Tensor2D, tf.Tensor2D]
      const qr = tf.reshape(rope(q, c, s, rot), [B, L, D]) as tf.Tensor3D
      const kr = tf.reshape(rope(k, c, s, rot), [B, L, D]) as tf.Tensor3D
      const a = tf.div(tf.matMul(qr, kr, false, true), Math.sqrt(D)) // [B, L, L]
      const bias = tf.transpose(tf.reshape(this.bias.apply(h), [B, L, K, 2]), [0, 2, 1, 3]) // [B, K, L, 2]
      const [st, en] = tf.split(bias, 2, 3) as [tf.Tensor4D, tf.Tensor4D] // [B, K, L, 1]
      const score = tf.add(tf.expandDims(a, 1), tf.div(tf.add(st, tf.transpose(en, [0, 1, 3, 2])), 2)) as tf.Tensor4D
      const valid = validMask(B, L, lengths)
      const m = tf.tensor4d(valid, [B, 1, L, L])
      return tf.add(tf.mul(score, m), tf.mul(tf.sub(1, m), NEG_INF)) as tf.Tensor4D
    })
  }

  /** Circle loss of `scores` against gold spans per title (types not in `types` are ignored), mean over B·K. */
  loss(scores: tf.Tensor4D, spans: readonly (readonly PlainSpan[])[]): tf.Scalar {
    const [B, K, L] = scores.shape
    const y = goldGrid(spans, this.types, B, L)
    return tf.tidy(() => circleLoss(tf.reshape(scores, [B * K, L * L]) as tf.Tensor2D, tf.tensor2d(y, [B * K, L * L])))
  }
}

/** 1 where i ≤ j < length (row b: `[L, L]`), `[B·L·L]`. */
function validMask(B: number, L: number, lengths: readonly number[]): Float32Array {
  const m = new Float32Array(B * L * L)
  for (let b = 0; b < B; b++) {
    const n = lengths[b]!
    for (let i = 0; i < n; i++) m.fill(1, (b * L + i) * L + i, (b * L + i) * L + n)
  }
  return m
}

/** Gold cells `[B·K·L·L]`: 1 at (b, type, start, end − 1). */
function goldGrid(spans: readonly (readonly PlainSpan[])[], types: readonly string[], B: number, L: number): Float32Array {
  const K = types.length
  const index = new Map(types.map((t, i) => [t, i]))
  const y = new Float32Array(B * K * L * L)
  spans.forEach((ss, b) => {
    for (const s of ss) {
      const k = index.get(s.type)
      if (k === undefined || s.end > L || s.end <= s.start) continue
      y[((b * K + k) * L + s.start) * L + s.end - 1] = 1
    }
  })
  return y
}

/**
 * Multi-label categorical cross-entropy ("circle loss") per row of `s` `[R, C]` with 0/1 targets
 * `y`: log(1 + Σ_{y=0} e^{s}) + log(1 + Σ_{y=1} e^{−s}); mean over rows. Cells at −1e12 add nothing.
 */
function circleLoss(s: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  const R = s.shape[0]
  const signed = tf.mul(tf.sub(1, tf.mul(2, y)), s) // −s on positives, s on negatives
  const neg = tf.sub(signed, tf.mul(y, 1e12))
  const pos = tf.sub(signed, tf.mul(tf.sub(1, y), 1e12))
  const zero = tf.zeros([R, 1])
  const lNeg = tf.logSumExp(tf.concat([neg, zero], 1), 1)
  const lPos = tf.logSumExp(tf.concat([pos, zero], 1), 1)
  return tf.mean(tf.add(lNeg, lPos)) as tf.Scalar
}

export interface ScoredSpan extends PlainSpan {
  score: number
}

/**
 * Flat spans from one title's scores (`get(k, i, j)`, j inclusive): candidates are (i, j) with
 * the best type's score > 0; returns the non-overlapping set with the largest total score
 * (DP over end positions; ties keep the earlier decision, so the result is deterministic), in order.
 */
export function decodeSpans(n: number, K: number, get: (k: number, i: number, j: number) => number, types: readonly string[]): ScoredSpan[] {
  const byEnd: ScoredSpan[][] = Array.from({ length: n + 1 }, () => [])
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      let bk = -1
      let bs = 0
      for (let k = 0; k < K; k++) {
        const v = get(k, i, j)
        if (v > bs) {
          bs = v
          bk = k
        }
      }
      if (bk >= 0) byEnd[j + 1]!.push({ start: i, end: j + 1, type: types[bk]!, score: bs })
    }
  const best = new Float64Array(n + 1)
  const choice: (ScoredSpan | null)[] = new Array(n + 1).fill(null)
  for (let t = 1; t <= n; t++) {
    best[t] = best[t - 1]!
    for (const c of byEnd[t]!) {
      const v = best[c.start]! + c.score
      if (v > best[t]!) {
        best[t] = v
        choice[t] = c
      }
    }
  }
  const out: ScoredSpan[] = []
  for (let t = n; t > 0; ) {
    const c = choice[t]
    if (c) {
      out.push(c)
      t = c.start
    } else t--
  }
  return out.reverse()
}
