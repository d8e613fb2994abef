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
  /**
   * Tag names, for `constraints`. With `constraints: 'BIO'` the transitions into `I-X` are allowed
   * only from `B-X` and `I-X`, and no title starts with `I-X` (AllenNLP's allowed transitions).
   * Besides ruling out ill-formed paths, it halves the CRF's cost at many types: only the `O`/`B-*`
   * columns need the [B,T]×[T,T/2] matmul, each `I-X` column is a 2-term logsumexp.
   * Default: no constraints (every transition allowed).
   */
  labels?: readonly string[]
  constraints?: 'BIO' | null
}

/** The BIO structure: dense columns (O, B-*) and the (B-X, I-X) pairs. */
export interface BioStructure {
  T: number
  dense: Int32Array
  B: Int32Array
  I: Int32Array
  /** position of each tag in concat([dense…, I…]) */
  inv: Int32Array
  /** for each row i: 0 = none, 1+k = B_k, 1+K+k = I_k (backward recursion's sparse terms) */
  rowMap: Int32Array
  /**
   * Set when B_k = b0 + k, I_k = i0 + k and the I block is last (i0 = T − K), as
   * `LabelVocab.forTypes` orders them: then every selection is a contiguous slice (wasm's gather
   * along axis 1 is slow).
   */
  contiguous: { b0: number; i0: number } | null
}

export function bioStructure(labels: readonly string[]): BioStructure {
  const T = labels.length
  const index = new Map(labels.map((l, i) => [l, i]))
  const B: number[] = []
  const I: number[] = []
  labels.forEach((l, i) => {
    if (l.startsWith('I-')) {
      const b = index.get('B-' + l.slice(2))
      if (b !== undefined) {
        B.push(b)
        I.push(i)
      }
    }
  })
  const sparse = new Set(I)
  const dense = labels.map((_, i) => i).filter((i) => !sparse.has(i))
  const inv = new Int32Array(T)
  dense.forEach((j, p) => (inv[j] = p))
  I.forEach((j, k) => (inv[j] = dense.length + k))
  const rowMap = new Int32Array(T)
  B.forEach((i, k) => (rowMap[i] = 1 + k))
  I.forEach((i, k) => (rowMap[i] = 1 + B.length + k))
  const K = B.length
  const b0 = B[0] ?? 0
  const i0 = T - K
  const contiguous = K > 0 && B.every((b, k) => b === b0 + k) && I.every((i, k) => i === i0 + k) && b0 + K <= i0 ? { b0, i0 } : null
  return { T, dense: Int32Array.from(dense), B: Int32Array.from(B), I: Int32Array.from(I), inv, rowMap, contiguous }
}

const NEG = -1e30

/** The transition-matrix products the recursions need (dense, or BIO-structured). */
interface TransOps {
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
}

function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const m = tf.maximum(a, b)
  return tf.add(m, tf.log(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m)))))
}

function denseOps(trans: tf.Tensor2D): TransOps {
  const c = tf.max(trans) as tf.Scalar
  const E = tf.exp(tf.sub(trans, c)) as tf.Tensor2D
  let Et: tf.Tensor2D | null = null
  return {
    c,
    fwd: (x) => logMatExp(x, E, c),
    bwd: (v) => logMatExp(v, (Et ??= tf.transpose(E)), c),
    counts: (A, Bm) => tf.mul(tf.matMul(tf.transpose(A), Bm), E) as tf.Tensor2D,
    startMask: null,
  }
}

