/**
 * The CRF's recursions: the forward algorithm (log Z), the backward one, the marginals and the
 * gradient of log Z, for a batch of titles of different lengths (padding at the end).
 *
 * A path y of a title of n chars scores
 *   s(y) = start[y_0] + Σ_{t<n} e_t(y_t) + Σ_{1≤t<n} A[y_{t−1}, y_t] + end[y_{n−1}]
 * (e = emissions, A = transitions). In log space:
 *   forward   α_0(j) = start[j] + e_0(j),  α_t(j) = e_t(j) + log Σ_i exp(α_{t−1}(i) + A[i, j])
 *             log Z = log Σ_j exp(α_{n−1}(j) + end[j])
 *   backward  β_{n−1}(j) = end[j],  β_{t−1}(i) = log Σ_j exp(A[i, j] + e_t(j) + β_t(j))
 * The gradient of log Z is not autodiffed through the recursion: it is the marginals
 * (forward–backward), each scaled by the upstream dy of its title:
 *   ∂ log Z / ∂ e_t(j)    = p(y_t = j)          = exp(α_t(j) + β_t(j) − log Z)
 *   ∂ log Z / ∂ start[j]  = p(y_0 = j)
 *   ∂ log Z / ∂ end[j]    = p(y_{n−1} = j)
 *   ∂ log Z / ∂ A[i, j]   = Σ_{1≤t<n} p(y_{t−1} = i, y_t = j)
 *                         = Σ_t exp(α_{t−1}(i) + A[i, j] + e_t(j) + β_t(j) − log Z)
 * The last sum is one [T, B·L]×[B·L, T] matmul of exp-shifted α's and (e + β)'s, times exp(A − c)
 * (`TransOps.counts`). A log-likelihood's gradient is then gold indicator − marginal.
 * Each step's log Σ exp over the previous tags is `TransOps.fwd` / `bwd` (transitions.ts).
 */
import * as tf from '@tensorflow/tfjs'
import { splitSteps } from '../bilstm'
import type { TransOps } from './transitions'

/** 1 at each title's valid positions, 0 at padding: `[B, L]`. */
export function maskFromLengths(lengths: readonly number[], L: number): tf.Tensor2D {
  const m = new Float32Array(lengths.length * L)
  lengths.forEach((n, b) => m.fill(1, b * L, b * L + Math.min(n, L)))
  return tf.tensor2d(m, [lengths.length, L])
}

interface Forward {
  logZ: tf.Tensor1D
  /** [L, B, T] */
  alphas: tf.Tensor3D
}

/** m ∈ {0,1} [B,1]: m ? a : b, as a·m + b·(1−m) (no a − b: scores of −1e30 would cancel). */
function select(m: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m))) as tf.Tensor2D
}

/** Alphas and log Z; `emLBT` = emissions time-major, `[L, B, T]`. */
export function forward(emLBT: tf.Tensor3D, ops: TransOps, start: tf.Tensor1D, end: tf.Tensor1D, mask: tf.Tensor2D): Forward {
  return tf.tidy(() => {
    const L = emLBT.shape[0]
    const emT = splitSteps(emLBT)
    const maskT = splitSteps(tf.expandDims(tf.transpose(mask), 2) as tf.Tensor3D)
    let alpha = tf.add(emT[0]!, ops.startMask ? tf.add(start, ops.startMask) : start) as tf.Tensor2D
    const alphas: tf.Tensor2D[] = [alpha]
    for (let t = 1; t < L; t++) {
      const nxt = tf.add(ops.fwd(alpha), emT[t]!)
      alpha = select(maskT[t]!, nxt as tf.Tensor2D, alpha)
      alphas.push(alpha)
    }
    const last = tf.add(alpha, ops.endMask ? tf.add(end, ops.endMask) : end)
    const logZ = tf.logSumExp(last, 1) as tf.Tensor1D
    return { logZ, alphas: tf.stack(alphas) as tf.Tensor3D }
  })
}

