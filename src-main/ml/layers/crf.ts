/**
 * Batched, masked linear-chain CRF (any number of tags), after pytorch-crf's interface.
 *
 * Shapes: B = batch, L = padded length, T = tags. Emissions are `[B, L, T]`; each title b has a
 * length `lengths[b] ≥ 1` and its valid positions are `0 … lengths[b]-1` (padding at the end).
 *
 * Score of a tag path y: start[y0] + Σ_t emit[t, y_t] + Σ_{t≥1} trans[y_{t-1}, y_t] + end[y_last].
 *
 * Cost: the forward recursion per step is done as one exp-space matmul with a max shift,
 *   alpha_t = log(exp(alpha_{t-1} - m) @ exp(trans - c)) + m + c + emit_t
 * ([B,T]×[T,T], never a [B,T,T] broadcast). The gradient of log Z is not autodiffed through the
 * recursion: it is the forward–backward marginals (one backward recursion of the same cost, plus
 * one [T, B·L]×[B·L, T] matmul for the transition counts), via `tf.customGrad`. Viterbi runs on CPU
 * arrays with exact pruning (candidates visited best-first and cut once they cannot win), which
 * keeps decoding cheap at 1,001 tags.
 */
import * as tf from '@tensorflow/tfjs'
import { makeRng } from '../train/rng'
import { makeVariable } from './init'
import { splitSteps } from './bilstm'

export interface CrfArgs {
  /** Number of tags T. */
  numTags: number
  /** Variable name prefix (tfjs variable names are global and must be unique). */
  name: string
  /** Seed of the uniform(-0.1, 0.1) initialisation (pytorch-crf's). Default 1. */
  seed?: number
}

/** Per-batch index arrays for the gold path score (built on the JS side). */
interface GoldIndex {
  emit: tf.Tensor1D
  trans: tf.Tensor1D
  transW: tf.Tensor1D
  start: tf.Tensor1D
  end: tf.Tensor1D
}

export function maskFromLengths(lengths: readonly number[], L: number): tf.Tensor2D {
  const m = new Float32Array(lengths.length * L)
  lengths.forEach((n, b) => m.fill(1, b * L, b * L + Math.min(n, L)))
  return tf.tensor2d(m, [lengths.length, L])
}

export class CRF {
  readonly numTags: number
  readonly transitions: tf.Variable<tf.Rank.R2>
  readonly start: tf.Variable<tf.Rank.R1>
  readonly end: tf.Variable<tf.Rank.R1>

  constructor(args: CrfArgs) {
    const T = (this.numTags = args.numTags)
    const rng = makeRng(args.seed ?? 1)
    const u = (n: number): Float32Array => {
      const a = new Float32Array(n)
      for (let i = 0; i < n; i++) a[i] = (rng() * 2 - 1) * 0.1
      return a
    }
    this.transitions = makeVariable(tf.tensor2d(u(T * T), [T, T]), `${args.name}/transitions`) as tf.Variable<tf.Rank.R2>
    this.start = makeVariable(tf.tensor1d(u(T)), `${args.name}/start`) as tf.Variable<tf.Rank.R1>
    this.end = makeVariable(tf.tensor1d(u(T)), `${args.name}/end`) as tf.Variable<tf.Rank.R1>
  }

  get variables(): tf.Variable[] {
    return [this.transitions, this.start, this.end]
  }

  /**
   * Log-likelihood of the gold tags, per title: `[B]`. Differentiable w.r.t. emissions and the
   * CRF parameters. `tags[b][t]` for t < lengths[b].
   */
  logLikelihood(emissions: tf.Tensor3D, tags: readonly (ArrayLike<number>)[], lengths: readonly number[]): tf.Tensor1D {
    return tf.tidy(() => {
      const gold = this.goldIndex(emissions.shape, tags, lengths)
      const score = this.goldScore(emissions, gold, lengths)
      const logZ = this.logPartition(emissions, lengths)
      return tf.sub(score, logZ)
    })
  }

