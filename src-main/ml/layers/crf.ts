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
 * one [T, B·L]×[B·L, T] matmul for the transition counts), via `tf.customGrad`. Viterbi is the
 * typed-array kernel in kernels/viterbi.ts (exact, pruned).
 */
import * as tf from '@tensorflow/tfjs'
import { makeRng } from '../train/rng'
import { makeVariable } from './init'
import { splitSteps } from './bilstm'
import { splitTag } from '../tagging'
import { bestPath, viterbiBatch, viterbiPlan } from '../kernels/viterbi'

export interface CrfArgs {
  /** Number of tags T. */
  numTags: number
  /** Variable name prefix (tfjs variable names are global and must be unique). */
  name: string
  /** Seed of the uniform(-0.1, 0.1) initialisation (pytorch-crf's). Default 1. */
  seed?: number
  /**
   * Tag names, for `constraints` (typed `B-X` or type-free `B`, as the cascade's boundary tags;
   * a type-free family is one more type, `''`). Forbidden transitions, first and last tags get
   * probability 0 (AllenNLP's allowed transitions):
   * - `'BIO'`: `I-X` only after `B-X` or `I-X`, never first.
   * - `'BIOES'`: `I-X` and `E-X` only after `B-X` or `I-X`; `O`, `B-*`, `S-*` only after `O`,
   *   `E-*`, `S-*` (or first); never first `I-*`/`E-*`, never last `B-*`/`I-*`. Every type needs all
   *   of `B-X`, `I-X`, `E-X`, `S-X`.
   * Besides ruling out ill-formed paths, it halves the CRF's cost at many types: only the
   * `O`/`B-*`(/`S-*`) columns need the [B,T]×[T,·] matmul, each `I-X` (`E-X`) column is a 2-term
   * logsumexp. Default: no constraints (every transition allowed).
   */
  labels?: readonly string[]
  constraints?: 'BIO' | 'BIOES' | null
}

/**
 * The constrained CRF's structure. Columns (next tags) are `dense` (O, B-*, and S-* for BIOES: many
 * predecessors, one matmul) or `sparse` (I-*, and E-* for BIOES: exactly two predecessors,
 * `from1` = B-X and `from2` = I-X of the column's type).
 */
export interface CrfStructure {
  T: number
  scheme: 'BIO' | 'BIOES'
  dense: Int32Array
  sparse: Int32Array
  from1: Int32Array
  from2: Int32Array
  /** position of each tag in concat([dense…, sparse…]) */
  inv: Int32Array
  /** allowed[i·T + j]: may tag j follow tag i */
  allowed: Uint8Array
  startAllowed: Uint8Array
  endAllowed: Uint8Array
  /** BIOES: rows with no dense successor (B-*, I-*): their dense terms are −∞. Null for BIO (none). */
  sparseOnlyRows: Int32Array | null
}

/**
 * Structure of BIO or BIOES tags. BIO: an `I-X` without `B-X` is left unconstrained (dense, may
 * start). BIOES: tags with an unknown prefix behave as `O`; a type lacking one of B/I/E/S throws.
 */
