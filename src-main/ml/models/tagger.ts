/**
 * The taggers of the study, as one class: a sequence encoder (sequence-encoder.ts: embeddings +
 * BiLSTM, or BERT [+ BiLSTM]), passed in, and the heads on its hidden vectors:
 *
 *   encoder ─┬─ dense → softmax | CRF   (flat or boundary)  |  span head (GlobalPointer)
 *            └─ dense → softmax          (cascade: type per char)
 *
 * - flat: one head over typed tags (`O, B-品牌, I-品牌, …`).
 * - cascade: a boundary head over type-free tags (`O B I [E S]`) plus a type head that classifies
 *   every character from its hidden vector; the type loss is masked to gold entity characters
 *   (teacher forcing); decoding takes each boundary span and the type predicted at its LAST char.
 * - WOL: per-char weights on the softmax cross-entropy (entity 1.5, O 0.5 in the study). A CRF's
 *   loss is a sequence log-likelihood with no per-char terms, so WOL does not apply to a CRF head
 *   (the study dropped the CRF in its WOL run for the same reason, see presets.ts).
 * Loss = mean over valid chars (softmax) or −Σ log-likelihood / Σ lengths (CRF), + type loss.
 * With `TrainConfig.weakLoss` the batch carries partial titles' log-priors and title weights: the
 * likelihood is then the partial one (layers/partial.ts) and each title's terms are weighted.
 *
 * BERT (`encoder: 'bert'`, the five bert* presets): the same heads, CRF, cascade and WOL code on
 * top of `BertSequenceEncoder`. Positions are the title's characters that have a BERT token
 * (features.ts drops whitespace and control/format characters; predict.ts maps spans back to code
 * points and gives dropped characters the O tag). Parameter groups: `encoder` = BERT's trainable
 * variables (frozen lower layers excluded), `heads` = BiLSTM (if any) + dense + CRF + type head.
 */
import * as tf from '@tensorflow/tfjs'
import type { LossWeights, ModelConfig, PredictedSpan } from '../../shared/training'
import { cascadeDecode, spanType } from '../tagging/labels'
import { spansToTags, tagsToSpans } from '../../shared/tags'
import { CRF } from '../layers/crf/layer'
import { schemeDecoder, type SchemeDecoder } from '../layers/crf/viterbi'
import { viterbiBatch } from '../kernels/viterbi'
import { partialCrfLogLikelihood, partialSoftmaxLogLikelihood } from '../layers/partial'
import { Dense } from '../layers/init'
import { GlobalPointer, decodeSpans } from '../layers/global-pointer'
import type { TitleEmbeddings } from '../embeddings'
import { childSeed } from '../train/rng'
import type { BertEncoder } from '../bert/encoder'
import type { Batch, TaggerVocabs, Vocabs } from './features'
import { lossWeights } from './features'
import { BiLstmEncoder, sequenceEncoder, type SequenceEncoder } from './sequence-encoder'

interface TaggerArgs {
  config: ModelConfig
  vocabs: TaggerVocabs
  /** Seed of every initialiser and of dropout. */
  seed: number
  /** The sequence encoder (`sequenceEncoder(…)` of the same config and vocabularies; owned by the tagger from now on). */
  encoder: SequenceEncoder
}

export interface TitlePrediction {
  tags: string[]
  spans: PredictedSpan[]
  /**
   * Total token entropy (nats): the sum over characters of the entropy of the tag distribution
   * (CRF marginals or softmax) — the title-level uncertainty of the Pre-annotate queue's 'entropy'
   * order. Absent for models without a per-character distribution (span head).
   */
  entropy?: number
  /**
   * log P(ŷ | x) of the predicted tag path (≤ 0): CRF, the Viterbi path's score − log Z; softmax,
   * Σ log max p over characters; the cascade adds log p of each span's type. 1 − exp of it is the
   * sequence-level least confidence (Culotta & McCallum 2005), −it / length Shen et al.'s MNLP
   * (2017) — the Pre-annotate queue's 'sequence' and 'mnlp' orders. Absent for the span head and
   * with `confidence: false` (a CRF then skips the forward–backward, so there is no log Z).
   */
  logProb?: number
}

/** One batch's encoder output and tag-head logits `[B·L, T]` (Tagger.encodeHeads). */
export interface EncodedBatch {
  hidden: tf.Tensor2D
  logits: tf.Tensor2D
}

