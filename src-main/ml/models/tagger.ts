/**
 * The BiLSTM taggers of the study, as one class:
 *
 *   chars ─ char embedding ┐
 *   words ─ word embedding ┴ concat (WLF) ─ BiLSTM (fw + bw) ─┬─ dense → softmax | CRF   (flat or boundary)
 *                                                             └─ dense → softmax          (cascade: type per char)
 *
 * - flat: one head over typed tags (`O, B-品牌, I-品牌, …`).
 * - cascade: a boundary head over type-free tags (`O B I [E S]`) plus a type head that classifies
 *   every character from its hidden vector; the type loss is masked to gold entity characters
 *   (teacher forcing); decoding takes each boundary span and the type predicted at its LAST char.
 * - WOL: per-char weights on the softmax cross-entropy (entity 1.5, O 0.5 in the study). A CRF's
 *   loss is a sequence log-likelihood with no per-char terms, so WOL does not apply to a CRF head
 *   (the study dropped the CRF in its WOL run for the same reason, see presets.ts).
 * Loss = mean over valid chars (softmax) or −Σ log-likelihood / Σ lengths (CRF), + type loss.
 */
import * as tf from '@tensorflow/tfjs'
import type { LossWeights, ModelConfig, PredictedSpan } from '../../shared/training'
import { cascadeDecode, decodeTags } from '../tagging'
import { BiLSTM } from '../layers/bilstm'
import { CRF } from '../layers/crf'
import { Dense, Embedding } from '../layers/init'
import { childSeed } from '../train/rng'
import type { Batch, TaggerVocabs, Vocabs } from './features'
import { toVocabs } from './features'

let instances = 0

export interface TaggerArgs {
  config: ModelConfig
  vocabs: TaggerVocabs
  /** Seed of every initialiser and of dropout. */
  seed: number
}

export interface TitlePrediction {
  tags: string[]
  spans: PredictedSpan[]
}

export class Tagger {
  readonly config: ModelConfig
  readonly vocabData: TaggerVocabs
  readonly vocabs: Vocabs
  readonly prefix: string
  private readonly charEmb: Embedding
  private readonly wordEmb: Embedding | null
  private readonly encoder: BiLSTM
  private readonly head: Dense
  readonly crf: CRF | null
  private readonly typeHead: Dense | null
  private dropoutCalls = 0
  private readonly seed: number

  constructor(args: TaggerArgs) {
    const { config, vocabs, seed } = args
    if (config.encoder !== 'bilstm') throw new Error(`encoder '${config.encoder}' is not available in this build`)
    this.config = config
    this.vocabData = vocabs
    this.vocabs = toVocabs(vocabs, config)
    this.seed = seed
    const p = (this.prefix = `tagger${instances++}`)
    this.charEmb = new Embedding({ vocabSize: this.vocabs.chars.size, dim: config.charEmbedding, name: `${p}/char_emb`, seed: childSeed(seed, 'char_emb') })
    this.wordEmb =
      config.wordEmbedding > 0 && vocabs.words
        ? new Embedding({ vocabSize: this.vocabs.words!.size, dim: config.wordEmbedding, name: `${p}/word_emb`, seed: childSeed(seed, 'word_emb') })
        : null
    const inSize = config.charEmbedding + (this.wordEmb ? config.wordEmbedding : 0)
    this.encoder = new BiLSTM({ inputSize: inSize, hidden: config.hidden, merge: config.merge, name: `${p}/bilstm`, seed: childSeed(seed, 'bilstm') })
    const T = this.vocabs.labels.size
    this.head = new Dense({ inputSize: this.encoder.outputSize, units: T, name: `${p}/head`, seed: childSeed(seed, 'head') })
    const constrained = config.crfConstraints === true && config.scheme === 'BIO'
    this.crf =
      config.head === 'crf'
        ? new CRF({ numTags: T, name: `${p}/crf`, seed: childSeed(seed, 'crf'), ...(constrained ? { labels: this.vocabs.labels.labels, constraints: 'BIO' as const } : {}) })
        : null
    const K = this.vocabs.types?.size ?? 0
    this.typeHead = config.architecture === 'cascade' ? new Dense({ inputSize: this.encoder.outputSize, units: Math.max(1, K), name: `${p}/type_head`, seed: childSeed(seed, 'type_head') }) : null
  }

  /** Parameter groups: `encoder` (embeddings + BiLSTM) and `heads` (dense, CRF, type head). */
  get groups(): { encoder: tf.Variable[]; heads: tf.Variable[] } {
    return {
      encoder: [...this.charEmb.variables, ...(this.wordEmb?.variables ?? []), ...this.encoder.variables],
      heads: [...this.head.variables, ...(this.crf?.variables ?? []), ...(this.typeHead?.variables ?? [])],
    }
  }

  get variables(): tf.Variable[] {
    const g = this.groups
    return [...g.encoder, ...g.heads]
  }

  get parameterCount(): number {
    return this.variables.reduce((a, v) => a + v.size, 0)
  }

  /** Name of a variable without this instance's prefix (stable across instances, for checkpoints). */
  localName(v: tf.Variable): string {
    return v.name.startsWith(this.prefix + '/') ? v.name.slice(this.prefix.length + 1) : v.name
  }

