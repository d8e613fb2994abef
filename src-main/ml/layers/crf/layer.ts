/**
 * Batched, masked linear-chain CRF (any number of tags), after pytorch-crf's interface: the layer
 * (parameters, input checks, gold score, log-likelihood, marginals, decode). Its parts, one concern
 * a file: constraints.ts (BIO/BIOES structure), transitions.ts (the per-step transition products,
 * dense or structured), recursions.ts (forward algorithm, log Z and its gradient formula,
 * marginals), viterbi.ts (decode scores; the exact kernel is kernels/viterbi.ts), validate.ts.
 *
 * Shapes: B = batch, L = padded length, T = tags. Emissions are `[B, L, T]`; each title b has a
 * length `lengths[b] ≥ 1` and its valid positions are `0 … lengths[b]-1` (padding at the end).
 */
import * as tf from '@tensorflow/tfjs'
import { makeRng } from '../../train/rng'
import { makeVariable } from '../init'
import { viterbiBatch, viterbiPlan, type ViterbiPlan } from '../../kernels/viterbi'
import { crfStructure, type CrfStructure } from './constraints'
import { denseOps, structuredOps, type TransOps } from './transitions'
import { backward, forward, logPartitionGrads, maskFromLengths, unaryMarginals } from './recursions'
import { decodeScores } from './viterbi'
import { checkEmissions, checkTags } from './validate'

interface CrfArgs {
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

/** Per-batch index arrays for the gold path score (built on the JS side). */
interface GoldIndex {
  emit: tf.Tensor1D
  trans: tf.Tensor1D
  start: tf.Tensor1D
  end: tf.Tensor1D
}

export class CRF {
  readonly numTags: number
  readonly transitions: tf.Variable<tf.Rank.R2>
  readonly start: tf.Variable<tf.Rank.R1>
  readonly end: tf.Variable<tf.Rank.R1>
  /** Null when unconstrained, or when the constraints leave every transition allowed (no types). */
  readonly structure: CrfStructure | null
  private planCache: PlanCache | null = null

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
    checkEmissions(emissions.shape, this.numTags, lengths)
    checkTags(tags, this.numTags, lengths)
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

  /** log Z per title `[B]`, its gradient the forward–backward marginals (recursions.ts). */
  logPartition(emissions: tf.Tensor3D, lengths: readonly number[]): tf.Tensor1D {
    checkEmissions(emissions.shape, this.numTags, lengths)
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
    return tf.tidy(() => this.posterior(emissions, lengths).marginals)
  }

  /** The marginals and log Z per title `[B]` (over the allowed paths), from one forward–backward. */
  posterior(emissions: tf.Tensor3D, lengths: readonly number[]): { marginals: tf.Tensor3D; logZ: tf.Tensor1D } {
    checkEmissions(emissions.shape, this.numTags, lengths)
    const out = tf.tidy(() => {
      const mask = maskFromLengths(lengths, emissions.shape[1])
      const ops = this.ops(this.transitions)
      const emLBT = tf.transpose(emissions, [1, 0, 2]) as tf.Tensor3D
      const fw = forward(emLBT, ops, this.start, this.end, mask)
      const betas = backward(emLBT, ops, this.end, mask)
      return [tf.transpose(unaryMarginals(fw.alphas, betas, fw.logZ, mask), [1, 0, 2]), fw.logZ]
    })
    return { marginals: out[0] as tf.Tensor3D, logZ: out[1] as tf.Tensor1D }
  }

  /** Best tag path per title (exact Viterbi: the typed-array kernel, kernels/viterbi.ts). */
  async decode(emissions: tf.Tensor3D, lengths: readonly number[]): Promise<number[][]> {
    return (await this.decodeScored(emissions, lengths)).paths
  }

  /**
   * Best tag path per title and its score s(ŷ) (recursions.ts's formula, in float64): with log Z
   * (`posterior`), log P(ŷ | x) = s(ŷ) − log Z — the sequence-level confidence of the path.
   */
  async decodeScored(emissions: tf.Tensor3D, lengths: readonly number[]): Promise<{ paths: number[][]; scores: number[] }> {
    checkEmissions(emissions.shape, this.numTags, lengths)
    const [B, L, T] = emissions.shape
    const em = (await emissions.data()) as Float32Array
    const { plan, tr, st, en } = await this.plan(T)
    const paths = viterbiBatch(plan, em, B, L, lengths)
    const scores = paths.map((y, b) => {
      let v = st[y[0]!]! + en[y[y.length - 1]!]!
      for (let t = 0; t < y.length; t++) v += em[(b * L + t) * T + y[t]!]! + (t > 0 ? tr[y[t - 1]! * T + y[t]!]! : 0)
      return v
    })
    return { paths, scores }
  }

  /**
   * The decode plan of the current parameter values (and the values, for path scores), built once
   * and reused while they stay (every batch of a prediction; at 1,001 tags a plan costs two passes
   * over a million transitions). tfjs buffers are immutable and `Variable.assign` (every optimiser
   * step, a checkpoint load) gives the variable a new data id, so the same three data ids mean the
   * same values.
   */
  private async plan(T: number): Promise<PlanCache> {
    const ids = [this.transitions.dataId, this.start.dataId, this.end.dataId]
    const c = this.planCache
    if (c && c.ids.every((id, k) => id === ids[k])) return c
    const [tr, st, en] = (await Promise.all([this.transitions.data(), this.start.data(), this.end.data()])) as Float32Array[]
    const s = decodeScores(this.structure, tr!, st!, en!)
    this.planCache = { ids, plan: viterbiPlan(s.trans, s.start, s.end, T), tr: tr!, st: st!, en: en! }
    return this.planCache
  }
}

/** A decode plan with the raw parameter values it was built from, keyed by their data ids. */
interface PlanCache {
  ids: object[]
  plan: ViterbiPlan
  tr: Float32Array
  st: Float32Array
  en: Float32Array
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