export function crfStructure(labels: readonly string[], scheme: 'BIO' | 'BIOES'): CrfStructure {
  const T = labels.length
  const parsed = labels.map(splitTag)
  const index = new Map(labels.map((l, i) => [l, i]))
  const member = (prefix: string, type: string): number | undefined => index.get(type ? `${prefix}-${type}` : prefix)
  // per tag: its type family's B and I, when the tag is constrained (kind 'in': I/E; 'open': B/I (BIOES))
  const famB = new Int32Array(T).fill(-1)
  const famI = new Int32Array(T).fill(-1)
  const sparseCol = new Uint8Array(T)
  const sparseOnlyRow = new Uint8Array(T)
  parsed.forEach(({ prefix, type }, i) => {
    if (labels[i] === 'O') return
    if (scheme === 'BIO') {
      const b = member('B', type)
      if (prefix === 'I' && b !== undefined) {
        famB[i] = b
        famI[i] = i
        sparseCol[i] = 1
      }
      return
    }
    if (!['B', 'I', 'E', 'S'].includes(prefix)) return
    const fam = ['B', 'I', 'E', 'S'].map((p) => member(p, type))
    const lacking = ['B', 'I', 'E', 'S'].filter((_, k) => fam[k] === undefined)
    if (lacking.length) {
      throw new Error(`CRF: BIOES constraints need B, I, E and S tags of every type; ${JSON.stringify(labels[i])} has no ${lacking.map((p) => (type ? `${p}-${type}` : p)).join(', ')}`)
    }
    famB[i] = fam[0]!
    famI[i] = fam[1]!
    if (prefix === 'I' || prefix === 'E') sparseCol[i] = 1
    if (prefix === 'B' || prefix === 'I') sparseOnlyRow[i] = 1
  })
  const allowed = new Uint8Array(T * T)
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      allowed[i * T + j] = sparseCol[j] ? Number(i === famB[j] || i === famI[j]) : Number(!sparseOnlyRow[i])
    }
  }
  const startAllowed = Uint8Array.from(sparseCol, (s) => 1 - s)
  const endAllowed = Uint8Array.from(sparseOnlyRow, (s) => 1 - s)
  const sparse = labels.map((_, i) => i).filter((i) => sparseCol[i])
  const dense = labels.map((_, i) => i).filter((i) => !sparseCol[i])
  const inv = new Int32Array(T)
  dense.forEach((j, p) => (inv[j] = p))
  sparse.forEach((j, k) => (inv[j] = dense.length + k))
  const rows = labels.map((_, i) => i).filter((i) => sparseOnlyRow[i])
  return {
    T,
    scheme,
    dense: Int32Array.from(dense),
    sparse: Int32Array.from(sparse),
    from1: Int32Array.from(sparse, (j) => famB[j]!),
    from2: Int32Array.from(sparse, (j) => famI[j]!),
    inv,
    allowed,
    startAllowed,
    endAllowed,
    sparseOnlyRows: rows.length ? Int32Array.from(rows) : null,
  }
}

const NEG = -1e30

/** The transition-matrix products the recursions need (dense, or BIO/BIOES-structured). */
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
  /** added to end scores (NEG on forbidden last tags), or null */
  endMask: tf.Tensor1D | null
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