export class Tagger {
  /** Replaced only by `setDecodeBias` (decoding, not weights). */
  config: ModelConfig
  readonly vocabData: TaggerVocabs
  readonly vocabs: Vocabs
  readonly prefix: string
  readonly encoder: SequenceEncoder
  /** Tag head (null with the span head). */
  private readonly head: Dense | null
  /** Span head (`head: 'globalpointer'`). */
  readonly pointer: GlobalPointer | null
  readonly crf: CRF | null
  private readonly typeHead: Dense | null
  /** Softmax head with `constrainedDecoding`: the scheme's decoder (built on first use). */
  private schemeDecoder: SchemeDecoder | null = null

  /** A tagger with the sequence encoder its config names (`sequenceEncoder`). */
  static build(args: Omit<TaggerArgs, 'encoder'> & Parameters<typeof sequenceEncoder>[0]): Tagger {
    return new Tagger({ ...args, encoder: sequenceEncoder(args) })
  }

  constructor(args: TaggerArgs) {
    const { config, vocabs, seed, encoder } = args
    this.config = config
    this.vocabData = vocabs
    this.encoder = encoder
    this.vocabs = encoder.vocabs
    const p = (this.prefix = encoder.prefix)
    const outSize = encoder.outputSize
    const T = this.vocabs.labels.size
    if (config.head === 'globalpointer') {
      if (config.architecture !== 'flat') throw new Error('the GlobalPointer head is for the flat architecture')
      const types = this.vocabs.labels.labels.filter((l) => l.startsWith('B-')).map((l) => l.slice(2))
      this.pointer = new GlobalPointer({ inputSize: outSize, types, headSize: config.pointerSize ?? 64, name: `${p}/pointer`, seed: childSeed(seed, 'pointer') })
      this.head = null
    } else {
      this.pointer = null
      this.head = new Dense({ inputSize: outSize, units: T, name: `${p}/head`, seed: childSeed(seed, 'head') })
    }
    // BIO or BIOES constraints on the flat tags or on the cascade's type-free boundary tags
    // (O B I [E S]: one type, '', for the constraints)
    const constraints = config.crfConstraints === true ? config.scheme : null
    this.crf =
      config.head === 'crf'
        ? new CRF({ numTags: T, name: `${p}/crf`, seed: childSeed(seed, 'crf'), ...(constraints ? { labels: this.vocabs.labels.labels, constraints } : {}) })
        : null
    const K = this.vocabs.types?.size ?? 0
    this.typeHead = config.architecture === 'cascade' ? new Dense({ inputSize: outSize, units: Math.max(1, K), name: `${p}/type_head`, seed: childSeed(seed, 'type_head') }) : null
  }

  /**
   * Parameter groups: `encoder` (embeddings + BiLSTM; or BERT's trainable variables) and `heads`
   * (dense, CRF, type head; and the BiLSTM on top of BERT).
   */
  get groups(): { encoder: tf.Variable[]; heads: tf.Variable[] } {
    const heads = [...(this.head?.variables ?? []), ...(this.pointer?.variables ?? []), ...(this.crf?.variables ?? []), ...(this.typeHead?.variables ?? [])]
    return { encoder: this.encoder.trainable, heads: [...this.encoder.withHeads, ...heads] }
  }

  /** Every variable (frozen ones included): what a checkpoint stores. */
  get variables(): tf.Variable[] {
    return [...this.encoder.stored, ...this.groups.heads]
  }

  /** The BERT encoder (BERT models only). */
  get bert(): BertEncoder | null {
    return this.encoder.bert
  }

  get trainableParameterCount(): number {
    const g = this.groups
    return [...g.encoder, ...g.heads].reduce((a, v) => a + v.size, 0)
  }

  get parameterCount(): number {
    return this.variables.reduce((a, v) => a + v.size, 0)
  }

  /** Name of a variable without this instance's prefix (stable across instances, for checkpoints). */
  localName(v: tf.Variable): string {
    const b = this.encoder.storedName(v)
    if (b) return b
    return v.name.startsWith(this.prefix + '/') ? v.name.slice(this.prefix.length + 1) : v.name
  }

  /** Hidden vectors `[B·L, H']`. */
  encode(batch: Batch, training: boolean): tf.Tensor2D {
    return this.encoder.encode(batch, training)
  }