  private dropout(x: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const r = this.config.dropout
    if (!training || r <= 0) return x
    return tf.dropout(x, r, undefined, childSeed(this.seed, `dropout${this.dropoutCalls++}`)) as tf.Tensor2D
  }

  /** Hidden vectors `[B·L, H']`. */
  encode(batch: Batch, training: boolean): tf.Tensor2D {
    const ids = tf.tensor1d(batch.charIds, 'int32')
    let x = this.charEmb.apply(ids)
    if (this.wordEmb && batch.wordIds) x = tf.concat([x, this.wordEmb.apply(tf.tensor1d(batch.wordIds, 'int32'))], 1)
    x = this.dropout(x, training)
    const h = this.encoder.apply(x, batch.B, batch.L, batch.lengths)
    return this.dropout(h, training)
  }

  /** Training loss (scalar). Call inside `tf.variableGrads` / `tf.tidy`. */
  loss(batch: Batch, weights: LossWeights, training = true): tf.Scalar {
    if (!batch.tagFlat || !batch.tags) throw new Error('loss needs a labelled batch')
    const { B, L } = batch
    const N = B * L
    const h = this.encode(batch, training)
    const logits = this.head.apply(h) // [N, T]
    const T = logits.shape[1]
    const nValid = Math.max(1, batch.chars)
    let loss: tf.Scalar
    if (this.crf) {
      const ll = this.crf.logLikelihood(tf.reshape(logits, [B, L, T]), batch.tags, batch.lengths)
      loss = tf.div(tf.neg(tf.sum(ll)), nValid)
    } else {
      const w = new Float32Array(N)
      for (let i = 0; i < N; i++) w[i] = batch.mask[i]! * (batch.entity && batch.entity[i]! > 0 ? weights.entity : weights.outside)
      loss = pickedNll(logits, batch.tagFlat, w, nValid)
    }
    if (this.typeHead && batch.typeFlat && batch.typeMask) {
      const tl = this.typeHead.apply(h)
      const nEnt = batch.typeMask.reduce((a, b) => a + b, 0)
      loss = tf.add(loss, pickedNll(tl, batch.typeFlat, batch.typeMask, Math.max(1, nEnt)))
    }
    return loss
  }

  /** Predict tags and spans (with confidence) for an unlabelled or labelled batch. */
  async predictBatch(batch: Batch, texts: readonly string[][]): Promise<TitlePrediction[]> {
    const { B, L, lengths } = batch
    const out = tf.tidy(() => {
      const h = this.encode(batch, false)
      const logits = this.head.apply(h)
      const T = logits.shape[1]
      const em = tf.reshape(logits, [B, L, T]) as tf.Tensor3D
      const probs = this.crf ? this.crf.marginals(em, lengths) : tf.reshape(tf.softmax(logits), [B, L, T])
      const typeProbs = this.typeHead ? tf.softmax(this.typeHead.apply(h)) : null
      const r: tf.Tensor[] = [this.crf ? tf.stack([em, probs]) : probs]
      if (typeProbs) r.push(typeProbs)
      return r
    })
    const main = out[0]!
    const types = out[1] ?? null
    try {
      const T = this.vocabs.labels.size
      let ids: number[][]
      let probs: Float32Array
      if (this.crf) {
        const [em, pr] = tf.tidy(() => tf.split(main, 2, 0).map((t) => tf.squeeze(t, [0]))) as [tf.Tensor3D, tf.Tensor3D]
        try {
          ids = await this.crf.decode(em, lengths)
          probs = (await pr.data()) as Float32Array
        } finally {
          em.dispose()
          pr.dispose()
        }
      } else {
        probs = (await main.data()) as Float32Array
        ids = lengths.map((n, b) => {
          const row: number[] = []
          for (let t = 0; t < n; t++) {
            const o = (b * L + t) * T
            let best = 0
            for (let j = 1; j < T; j++) if (probs[o + j]! > probs[o + best]!) best = j
            row.push(best)
          }
          return row
        })
      }
      const tp = types ? ((await types.data()) as Float32Array) : null
      const K = this.vocabs.types?.size ?? 0
      return ids.map((row, b) => {
        const tags = row.map((j) => this.vocabs.labels.tag(j))
        const conf = row.map((j, t) => probs[(b * L + t) * T + j]!)
        const chars = texts[b]!
        const typeAt = (i: number): { type: string; p: number } => {
          if (!tp || K === 0) return { type: '', p: 1 }
          const o = (b * L + i) * K
          let best = 0
          for (let k = 1; k < K; k++) if (tp[o + k]! > tp[o + best]!) best = k
          return { type: this.vocabs.types!.type(best), p: tp[o + best]! }
        }
        const spans = this.typeHead ? cascadeDecode(tags, this.config.scheme, (i) => typeAt(i).type) : decodeTags(tags, this.config.scheme)
        return {
          tags,
          spans: spans.map((s) => {
            let c = 0
            for (let i = s.start; i < s.end; i++) c += conf[i]!
            c /= s.end - s.start
            if (this.typeHead) c *= typeAt(s.end - 1).p
            return { ...s, text: chars.slice(s.start, s.end).join(''), confidence: c }
          }),
        }
      })
    } finally {
      main.dispose()
      types?.dispose()
    }
  }

  dispose(): void {
    for (const v of this.variables) v.dispose()
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