  private goldIndex(shape: number[], tags: readonly (ArrayLike<number>)[], lengths: readonly number[]): GoldIndex {
    const [B, L, T] = shape as [number, number, number]
    const n = lengths.reduce((a, b) => a + b, 0)
    const emit = new Int32Array(n)
    const trans = new Int32Array(Math.max(1, n - B))
    const transW = new Float32Array(Math.max(1, n - B))
    const start = new Int32Array(B)
    const end = new Int32Array(B)
    let k = 0
    let q = 0
    for (let b = 0; b < B; b++) {
      const y = tags[b]!
      const len = lengths[b]!
      for (let t = 0; t < len; t++) {
        emit[k++] = (b * L + t) * T + y[t]!
        if (t > 0) {
          trans[q] = y[t - 1]! * T + y[t]!
          transW[q++] = 1
        }
      }
      start[b] = y[0]!
      end[b] = y[len - 1]!
    }
    return {
      emit: tf.tensor1d(emit, 'int32'),
      trans: tf.tensor1d(trans, 'int32'),
      transW: tf.tensor1d(transW),
      start: tf.tensor1d(start, 'int32'),
      end: tf.tensor1d(end, 'int32'),
    }
  }

  /** Gold path score per title `[B]`. */
  private goldScore(emissions: tf.Tensor3D, g: GoldIndex, lengths: readonly number[]): tf.Tensor1D {
    const e = tf.gather(tf.reshape(emissions, [-1]), g.emit) as tf.Tensor1D // [n]
    const tr = tf.mul(tf.gather(tf.reshape(this.transitions, [-1]), g.trans), g.transW) as tf.Tensor1D // [n-B]
    const eSum = segSum(e, lengths)
    const trSum = segSum(tr, lengths.map((n) => n - 1))
    return tf.add(tf.add(eSum, trSum), tf.add(tf.gather(this.start, g.start), tf.gather(this.end, g.end)))
  }

  /** log Z per title `[B]` with the forward–backward gradient. */
  logPartition(emissions: tf.Tensor3D, lengths: readonly number[]): tf.Tensor1D {
    const f = tf.customGrad((...args: unknown[]) => {
      const [em, trans, start, end] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D]
      const save = args[args.length - 1] as (t: tf.Tensor[]) => void
      const mask = maskFromLengths(lengths, em.shape[1])
      const fw = forward(em, trans, start, end, mask)
      save([em, trans, end, fw.logZ, fw.alphas, mask] as unknown as tf.Tensor[])
      return {
        value: fw.logZ,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [em2, trans2, end2, logZ, alphas, mask2] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor3D, tf.Tensor2D]
          return logPartitionGrads(dy as tf.Tensor1D, em2, trans2, end2, logZ, alphas, mask2)
        },
      }
    })
    return f(emissions, this.transitions, this.start, this.end) as tf.Tensor1D
  }

  /** Per-character marginals p(y_t = j | x): `[B, L, T]` (zeros at padding). */
  marginals(emissions: tf.Tensor3D, lengths: readonly number[]): tf.Tensor3D {
    return tf.tidy(() => {
      const mask = maskFromLengths(lengths, emissions.shape[1])
      const fw = forward(emissions, this.transitions, this.start, this.end, mask)
      const betas = backward(emissions, this.transitions, this.end, mask)
      return unaryMarginals(fw.alphas, betas, fw.logZ, mask)
    })
  }

  /** Best tag path per title (exact Viterbi on CPU arrays). */
  async decode(emissions: tf.Tensor3D, lengths: readonly number[]): Promise<number[][]> {
    const [B, L, T] = emissions.shape
    const [em, tr, st, en] = await Promise.all([emissions.data(), this.transitions.data(), this.start.data(), this.end.data()])
    const out: number[][] = []
    for (let b = 0; b < B; b++) {
      out.push(viterbi(em as Float32Array, b * L * T, lengths[b]!, T, tr as Float32Array, st as Float32Array, en as Float32Array))
    }
    return out
  }
}

/** Sum consecutive runs of `values` of the given lengths: `[B]` (a [B, n] 0/1 matmul). */
function segSum(values: tf.Tensor1D, lens: readonly number[]): tf.Tensor1D {
  const n = lens.reduce((a, b) => a + b, 0)
  if (n === 0) return tf.zeros([lens.length])
  const S = new Float32Array(lens.length * n)
  let k = 0
  lens.forEach((len, b) => {
    for (let i = 0; i < len; i++) S[b * n + k++] = 1
  })
  return tf.reshape(tf.matMul(tf.tensor2d(S, [lens.length, n]), tf.reshape(values, [n, 1])), [lens.length])
}