  /**
   * Training loss (scalar). Call inside `tf.variableGrads` / `tf.tidy`. `norm` replaces the
   * batch's own normalisers (valid chars; gold entity chars for the cascade's type loss) — gradient
   * accumulation passes the totals of the whole batch so the summed micro-batch gradients equal
   * the full batch's.
   */
  loss(batch: Batch, weights: LossWeights, training = true, norm?: { chars: number; entities: number }): tf.Scalar {
    if (!batch.tagFlat || !batch.tags) throw new Error('loss needs a labelled batch')
    const { B, L } = batch
    const h = this.encode(batch, training)
    if (this.pointer) {
      if (!batch.spans) throw new Error('the span head needs the batch’s gold spans')
      return this.pointer.loss(this.pointer.scores(h, B, L, batch.lengths), batch.spans)
    }
    const logits = this.head!.apply(h) // [B·L, T]
    const T = logits.shape[1]
    const nValid = Math.max(1, norm?.chars ?? batch.chars)
    // weak-label-aware loss (features.ts / evidence.ts): partial titles' log-prior, per-title weights
    const tw = batch.titleWeights
    const prior = batch.prior ? tf.tensor2d(batch.prior, [B * L, T]) : null
    let loss: tf.Scalar
    if (this.crf) {
      const em = tf.reshape(logits, [B, L, T]) as tf.Tensor3D
      let ll = prior ? partialCrfLogLikelihood(this.crf, em, tf.reshape(prior, [B, L, T]), batch.lengths) : this.crf.logLikelihood(em, batch.tags, batch.lengths)
      if (tw) ll = tf.mul(ll, tf.tensor1d(tw))
      loss = tf.div(tf.neg(tf.sum(ll)), nValid)
    } else {
      const w = lossWeights(batch, weights)
      if (tw) for (let i = 0; i < w.length; i++) w[i]! *= tw[Math.floor(i / L)]!
      loss = prior
        ? (tf.div(tf.neg(tf.sum(tf.mul(partialSoftmaxLogLikelihood(logits, prior), tf.tensor1d(w)))), nValid) as tf.Scalar)
        : pickedNll(logits, batch.tagFlat, w, nValid)
    }
    if (this.typeHead && batch.typeFlat && batch.typeMask) {
      const tl = this.typeHead.apply(h)
      const nEnt = norm?.entities ?? batch.typeMask.reduce((a, b) => a + b, 0)
      const m = tw ? batch.typeMask.map((x, i) => x * tw[Math.floor(i / L)]!) : batch.typeMask
      loss = tf.add(loss, pickedNll(tl, batch.typeFlat, m, Math.max(1, nEnt)))
    }
    return loss
  }

  /**
   * Constrained decoding of a softmax head: each title's most probable well-formed path. Where the
   * per-character argmax is well-formed it is that path already; only the other titles' log-
   * probabilities are read back and decoded (exact Viterbi under the scheme, layers/crf/viterbi.ts).
   */
  private async constrainedPaths(argmax: number[][], logits: tf.Tensor3D, lengths: readonly number[]): Promise<number[][]> {
    const dec = (this.schemeDecoder ??= schemeDecoder(this.vocabs.labels.labels, this.config.scheme))
    const redo = argmax.flatMap((p, b) => (dec.wellFormed(p) ? [] : [b]))
    if (redo.length === 0) return argmax
    const L = logits.shape[1]
    const lp = tf.tidy(() => tf.logSoftmax(tf.gather(logits, tf.tensor1d(redo, 'int32'))))
    try {
      const paths = viterbiBatch(dec.plan, (await lp.data()) as Float32Array, redo.length, L, redo.map((b) => lengths[b]!))
      const out = [...argmax]
      redo.forEach((b, k) => (out[b] = paths[k]!))
      return out
    } finally {
      lp.dispose()
    }
  }

  /** A batch's hidden vectors and tag-head logits, kept (tag heads only): `predictBatch`'s `encoded`. */
  encodeHeads(batch: Batch): EncodedBatch {
    if (!this.head) throw new Error('the span head has no tag logits')
    return tf.tidy(() => {
      const hidden = this.encode(batch, false)
      return { hidden, logits: this.head!.apply(hidden) }
    })
  }

  /** Decode with this O bias from now on (ModelConfig.decodeBias; a copy of the config, the caller's is not touched). */
  setDecodeBias(bias: number): void {
    this.config = { ...this.config, decodeBias: bias }
  }