function structuredOps(trans: tf.Tensor2D, st: CrfStructure): TransOps {
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

/** Per-batch index arrays for the gold path score (built on the JS side). */
interface GoldIndex {
  emit: tf.Tensor1D
  trans: tf.Tensor1D
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
  /** Null when unconstrained, or when the constraints leave every transition allowed (no types). */
  readonly structure: CrfStructure | null

  constructor(args: CrfArgs) {
    const T = (this.numTags = args.numTags)
    if (args.constraints) {
      if (!args.labels || args.labels.length !== T) throw new Error(`CRF: ${args.constraints} constraints need the labels`)
      const s = crfStructure(args.labels, args.constraints)
      this.structure = s.sparse.length ? s : null
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
    // length ≥ 1 for tf.gather; when every title has one char, segSum ignores the dummy entry
    const trans = new Int32Array(Math.max(1, n - B))
    const start = new Int32Array(B)
    const end = new Int32Array(B)
    let k = 0
    let q = 0
    for (let b = 0; b < B; b++) {
      const y = tags[b]!
      const len = lengths[b]!
      for (let t = 0; t < len; t++) {
        emit[k++] = (b * L + t) * T + y[t]!
        if (t > 0) trans[q++] = y[t - 1]! * T + y[t]!
      }
      start[b] = y[0]!
      end[b] = y[len - 1]!
    }
    return {
      emit: tf.tensor1d(emit, 'int32'),
      trans: tf.tensor1d(trans, 'int32'),
      start: tf.tensor1d(start, 'int32'),
      end: tf.tensor1d(end, 'int32'),
    }
  }

  /** Gold path score per title `[B]`. */
  private goldScore(emissions: tf.Tensor3D, g: GoldIndex, lengths: readonly number[]): tf.Tensor1D {
    const e = tf.gather(tf.reshape(emissions, [-1]), g.emit) as tf.Tensor1D // [n]
    const tr = tf.gather(tf.reshape(this.transitions, [-1]), g.trans) as tf.Tensor1D // [n-B]
    const eSum = segSum(e, lengths)
    const trSum = segSum(tr, lengths.map((n) => n - 1))
    return tf.add(tf.add(eSum, trSum), tf.add(tf.gather(this.start, g.start), tf.gather(this.end, g.end)))
  }

  private ops(trans: tf.Tensor2D): TransOps {
    return this.structure ? structuredOps(trans, this.structure) : denseOps(trans)
  }

  /** log Z per title `[B]` with the forward–backward gradient. */
  logPartition(emissions: tf.Tensor3D, lengths: readonly number[]): tf.Tensor1D {
    const f = tf.customGrad((...args: unknown[]) => {
      const [em, trans, start, end] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D]
      const save = args[args.length - 1] as (t: tf.Tensor[]) => void
      const mask = maskFromLengths(lengths, em.shape[1])
      // time-major once, for the forward recursion and (saved) for the gradient's
      const emLBT = tf.transpose(em, [1, 0, 2]) as tf.Tensor3D
      const fw = forward(emLBT, this.ops(trans), start, end, mask)
      save([emLBT, trans, end, fw.logZ, fw.alphas, mask] as unknown as tf.Tensor[])
      return {
        value: fw.logZ,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [emLBT2, trans2, end2, logZ, alphas, mask2] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor3D, tf.Tensor2D]
          return tf.tidy(() => logPartitionGrads(dy as tf.Tensor1D, emLBT2, this.ops(trans2), end2, logZ, alphas, mask2))
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
      const emLBT = tf.transpose(emissions, [1, 0, 2]) as tf.Tensor3D
      const fw = forward(emLBT, ops, this.start, this.end, mask)
      const betas = backward(emLBT, ops, this.end, mask)
      return tf.transpose(unaryMarginals(fw.alphas, betas, fw.logZ, mask), [1, 0, 2]) as tf.Tensor3D
    })
  }

  /** Best tag path per title (exact Viterbi: the typed-array kernel, kernels/viterbi.ts). */
  async decode(emissions: tf.Tensor3D, lengths: readonly number[]): Promise<number[][]> {
    const [B, L, T] = emissions.shape
    const [em, tr0, st0, en0] = await Promise.all([emissions.data(), this.transitions.data(), this.start.data(), this.end.data()])
    let tr = tr0 as Float32Array
    let st = st0 as Float32Array
    let en = en0 as Float32Array
    if (this.structure) {
      // forbidden transitions, first and last tags at −∞
      const s = this.structure
      tr = Float32Array.from(tr, (v, k) => (s.allowed[k] ? v : -Infinity))
      st = Float32Array.from(st, (v, j) => (s.startAllowed[j] ? v : -Infinity))
      en = Float32Array.from(en, (v, j) => (s.endAllowed[j] ? v : -Infinity))
    }
    return viterbiBatch(viterbiPlan(tr, st, en, T), em as Float32Array, B, L, lengths)
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

/** Alphas and log Z; `emLBT` = emissions time-major, `[L, B, T]`. */
function forward(emLBT: tf.Tensor3D, ops: TransOps, start: tf.Tensor1D, end: tf.Tensor1D, mask: tf.Tensor2D): Forward {
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
function backward(emLBT: tf.Tensor3D, ops: TransOps, end: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor3D {
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
function unaryMarginals(alphas: tf.Tensor3D, betas: tf.Tensor3D, logZ: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const lz = tf.reshape(logZ, [1, -1, 1])
    const p = tf.exp(tf.sub(tf.add(alphas, betas), lz)) // [L,B,T]
    const m = tf.expandDims(tf.transpose(mask), 2) // [L,B,1]
    return tf.mul(p, m) as tf.Tensor3D
  })
}

function logPartitionGrads(
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

/** Per target column j of `trans` [T, T]: the largest transition into it (Viterbi's pruning bound). */
function columnMax(trans: Float32Array, T: number): Float64Array {
  const colMax = new Float64Array(T).fill(-Infinity)
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) if (trans[i * T + j]! > colMax[j]!) colMax[j] = trans[i * T + j]!
  return colMax
}

/**
 * Exact Viterbi for one title, the plain pruned scan: kernels/viterbi.ts's reference in its tests
 * and benchmark (decode uses the kernel). For each next tag j the previous tags are visited in decreasing
 * delta order and the scan stops once delta[i] + max_i' trans[i', j] (`colMax`, the same for every
 * title of a batch) cannot beat the best found.
 */
export function viterbi(
  em: Float32Array,
  offset: number,
  len: number,
  T: number,
  trans: Float32Array,
  start: Float32Array,
  end: Float32Array,
  colMax: Float64Array = columnMax(trans, T),
): number[] {
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
  return bestPath(delta, end, back, T, len)
}