function bioOps(trans: tf.Tensor2D, st: BioStructure): TransOps {
  const T = st.T
  const K = st.B.length
  const cont = st.contiguous
  const c = tf.max(trans) as tf.Scalar
  const E = tf.exp(tf.sub(trans, c)) as tf.Tensor2D
  const denseIdx = tf.tensor1d(st.dense, 'int32')
  const Bidx = tf.tensor1d(st.B, 'int32')
  const Iidx = tf.tensor1d(st.I, 'int32')
  const inv = tf.tensor1d(st.inv, 'int32')
  const rowMap = tf.tensor1d(st.rowMap, 'int32')
  const nD = st.dense.length
  // column selections: slices when the layout is contiguous, gathers otherwise
  const takeDense = (x: tf.Tensor2D): tf.Tensor2D => (cont ? tf.slice(x, [0, 0], [x.shape[0], nD]) : (tf.gather(x, denseIdx, 1) as tf.Tensor2D))
  const takeB = (x: tf.Tensor2D): tf.Tensor2D => (cont ? tf.slice(x, [0, cont.b0], [x.shape[0], K]) : (tf.gather(x, Bidx, 1) as tf.Tensor2D))
  const takeI = (x: tf.Tensor2D): tf.Tensor2D => (cont ? tf.slice(x, [0, cont.i0], [x.shape[0], K]) : (tf.gather(x, Iidx, 1) as tf.Tensor2D))
  /** [dense cols…, I cols…] → original order */
  const assemble = (d: tf.Tensor2D, i: tf.Tensor2D): tf.Tensor2D => {
    const cat = tf.concat([d, i], 1) as tf.Tensor2D
    return cont ? cat : (tf.gather(cat, inv, 1) as tf.Tensor2D)
  }
  const flat = tf.reshape(trans, [-1])
  const trBI = tf.gather(flat, tf.tensor1d(st.B.map((b, k) => b * T + st.I[k]!), 'int32'))
  const trII = tf.gather(flat, tf.tensor1d(st.I.map((i) => i * T + i), 'int32'))
  const ED = takeDense(E) // [T, |D|]
  let EDt: tf.Tensor2D | null = null
  const sm = new Float32Array(T)
  st.I.forEach((i) => (sm[i] = NEG))
  return {
    c,
    fwd: (x) => {
      const pD = logMatExp(x, ED, c)
      const pI = logAddExp(tf.add(takeB(x), trBI), tf.add(takeI(x), trII)) as tf.Tensor2D
      return assemble(pD, pI)
    },
    bwd: (v) => {
      const N = v.shape[0]
      const dense = logMatExp(takeDense(v), (EDt ??= tf.transpose(ED)), c) // [B,T]
      const vI = takeI(v)
      let extra: tf.Tensor
      if (cont) {
        const parts: tf.Tensor[] = []
        if (cont.b0 > 0) parts.push(tf.fill([N, cont.b0], NEG))
        parts.push(tf.add(vI, trBI))
        if (cont.i0 - cont.b0 - K > 0) parts.push(tf.fill([N, cont.i0 - cont.b0 - K], NEG))
        parts.push(tf.add(vI, trII))
        extra = tf.concat(parts, 1)
      } else {
        extra = tf.gather(tf.concat([tf.fill([N, 1], NEG), tf.add(vI, trBI), tf.add(vI, trII)], 1), rowMap, 1)
      }
      return logAddExp(dense, extra) as tf.Tensor2D
    },
    counts: (A, Bm) => {
      const cD = tf.mul(tf.matMul(tf.transpose(A), takeDense(Bm)), ED) as tf.Tensor2D // [T,|D|]
      const BmI = takeI(Bm)
      const cBI = tf.mul(tf.sum(tf.mul(takeB(A), BmI), 0), tf.exp(tf.sub(trBI, c)))
      const cII = tf.mul(tf.sum(tf.mul(takeI(A), BmI), 0), tf.exp(tf.sub(trII, c)))
      const idx = new Int32Array(4 * K)
      for (let k = 0; k < K; k++) {
        idx[2 * k] = st.B[k]!
        idx[2 * k + 1] = k
        idx[2 * K + 2 * k] = st.I[k]!
        idx[2 * K + 2 * k + 1] = k
      }
      const sparse = (K > 0 ? tf.scatterND(tf.tensor2d(idx, [2 * K, 2], 'int32'), tf.concat([cBI, cII]), [T, K]) : tf.zeros([T, 0])) as tf.Tensor2D
      return assemble(cD, sparse)
    },
    startMask: tf.tensor1d(sm),
  }
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
  readonly structure: BioStructure | null

  constructor(args: CrfArgs) {
    const T = (this.numTags = args.numTags)
    if (args.constraints === 'BIO') {
      if (!args.labels || args.labels.length !== T) throw new Error('CRF: BIO constraints need the labels')
      this.structure = bioStructure(args.labels)
    } else this.structure = null
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

  private ops(trans: tf.Tensor2D): TransOps {
    return this.structure ? bioOps(trans, this.structure) : denseOps(trans)
  }

  /** log Z per title `[B]` with the forward–backward gradient. */
  logPartition(emissions: tf.Tensor3D, lengths: readonly number[]): tf.Tensor1D {
    const f = tf.customGrad((...args: unknown[]) => {
      const [em, trans, start, end] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D]
      const save = args[args.length - 1] as (t: tf.Tensor[]) => void
      const mask = maskFromLengths(lengths, em.shape[1])
      const fw = forward(em, this.ops(trans), start, end, mask)
      save([em, trans, end, fw.logZ, fw.alphas, mask] as unknown as tf.Tensor[])
      return {
        value: fw.logZ,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [em2, trans2, end2, logZ, alphas, mask2] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor3D, tf.Tensor2D]
          return tf.tidy(() => logPartitionGrads(dy as tf.Tensor1D, em2, this.ops(trans2), end2, logZ, alphas, mask2))
        },
      }
    })
    return f(emissions, this.transitions, this.start, this.end) as tf.Tensor1D
  }

  /** Per-character marginals p(y_t = j | x): `[B, L, T]` (zeros at padding). */
  marginals(emissions: tf.Tensor3D, lengths: readonly number[]): tf.Tensor3D {
    return tf.tidy(() => {
      const mask = maskFromLengths(lengths, emissions.shape[1])
      const ops = this.ops(this.transitions)
      const fw = forward(emissions, ops, this.start, this.end, mask)
      const betas = backward(emissions, ops, this.end, mask)
      return unaryMarginals(fw.alphas, betas, fw.logZ, mask)
    })
  }

  /** Best tag path per title (exact Viterbi on CPU arrays). */
  async decode(emissions: tf.Tensor3D, lengths: readonly number[]): Promise<number[][]> {
    const [B, L, T] = emissions.shape
    const [em, tr0, st0, en] = await Promise.all([emissions.data(), this.transitions.data(), this.start.data(), this.end.data()])
    let tr = tr0 as Float32Array
    let st = st0 as Float32Array
    if (this.structure) {
      // forbidden transitions and first tags at −∞
      const s = this.structure
      tr = Float32Array.from(tr)
      st = Float32Array.from(st)
      const allowedFrom = new Map<number, number>()
      s.I.forEach((i, k) => allowedFrom.set(i, s.B[k]!))
      for (const [j, b] of allowedFrom) {
        for (let i = 0; i < T; i++) if (i !== j && i !== b) tr[i * T + j] = -Infinity
        st[j] = -Infinity
      }
    }
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

/** m ∈ {0,1} [B,1]: m ? a : b, as a·m + b·(1−m) (no a − b: scores of −1e30 would cancel). */
function select(m: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m))) as tf.Tensor2D
}