  /**
   * Predict tags and spans (with confidence) for an unlabelled or labelled batch. With
   * `confidence: false` a CRF skips its marginals (the forward–backward), a softmax reads back only
   * its argmax, and spans' confidence is NaN. `decodeBias` overrides the config's; `encoded` is the
   * batch's `encodeHeads(batch)` when the caller already has it (decoding one batch at several
   * biases runs the encoder and the tag head once; the caller disposes it).
   */
  async predictBatch(batch: Batch, texts: readonly string[][], opts: { confidence?: boolean; decodeBias?: number; encoded?: EncodedBatch } = {}): Promise<TitlePrediction[]> {
    if (this.pointer) return this.predictSpans(batch, texts)
    const wantConf = opts.confidence ?? true
    const { B, L, lengths } = batch
    // Only [B, L] values leave the backend (tags, the chosen tag's probability, the entropy per
    // character), never the [B, L, T] distribution: at 1,001 tags reading it back cost more than the encoder.
    const out: { em?: tf.Tensor3D; probs?: tf.Tensor3D; logZ?: tf.Tensor1D; softIds?: tf.Tensor2D; logits?: tf.Tensor3D; typeProbs?: tf.Tensor2D } = {}
    tf.tidy(() => {
      const h = opts.encoded?.hidden ?? this.encode(batch, false)
      const T = this.vocabs.labels.size
      const logits = withDecodeBias(opts.encoded?.logits ?? this.head!.apply(h), opts.decodeBias ?? this.config.decodeBias ?? 0, this.vocabs.labels.has('O') ? this.vocabs.labels.id('O') : -1, T)
      const emissions = tf.reshape(logits, [B, L, T]) as tf.Tensor3D
      if (this.crf) {
        out.em = tf.keep(emissions)
        if (wantConf) {
          const post = this.crf.posterior(emissions, lengths)
          out.probs = tf.keep(post.marginals)
          out.logZ = tf.keep(post.logZ)
        }
      } else {
        out.softIds = tf.keep(tf.reshape(tf.argMax(logits, -1), [B, L]) as tf.Tensor2D)
        // constrained decoding reads log-probabilities back only for titles whose argmax is ill-formed
        if (this.config.constrainedDecoding) out.logits = tf.keep(tf.reshape(logits, [B, L, T]) as tf.Tensor3D)
        if (wantConf) out.probs = tf.keep(tf.reshape(tf.softmax(logits), [B, L, T]) as tf.Tensor3D)
      }
      if (this.typeHead) out.typeProbs = tf.keep(tf.softmax(this.typeHead.apply(h)))
    })
    const { em, probs, logZ, softIds, logits, typeProbs } = out
    try {
      let ids: number[][]
      // CRF: the Viterbi path's score s(ŷ), for log P(ŷ | x) = s(ŷ) − log Z
      let pathScores: number[] | null = null
      if (em) {
        ;({ paths: ids, scores: pathScores } = await this.crf!.decodeScored(em, lengths))
      } else {
        const flat = (await softIds!.data()) as Int32Array
        ids = lengths.map((n, b) => Array.from(flat.subarray(b * L, b * L + n)))
        if (logits) ids = await this.constrainedPaths(ids, logits, lengths)
      }
      let conf: Float32Array | null = null
      let ent: Float32Array | null = null
      if (probs) {
        const T = probs.shape[2]
        const idx = new Int32Array(B * L)
        ids.forEach((row, b) => row.forEach((j, t) => (idx[b * L + t] = (b * L + t) * T + j)))
        const [c, e] = tf.tidy(() => {
          const p = tf.reshape(probs, [B * L, T])
          // −Σ p log p, with 0 log 0 = 0 (p + 1e-30: wasm's Maximum is ~50× slower than Add)
          const h = tf.neg(tf.sum(tf.mul(p, tf.log(tf.add(p, 1e-30))), -1))
          return [tf.gather(tf.reshape(p, [-1]), tf.tensor1d(idx, 'int32')), h]
        })
        try {
          ;[conf, ent] = (await Promise.all([c.data(), e.data()])) as [Float32Array, Float32Array]
        } finally {
          c.dispose()
          e.dispose()
        }
      }
      const lz = logZ ? ((await logZ.data()) as Float32Array) : null
      const tp = typeProbs ? ((await typeProbs.data()) as Float32Array) : null
      const K = this.vocabs.types?.size ?? 0
      return ids.map((row, b) => {
        const tags = row.map((j) => this.vocabs.labels.tag(j))
        const chars = texts[b]!
        const typeAt = (i: number): { type: string; p: number } => {
          if (!tp || K === 0) return { type: '', p: 1 }
          const o = (b * L + i) * K
          let best = 0
          for (let k = 1; k < K; k++) if (tp[o + k]! > tp[o + best]!) best = k
          return { type: this.vocabs.types!.type(best), p: tp[o + best]! }
        }
        let entropy: number | undefined
        if (ent) {
          entropy = 0
          for (let t = 0; t < row.length; t++) entropy += ent[b * L + t]!
        }
        // the cascade's span type: the last character's (the study's rule), or with `spanTyping` the
        // type most probable over all the span's characters (Σ log p), its p their mean probability
        const typeOf = (start: number, end: number): { type: string; p: number } => {
          if (!this.config.spanTyping || !tp || K === 0) return typeAt(end - 1)
          const t = spanType(tp, b * L * K, K, start, end)
          return { type: this.vocabs.types!.type(t.k), p: t.p }
        }
        // each span's type and its probability, computed once (spanTypes[k] belongs to spans[k])
        const spanTypes: { type: string; p: number }[] = []
        const spans = this.typeHead
          ? cascadeDecode(tags, this.config.scheme, (start, end) => spanTypes[spanTypes.push(typeOf(start, end)) - 1]!.type)
          : tagsToSpans(tags, { mode: 'tolerant', scheme: this.config.scheme })
        let logProb: number | undefined
        if (pathScores && lz) logProb = Math.min(0, pathScores[b]! - lz[b]!)
        else if (!this.crf && conf) {
          logProb = 0
          for (let t = 0; t < row.length; t++) logProb += Math.log(conf[b * L + t]!)
        }
        if (logProb !== undefined && this.typeHead) for (const t of spanTypes) logProb += Math.log(t.p)
        return {
          tags,
          entropy,
          ...(logProb !== undefined ? { logProb } : {}),
          spans: spans.map((s, k) => {
            let c = 0
            for (let i = s.start; i < s.end; i++) c += conf ? conf[b * L + i]! : NaN
            c /= s.end - s.start
            if (this.typeHead) c *= spanTypes[k]!.p
            return { ...s, text: chars.slice(s.start, s.end).join(''), confidence: c }
          }),
        }
      })
    } finally {
      for (const t of [em, probs, logZ, softIds, logits, typeProbs]) t?.dispose()
    }
  }