interface Forward {
  logZ: tf.Tensor1D
  /** [L, B, T] */
  alphas: tf.Tensor3D
}

function logMatExp(x: tf.Tensor2D, expMat: tf.Tensor2D, shift: tf.Scalar): tf.Tensor2D {
  const m = tf.max(x, 1, true)
  const p = tf.matMul(tf.exp(tf.sub(x, m)), expMat)
  return tf.add(tf.add(tf.log(tf.maximum(p, 1e-30)), m), shift)
}

function forward(em: tf.Tensor3D, trans: tf.Tensor2D, start: tf.Tensor1D, end: tf.Tensor1D, mask: tf.Tensor2D): Forward {
  return tf.tidy(() => {
    const L = em.shape[1]
    const emT = splitSteps(tf.transpose(em, [1, 0, 2]) as tf.Tensor3D)
    const maskT = splitSteps(tf.expandDims(tf.transpose(mask), 2) as tf.Tensor3D)
    const c = tf.max(trans) as tf.Scalar
    const E = tf.exp(tf.sub(trans, c)) as tf.Tensor2D
    let alpha = tf.add(emT[0]!, start) as tf.Tensor2D
    const alphas: tf.Tensor2D[] = [alpha]
    for (let t = 1; t < L; t++) {
      const nxt = tf.add(logMatExp(alpha, E, c), emT[t]!)
      alpha = tf.add(alpha, tf.mul(maskT[t]!, tf.sub(nxt, alpha))) as tf.Tensor2D
      alphas.push(alpha)
    }
    const last = tf.add(alpha, end)
    const logZ = tf.logSumExp(last, 1) as tf.Tensor1D
    return { logZ, alphas: tf.stack(alphas) as tf.Tensor3D }
  })
}

/** betas [L, B, T]: log-sum of path scores from t (excluded emit) to the end. */
function backward(em: tf.Tensor3D, trans: tf.Tensor2D, end: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, L, T] = em.shape
    const emT = splitSteps(tf.transpose(em, [1, 0, 2]) as tf.Tensor3D)
    const maskT = splitSteps(tf.expandDims(tf.transpose(mask), 2) as tf.Tensor3D)
    const c = tf.max(trans) as tf.Scalar
    const Et = tf.transpose(tf.exp(tf.sub(trans, c))) as tf.Tensor2D
    let beta = tf.tile(tf.reshape(end, [1, T]), [B, 1]) as tf.Tensor2D
    const betas: tf.Tensor2D[] = new Array(L)
    betas[L - 1] = beta
    for (let t = L - 1; t >= 1; t--) {
      const nb = logMatExp(tf.add(emT[t]!, beta) as tf.Tensor2D, Et, c)
      beta = tf.add(beta, tf.mul(maskT[t]!, tf.sub(nb, beta))) as tf.Tensor2D
      betas[t - 1] = beta
    }
    return tf.stack(betas) as tf.Tensor3D
  })
}

function unaryMarginals(alphas: tf.Tensor3D, betas: tf.Tensor3D, logZ: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const lz = tf.reshape(logZ, [1, -1, 1])
    const p = tf.exp(tf.sub(tf.add(alphas, betas), lz)) // [L,B,T]
    const m = tf.expandDims(tf.transpose(mask), 2) // [L,B,1]
    return tf.transpose(tf.mul(p, m), [1, 0, 2]) as tf.Tensor3D
  })
}

