/**
 * The transition products the CRF recursions need, dense or BIO/BIOES-structured: one step of the
 * forward (`fwd`) and backward (`bwd`) recursion in log space, and the expected transition counts
 * of the gradient (`counts`). Dense: one exp-space matmul with max shifts,
 *   log Σ_i exp(x_i + trans[i, j]) = log(exp(x − m) @ exp(trans − c)) + m + c
 * ([B,T]×[T,T], never a [B,T,T] broadcast). Structured (constraints.ts): the matmul only for the
 * dense columns, a 2-term logsumexp for each sparse one.
 */
import * as tf from '@tensorflow/tfjs'
import type { CrfStructure } from './constraints'

/** Score of a forbidden transition / first / last tag inside the recursions (finite: no NaN). */
const NEG = -1e30

/** The transition-matrix products the recursions need (dense, or BIO/BIOES-structured). */
export interface TransOps {
  /** shift c = max(trans) used inside exp(trans − c) */
  c: tf.Scalar
  /** [B,T] → log Σ_i exp(x_i + trans[i, j]) */
  fwd(x: tf.Tensor2D): tf.Tensor2D
  /** [B,T] → log Σ_j exp(trans[i, j] + v_j) */
  bwd(v: tf.Tensor2D): tf.Tensor2D
  /** Σ_n A[n,i] Bm[n,j] · exp(trans[i,j] − c) over allowed (i, j): [T,T] */
  counts(A: tf.Tensor2D, Bm: tf.Tensor2D): tf.Tensor2D
  /** added to start scores (NEG on forbidden first tags), or null */
  startMask: tf.Tensor1D | null
  /** added to end scores (NEG on forbidden last tags), or null */
  endMask: tf.Tensor1D | null
}

function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const m = tf.maximum(a, b)
  return tf.add(m, tf.log(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m)))))
}

function logMatExp(x: tf.Tensor2D, expMat: tf.Tensor2D, shift: tf.Scalar): tf.Tensor2D {
  const m = tf.max(x, 1, true)
  const p = tf.matMul(tf.exp(tf.sub(x, m)), expMat)
  // + 1e-30, not max(p, 1e-30): the same for any p that matters, and wasm's Maximum is ~50× slower than Add
  return tf.add(tf.add(tf.log(tf.add(p, 1e-30)), m), shift)
}

export function denseOps(trans: tf.Tensor2D): TransOps {
  const c = tf.max(trans) as tf.Scalar
  const E = tf.exp(tf.sub(trans, c)) as tf.Tensor2D
  let Et: tf.Tensor2D | null = null
  return {
    c,
    fwd: (x) => logMatExp(x, E, c),
    bwd: (v) => logMatExp(v, (Et ??= tf.transpose(E)), c),
    counts: (A, Bm) => tf.mul(tf.matMul(tf.transpose(A), Bm), E) as tf.Tensor2D,
    startMask: null,
    endMask: null,
  }
}

/** Most slices a column selection is assembled from before it becomes a gather. */
const MAX_RUNS = 8

/**
 * `x[:, idx]` for `[N, W]` tensors, `-1` = a NEG column. When `idx` is a few runs of consecutive
 * columns — as `LabelVocab.forTypes` orders tags (O, B-*, I-*, E-*, S-*) — it is slices (and
 * fills) concatenated, or `x` itself for the identity; otherwise a gather (slow along axis 1 on
 * wasm).
 */
function columnTake(idx: Int32Array, W: number): (x: tf.Tensor2D) => tf.Tensor2D {
  const n = idx.length
  if (n === 0) return (x) => tf.zeros([x.shape[0], 0]) as tf.Tensor2D
  const runs: { start: number; len: number }[] = []
  for (let p = 0; p < n; p++) {
    const last = runs[runs.length - 1]
    const i = idx[p]!
    if (last && ((i < 0 && last.start < 0) || (i >= 0 && last.start >= 0 && i === last.start + last.len))) last.len++
    else runs.push({ start: i < 0 ? -1 : i, len: 1 })
  }
  if (n === W && runs.length === 1 && runs[0]!.start === 0) return (x) => x
  if (runs.length <= MAX_RUNS) {
    return (x) => {
      const N = x.shape[0]
      const parts = runs.map((r) => (r.start < 0 ? tf.fill([N, r.len], NEG) : tf.slice(x, [0, r.start], [N, r.len])) as tf.Tensor2D)
      return parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as tf.Tensor2D)
    }
  }
  const hasFill = idx.some((i) => i < 0)
  const g = tf.tensor1d(Int32Array.from(idx, (i) => (i < 0 ? W : i)), 'int32')
  return (x) => (tf.gather(hasFill ? tf.concat([x, tf.fill([x.shape[0], 1], NEG)], 1) : x, g, 1) as tf.Tensor2D)
}