  /** Span head: spans decoded from the scores (global-pointer.ts `decodeSpans`), confidence = sigmoid(score). */
  private async predictSpans(batch: Batch, texts: readonly string[][]): Promise<TitlePrediction[]> {
    const gp = this.pointer!
    const { B, L, lengths } = batch
    const K = gp.types.length
    const t = tf.tidy(() => gp.scores(this.encode(batch, false), B, L, lengths))
    const s = (await t.data()) as Float32Array
    t.dispose()
    return lengths.map((n, b) => {
      const spans = decodeSpans(n, K, (k, i, j) => s[((b * K + k) * L + i) * L + j]!, gp.types)
      const chars = texts[b]!
      return {
        tags: spansToTags(n, spans, this.config.scheme),
        spans: spans.map(({ score, ...sp }) => ({ ...sp, text: chars.slice(sp.start, sp.end).join(''), confidence: 1 / (1 + Math.exp(-score)) })),
      }
    })
  }

  /** Title embeddings into the BiLSTM encoder's char and bigram tables (BiLstmEncoder.loadPretrained). */
  loadPretrained(pre: TitleEmbeddings): { chars: number; bigrams: number } {
    return this.encoder instanceof BiLstmEncoder ? this.encoder.loadPretrained(pre) : { chars: 0, bigrams: 0 }
  }

  dispose(): void {
    for (const v of [...(this.head?.variables ?? []), ...(this.pointer?.variables ?? []), ...(this.crf?.variables ?? []), ...(this.typeHead?.variables ?? [])]) v.dispose()
    this.encoder.dispose()
  }
}

/** −Σ w_i log softmax(logits_i)[y_i] / denom, for logits `[N, C]`. */
function pickedNll(logits: tf.Tensor2D, y: Int32Array, w: Float32Array, denom: number): tf.Scalar {
  const [N, C] = logits.shape
  const idx = new Int32Array(N)
  for (let i = 0; i < N; i++) idx[i] = i * C + y[i]!
  const lp = tf.gather(tf.reshape(tf.logSoftmax(logits), [-1]), tf.tensor1d(idx, 'int32'))
  return tf.div(tf.neg(tf.sum(tf.mul(lp, tf.tensor1d(w)))), denom) as tf.Scalar
}

/** Logits `[N, T]` with `bias` subtracted from the O column (ModelConfig.decodeBias); unchanged at 0. */
function withDecodeBias(logits: tf.Tensor2D, bias: number, oId: number, T: number): tf.Tensor2D {
  if (!bias || oId < 0) return logits
  const v = new Float32Array(T)
  v[oId] = -bias
  return tf.add(logits, tf.tensor1d(v))
}