function logPartitionGrads(
  dy: tf.Tensor1D,
  em: tf.Tensor3D,
  trans: tf.Tensor2D,
  end: tf.Tensor1D,
  logZ: tf.Tensor1D,
  alphas: tf.Tensor3D,
  mask: tf.Tensor2D,
): tf.Tensor[] {
  return tf.tidy(() => {
    const [B, L, T] = em.shape
    const betas = backward(em, trans, end, mask)
    const dyB = tf.reshape(dy, [1, B, 1])
    const pLBT = tf.mul(tf.transpose(unaryMarginals(alphas, betas, logZ, mask), [1, 0, 2]), dyB) // [L,B,T]
    const dEm = tf.transpose(pLBT, [1, 0, 2])
    const dStart = tf.sum(tf.gather(pLBT, 0), 0)
    // last valid position of each title: mask_t − mask_{t+1}
    const maskLB = tf.transpose(mask) // [L,B]
    const nextMask = tf.concat([tf.slice(maskLB, [1, 0], [L - 1, B]), tf.zeros([1, B])], 0)
    const lastW = tf.expandDims(tf.sub(maskLB, nextMask), 2)
    const dEnd = tf.sum(tf.mul(pLBT, lastW), [0, 1])
    let dTrans: tf.Tensor2D
    if (L > 1) {
      const c = tf.max(trans)
      const a = tf.reshape(tf.slice(alphas, [0, 0, 0], [L - 1, B, T]), [(L - 1) * B, T])
      const ma = tf.max(a, 1, true)
      const A = tf.exp(tf.sub(a, ma))
      const emLBT = tf.transpose(em, [1, 0, 2])
      const eb = tf.reshape(tf.add(tf.slice(emLBT, [1, 0, 0], [L - 1, B, T]), tf.slice(betas, [1, 0, 0], [L - 1, B, T])), [(L - 1) * B, T])
      const lzRows = tf.reshape(tf.tile(tf.reshape(logZ, [1, B]), [L - 1, 1]), [(L - 1) * B, 1])
      const wRows = tf.reshape(tf.mul(tf.slice(maskLB, [1, 0], [L - 1, B]), tf.reshape(dy, [1, B])), [(L - 1) * B, 1])
      const Bm = tf.mul(tf.exp(tf.add(tf.sub(eb, lzRows), tf.add(ma, c))), wRows)
      const counts = tf.matMul(tf.transpose(A), Bm) // [T,T]
      dTrans = tf.mul(counts, tf.exp(tf.sub(trans, c)))
    } else {
      dTrans = tf.zerosLike(trans)
    }
    return [dEm, dTrans, dStart, dEnd]
  })
}

/**
 * Exact Viterbi for one title. For each next tag j the previous tags are visited in decreasing
 * delta order and the scan stops once delta[i] + max_i' trans[i', j] cannot beat the best found.
 */
export function viterbi(
  em: Float32Array,
  offset: number,
  len: number,
  T: number,
  trans: Float32Array,
  start: Float32Array,
  end: Float32Array,
): number[] {
  // per target column: the largest transition into it (the pruning bound)
  const colMax = new Float64Array(T).fill(-Infinity)
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) if (trans[i * T + j]! > colMax[j]!) colMax[j] = trans[i * T + j]!
  let delta = new Float64Array(T)
  let next = new Float64Array(T)
  for (let j = 0; j < T; j++) delta[j] = start[j]! + em[offset + j]!
  const back = new Int32Array(len * T)
  const order = new Int32Array(T)
  for (let t = 1; t < len; t++) {
    for (let i = 0; i < T; i++) order[i] = i
    const d = delta
    order.sort((x, y) => d[y]! - d[x]!)
    const base = offset + t * T
    for (let j = 0; j < T; j++) {
      let best = -Infinity
      let arg = 0
      const cm = colMax[j]!
      for (let k = 0; k < T; k++) {
        const i = order[k]!
        const di = d[i]!
        if (di + cm <= best) break
        const s = di + trans[i * T + j]!
        if (s > best) {
          best = s
          arg = i
        }
      }
      next[j] = best + em[base + j]!
      back[t * T + j] = arg
    }
    const tmp = delta
    delta = next
    next = tmp
  }
  let best = -Infinity
  let arg = 0
  for (let j = 0; j < T; j++) {
    const s = delta[j]! + end[j]!
    if (s > best) {
      best = s
      arg = j
    }
  }
  const path = new Array<number>(len)
  path[len - 1] = arg
  for (let t = len - 1; t >= 1; t--) path[t - 1] = back[t * T + path[t]!]!
  return path
}