function maskVector(allowedFlags: Uint8Array): tf.Tensor1D | null {
  if (allowedFlags.every((a) => a === 1)) return null
  return tf.tensor1d(Float32Array.from(allowedFlags, (a) => (a ? 0 : NEG)))
}

export function structuredOps(trans: tf.Tensor2D, st: CrfStructure): TransOps {
  const T = st.T
  const nD = st.dense.length
  const nS = st.sparse.length
  const c = tf.max(trans) as tf.Scalar
  const E = tf.exp(tf.sub(trans, c)) as tf.Tensor2D
  const takeDense = columnTake(st.dense, T)
  const takeSparse = columnTake(st.sparse, T)
  const take1 = columnTake(st.from1, T)
  const take2 = columnTake(st.from2, T)
  /** [dense cols…, sparse cols…] → original order */
  const assemble = columnTake(st.inv, nD + nS)
  const flat = tf.reshape(trans, [-1])
  const tr1 = tf.gather(flat, tf.tensor1d(st.from1.map((i, k) => i * T + st.sparse[k]!), 'int32')) // [nS]
  const tr2 = tf.gather(flat, tf.tensor1d(st.from2.map((i, k) => i * T + st.sparse[k]!), 'int32'))
  const ED = takeDense(E) // [T, |D|]
  let EDt: tf.Tensor2D | null = null
  // BIOES: B-*/I-* rows have no dense successor: NEG on their dense terms, zero in the counts
  let rowNeg: tf.Tensor2D | null = null
  let EDcounts = ED
  if (st.sparseOnlyRows) {
    const neg = new Float32Array(T)
    const keep = new Float32Array(T).fill(1)
    for (const i of st.sparseOnlyRows) {
      neg[i] = NEG
      keep[i] = 0
    }
    rowNeg = tf.tensor2d(neg, [1, T])
    EDcounts = tf.mul(ED, tf.tensor2d(keep, [T, 1])) as tf.Tensor2D
  }
  // backward: row i's sparse terms, in concat([v_S + tr1, v_S + tr2]); one selection per term slot
  const terms: number[][] = Array.from({ length: T }, () => [])
  st.from1.forEach((i, k) => terms[i]!.push(k))
  st.from2.forEach((i, k) => terms[i]!.push(nS + k))
  const nSlots = Math.max(1, ...terms.map((t) => t.length))
  const slots = Array.from({ length: nSlots }, (_, s) => columnTake(Int32Array.from(terms, (t) => t[s] ?? -1), 2 * nS))
  const scatterIdx = new Int32Array(4 * nS)
  for (let k = 0; k < nS; k++) {
    scatterIdx[2 * k] = st.from1[k]!
    scatterIdx[2 * k + 1] = k
    scatterIdx[2 * nS + 2 * k] = st.from2[k]!
    scatterIdx[2 * nS + 2 * k + 1] = k
  }
  return {
    c,
    fwd: (x) => {
      // forbidden rows are masked in x (not only in the matmul) so the max shift is an allowed row's
      const pD = logMatExp(rowNeg ? (tf.add(x, rowNeg) as tf.Tensor2D) : x, ED, c)
      const pS = logAddExp(tf.add(take1(x), tr1), tf.add(take2(x), tr2)) as tf.Tensor2D
      return assemble(tf.concat([pD, pS], 1) as tf.Tensor2D)
    },
    bwd: (v) => {
      let dense = logMatExp(takeDense(v), (EDt ??= tf.transpose(ED)), c) // [B,T]
      if (rowNeg) dense = tf.add(dense, rowNeg) as tf.Tensor2D
      const vS = takeSparse(v)
      const cat = tf.concat([tf.add(vS, tr1), tf.add(vS, tr2)], 1) as tf.Tensor2D
      let extra: tf.Tensor = slots[0]!(cat)
      for (let s = 1; s < nSlots; s++) extra = logAddExp(extra, slots[s]!(cat))
      return logAddExp(dense, extra) as tf.Tensor2D
    },
    counts: (A, Bm) => {
      const cD = tf.mul(tf.matMul(tf.transpose(A), takeDense(Bm)), EDcounts) as tf.Tensor2D // [T,|D|]
      const BmS = takeSparse(Bm)
      const c1 = tf.mul(tf.sum(tf.mul(take1(A), BmS), 0), tf.exp(tf.sub(tr1, c)))
      const c2 = tf.mul(tf.sum(tf.mul(take2(A), BmS), 0), tf.exp(tf.sub(tr2, c)))
      const sparse = tf.scatterND(tf.tensor2d(scatterIdx, [2 * nS, 2], 'int32'), tf.concat([c1, c2]), [T, nS]) as tf.Tensor2D
      return assemble(tf.concat([cD, sparse], 1) as tf.Tensor2D)
    },
    startMask: maskVector(st.startAllowed),
    endMask: maskVector(st.endAllowed),
  }
}