/** betas [L, B, T]: log-sum of path scores from t (excluded emit) to the end; `emLBT` as in `forward`. */
export function backward(emLBT: tf.Tensor3D, ops: TransOps, end: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [L, B, T] = emLBT.shape
    const emT = splitSteps(emLBT)
    const maskT = splitSteps(tf.expandDims(tf.transpose(mask), 2) as tf.Tensor3D)
    let beta = tf.tile(tf.reshape(ops.endMask ? tf.add(end, ops.endMask) : end, [1, T]), [B, 1]) as tf.Tensor2D
    const betas: tf.Tensor2D[] = new Array(L)
    betas[L - 1] = beta
    for (let t = L - 1; t >= 1; t--) {
      const nb = ops.bwd(tf.add(emT[t]!, beta) as tf.Tensor2D)
      beta = select(maskT[t]!, nb, beta)
      betas[t - 1] = beta
    }
    return tf.stack(betas) as tf.Tensor3D
  })
}

/** Marginals time-major, `[L, B, T]` (zeros at padding). */
export function unaryMarginals(alphas: tf.Tensor3D, betas: tf.Tensor3D, logZ: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const lz = tf.reshape(logZ, [1, -1, 1])
    const p = tf.exp(tf.sub(tf.add(alphas, betas), lz)) // [L,B,T]
    const m = tf.expandDims(tf.transpose(mask), 2) // [L,B,1]
    return tf.mul(p, m) as tf.Tensor3D
  })
}

/** d(log Z · dy) w.r.t. [emissions, transitions, start, end] (the formulas above). */
export function logPartitionGrads(
  dy: tf.Tensor1D,
  emLBT: tf.Tensor3D,
  ops: TransOps,
  end: tf.Tensor1D,
  logZ: tf.Tensor1D,
  alphas: tf.Tensor3D,
  mask: tf.Tensor2D,
): tf.Tensor[] {
  return tf.tidy(() => {
    const [L, B, T] = emLBT.shape
    const betas = backward(emLBT, ops, end, mask)
    const dyB = tf.reshape(dy, [1, B, 1])
    const pLBT = tf.mul(unaryMarginals(alphas, betas, logZ, mask), dyB) // [L,B,T]
    const dEm = tf.transpose(pLBT, [1, 0, 2])
    const dStart = tf.sum(tf.gather(pLBT, 0), 0)
    // last valid position of each title: mask_t − mask_{t+1}
    const maskLB = tf.transpose(mask) // [L,B]
    const nextMask = tf.concat([tf.slice(maskLB, [1, 0], [L - 1, B]), tf.zeros([1, B])], 0)
    const lastW = tf.expandDims(tf.sub(maskLB, nextMask), 2)
    const dEnd = tf.sum(tf.mul(pLBT, lastW), [0, 1])
    let dTrans: tf.Tensor2D
    if (L > 1) {
      const c = ops.c
      const a = tf.reshape(tf.slice(alphas, [0, 0, 0], [L - 1, B, T]), [(L - 1) * B, T])
      const ma = tf.max(a, 1, true)
      const A = tf.exp(tf.sub(a, ma))
      const eb = tf.reshape(tf.add(tf.slice(emLBT, [1, 0, 0], [L - 1, B, T]), tf.slice(betas, [1, 0, 0], [L - 1, B, T])), [(L - 1) * B, T])
      const lzRows = tf.reshape(tf.tile(tf.reshape(logZ, [1, B]), [L - 1, 1]), [(L - 1) * B, 1])
      const wRows = tf.reshape(tf.mul(tf.slice(maskLB, [1, 0], [L - 1, B]), tf.reshape(dy, [1, B])), [(L - 1) * B, 1])
      const Bm = tf.mul(tf.exp(tf.add(tf.sub(eb, lzRows), tf.add(ma, c))), wRows)
      dTrans = ops.counts(A as tf.Tensor2D, Bm as tf.Tensor2D) // [T,T]
    } else {
      dTrans = tf.zeros([T, T])
    }
    return [dEm, dTrans, dStart, dEnd]
  })
}