function logMatExp(x: tf.Tensor2D, expMat: tf.Tensor2D, shift: tf.Scalar): tf.Tensor2D {
  const m = tf.max(x, 1, true)
  const p = tf.matMul(tf.exp(tf.sub(x, m)), expMat)
  return tf.add(tf.add(tf.log(tf.maximum(p, 1e-30)), m), shift)
}

function forward(em: tf.Tensor3D, ops: TransOps, start: tf.Tensor1D, end: tf.Tensor1D, mask: tf.Tensor2D): Forward {
  return tf.tidy(() => {
    const L = em.shape[1]
    const emT = splitSteps(tf.transpose(em, [1, 0, 2]) as tf.Tensor3D)
    const maskT = splitSteps(tf.expandDims(tf.transpose(mask), 2) as tf.Tensor3D)
    let alpha = tf.add(emT[0]!, ops.startMask ? tf.add(start, ops.startMask) : start) as tf.Tensor2D
    const alphas: tf.Tensor2D[] = [alpha]
    for (let t = 1; t < L; t++) {
      const nxt = tf.add(ops.fwd(alpha), emT[t]!)
      alpha = select(maskT[t]!, nxt as tf.Tensor2D, alpha)
      alphas.push(alpha)
    }
    const last = tf.add(alpha, end)
    const logZ = tf.logSumExp(last, 1) as tf.Tensor1D
    return { logZ, alphas: tf.stack(alphas) as tf.Tensor3D }
  })
}

/** betas [L, B, T]: log-sum of path scores from t (excluded emit) to the end. */
function backward(em: tf.Tensor3D, ops: TransOps, end: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, L, T] = em.shape
    const emT = splitSteps(tf.transpose(em, [1, 0, 2]) as tf.Tensor3D)
    const maskT = splitSteps(tf.expandDims(tf.transpose(mask), 2) as tf.Tensor3D)
    let beta = tf.tile(tf.reshape(end, [1, T]), [B, 1]) as tf.Tensor2D
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
  ops: TransOps,
  end: tf.Tensor1D,
  logZ: tf.Tensor1D,
  alphas: tf.Tensor3D,
  mask: tf.Tensor2D,
): tf.Tensor[] {
  return tf.tidy(() => {
    const [B, L, T] = em.shape
    const betas = backward(em, ops, end, mask)
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
    const T2 = T
    if (L > 1) {
      const c = ops.c
      const a = tf.reshape(tf.slice(alphas, [0, 0, 0], [L - 1, B, T]), [(L - 1) * B, T])
      const ma = tf.max(a, 1, true)
      const A = tf.exp(tf.sub(a, ma))
      const emLBT = tf.transpose(em, [1, 0, 2])
      const eb = tf.reshape(tf.add(tf.slice(emLBT, [1, 0, 0], [L - 1, B, T]), tf.slice(betas, [1, 0, 0], [L - 1, B, T])), [(L - 1) * B, T])
      const lzRows = tf.reshape(tf.tile(tf.reshape(logZ, [1, B]), [L - 1, 1]), [(L - 1) * B, 1])
      const wRows = tf.reshape(tf.mul(tf.slice(maskLB, [1, 0], [L - 1, B]), tf.reshape(dy, [1, B])), [(L - 1) * B, 1])
      const Bm = tf.mul(tf.exp(tf.add(tf.sub(eb, lzRows), tf.add(ma, c))), wRows)
      dTrans = ops.counts(A as tf.Tensor2D, Bm as tf.Tensor2D) // [T,T]
    } else {
      dTrans = tf.zeros([T2, T2])
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
