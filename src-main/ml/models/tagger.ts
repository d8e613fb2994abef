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
 * With `TrainConfig.weakLoss` the batch carries partial titles' log-priors and title weights: the
 * likelihood is then the partial one (layers/partial.ts) and each title's terms are weighted.
 *
 * BERT (`encoder: 'bert'`, the five bert* presets): the same heads, CRF, cascade and WOL code on
 * top of an imported `BertEncoder` instead of the embeddings + BiLSTM:
 *
 *   kept chars (BERT token ids) ─ windows of ≤ maxPositions−2 ─ [CLS] … [SEP] rows ─ BERT ─ joined
 *   back per char ─ (BiLSTM, bert-bilstm-crf) ─ heads as above
 *
 * Positions are the title's characters that have a BERT token (features.ts drops whitespace and
 * control/format characters; predict.ts maps spans back to code points and gives dropped
 * characters the O tag). Parameter groups: `encoder` = BERT's trainable variables (frozen lower
 * layers excluded), `heads` = BiLSTM (if any) + dense + CRF + type head.
 */
import * as tf from '@tensorflow/tfjs'
import type { LossWeights, ModelConfig, PredictedSpan } from '../../shared/training'
import { cascadeDecode, decodeTags, encodeSpans } from '../tagging'
import { BiLSTM } from '../layers/bilstm'
import { CRF } from '../layers/crf'
import { partialCrfLogLikelihood, partialSoftmaxLogLikelihood } from '../layers/partial'
import { Dense, Embedding } from '../layers/init'
import { GlobalPointer, decodeSpans } from '../layers/global-pointer'
import { rowsFor, type TitleEmbeddings } from '../embeddings'
import { childSeed } from '../train/rng'
import type { BertEncoder } from '../bert/encoder'
import { windows, joinWindows, type Vocab as BertVocab } from '../bert/tokenizer'
import type { Batch, TaggerVocabs, Vocabs } from './features'
import { lossWeights, toVocabs } from './features'

let instances = 0

export interface TaggerArgs {
  config: ModelConfig
  vocabs: TaggerVocabs
  /** Seed of every initialiser and of dropout. */
  seed: number
  /** `encoder: 'bert'`: the encoder (owned by the tagger from now on: `dispose()` frees it) and its vocabulary. */
  bert?: { encoder: BertEncoder; vocab: BertVocab }
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
  private readonly charEmb: Embedding | null
  private readonly wordEmb: Embedding | null
  /** The BiLSTM (null for BERT models without one). */
  private readonly encoder: BiLSTM | null
  /** The BERT encoder (BERT models only). */
  readonly bert: BertEncoder | null
  private readonly bertNames: Map<tf.Variable, string>
  /** Bigram embedding (`model.bigramEmbedding`), concatenated to the char's. */
  private readonly bigramEmb: Embedding | null
  /** Tag head (null with the span head). */
  private readonly head: Dense | null
  /** Span head (`head: 'globalpointer'`). */
  readonly pointer: GlobalPointer | null
  readonly crf: CRF | null
  private readonly typeHead: Dense | null
  private dropoutCalls = 0
  private readonly seed: number

  constructor(args: TaggerArgs) {
    const { config, vocabs, seed } = args
    if (config.encoder !== 'bilstm' && config.encoder !== 'bert') throw new Error(`unknown encoder '${String(config.encoder)}'`)
    if (config.encoder === 'bert' && !args.bert) throw new Error('a BERT model needs an encoder (import a BERT folder)')
    this.config = config
    this.vocabData = vocabs
    this.vocabs = toVocabs(vocabs, config, config.encoder === 'bert' ? args.bert!.vocab : null)
    this.seed = seed
    const p = (this.prefix = `tagger${instances++}`)
    let outSize: number
    if (config.encoder === 'bert') {
      const enc = args.bert!.encoder
      if (args.bert!.vocab.size !== enc.config.vocabSize) throw new Error(`BERT vocabulary has ${args.bert!.vocab.size} tokens, the encoder ${enc.config.vocabSize}`)
      this.bert = enc
      this.bertNames = new Map([...enc.variables].map(([name, v]) => [v, `bert/${name}`]))
      this.charEmb = null
      this.wordEmb = null
      this.bigramEmb = null
      const H = enc.config.hiddenSize
      this.encoder = config.bert?.lstm
        ? new BiLSTM({ inputSize: H, hidden: config.hidden, merge: config.merge, name: `${p}/bilstm`, seed: childSeed(seed, 'bilstm') })
        : null
      outSize = this.encoder ? this.encoder.outputSize : H
    } else {
      this.bert = null
      this.bertNames = new Map()
      this.charEmb = new Embedding({ vocabSize: this.vocabs.chars.size, dim: config.charEmbedding, name: `${p}/char_emb`, seed: childSeed(seed, 'char_emb') })
      this.wordEmb =
        config.wordEmbedding > 0 && vocabs.words
          ? new Embedding({ vocabSize: this.vocabs.words!.size, dim: config.wordEmbedding, name: `${p}/word_emb`, seed: childSeed(seed, 'word_emb') })
          : null
      const bigramDim = config.bigramEmbedding ?? 0
      this.bigramEmb =
        bigramDim > 0 && this.vocabs.bigrams
          ? new Embedding({ vocabSize: this.vocabs.bigrams.size, dim: bigramDim, name: `${p}/bigram_emb`, seed: childSeed(seed, 'bigram_emb') })
          : null
      const inSize = config.charEmbedding + (this.wordEmb ? config.wordEmbedding : 0) + (this.bigramEmb ? bigramDim : 0) + (this.vocabs.lexicon?.width ?? 0)
      this.encoder = new BiLSTM({ inputSize: inSize, hidden: config.hidden, merge: config.merge, name: `${p}/bilstm`, seed: childSeed(seed, 'bilstm') })
      outSize = this.encoder.outputSize
    }
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
    if (this.bert) return { encoder: this.bert.trainableVariables(), heads: [...(this.encoder?.variables ?? []), ...heads] }
    return {
      encoder: [...this.charEmb!.variables, ...(this.wordEmb?.variables ?? []), ...(this.bigramEmb?.variables ?? []), ...this.encoder!.variables],
      heads,
    }
  }

  /** Every variable (frozen ones included): what a checkpoint stores. */
  get variables(): tf.Variable[] {
    if (this.bert) {
      const g = this.groups
      return [...this.bert.allVariables(), ...g.heads]
    }
    const g = this.groups
    return [...g.encoder, ...g.heads]
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
    const b = this.bertNames.get(v)
    if (b) return b
    return v.name.startsWith(this.prefix + '/') ? v.name.slice(this.prefix.length + 1) : v.name
  }

  private dropout(x: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const r = this.config.dropout
    if (!training || r <= 0) return x
    return tf.dropout(x, r, undefined, childSeed(this.seed, `dropout${this.dropoutCalls++}`)) as tf.Tensor2D
  }

  /** Hidden vectors `[B·L, H']`. */
  encode(batch: Batch, training: boolean): tf.Tensor2D {
    if (this.bert) {
      let h = this.encodeBert(batch, training)
      if (this.encoder) h = this.encoder.apply(this.dropout(h, training), batch.B, batch.L, batch.lengths)
      return this.dropout(h, training)
    }
    const ids = tf.tensor1d(batch.charIds, 'int32')
    let x = this.charEmb!.apply(ids)
    if (this.wordEmb && batch.wordIds) x = tf.concat([x, this.wordEmb.apply(tf.tensor1d(batch.wordIds, 'int32'))], 1)
    if (this.bigramEmb && batch.bigramIds) x = tf.concat([x, this.bigramEmb.apply(tf.tensor1d(batch.bigramIds, 'int32'))], 1)
    const W = this.vocabs.lexicon?.width ?? 0
    if (W > 0) x = tf.concat([x, batch.lex ? tf.tensor2d(batch.lex, [batch.B * batch.L, W]) : tf.zeros([batch.B * batch.L, W])], 1)
    x = this.dropout(x, training)
    const h = this.encoder!.apply(x, batch.B, batch.L, batch.lengths)
    return this.dropout(h, training)
  }

  /**
   * BERT hidden states per position `[B·L, H]`: each title's token ids in windows of at most
   * maxPositions − 2 (overlapping by half, see bert/tokenizer.ts `windows`), each window one
   * `[CLS] … [SEP]` row; the rows run through BERT together (padded, attention-masked), and every
   * position takes its vector from the window where it has the most context (`joinWindows`).
   * Padding positions get row 0's [CLS] vector (masked by the heads).
   */
  private encodeBert(batch: Batch, training: boolean): tf.Tensor2D {
    const bert = this.bert!
    const vocab = this.vocabs.bert!
    const { B, L, lengths } = batch
    const maxLen = bert.config.maxPositions - 2
    const rows: number[][] = []
    const index = new Int32Array(B * L)
    const placed: { b: number; ws: ReturnType<typeof windows>; first: number }[] = []
    for (let b = 0; b < B; b++) {
      const n = lengths[b]!
      if (n === 0) continue
      const ws = windows(n, maxLen)
      placed.push({ b, ws, first: rows.length })
      for (const w of ws) rows.push([vocab.cls, ...batch.charIds.subarray(b * L + w.start, b * L + w.end), vocab.sep])
    }
    const S = Math.max(1, ...rows.map((r) => r.length))
    for (const { b, ws, first } of placed) {
      const per = joinWindows(
        ws,
        ws.map((w, k) => Array.from({ length: w.end - w.start }, (_, i) => (first + k) * S + 1 + i)),
        lengths[b]!,
      )
      index.set(per, b * L)
    }
    const R = Math.max(1, rows.length)
    const ids = new Int32Array(R * S).fill(vocab.pad)
    const mask = new Int32Array(R * S)
    rows.forEach((r, i) => {
      ids.set(r, i * S)
      mask.fill(1, i * S, i * S + r.length)
    })
    return tf.tidy(() => {
      const h = bert.apply(tf.tensor2d(ids, [R, S], 'int32'), tf.tensor2d(mask, [R, S], 'int32'), {
        training,
        ...(this.config.bert?.dropout != null ? { dropout: this.config.bert.dropout } : {}),
        // seeded like the BiLSTM's dropout: reproducible runs, a fresh mask every call
        ...(training ? { seed: childSeed(this.seed, `bert_dropout${this.dropoutCalls++}`) } : {}),
      })
      const H = h.shape[2]
      return tf.gather(tf.reshape(h, [R * S, H]), tf.tensor1d(index, 'int32')) as tf.Tensor2D
    })
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
   * Predict tags and spans (with confidence) for an unlabelled or labelled batch. With
   * `confidence: false` a CRF skips its marginals (the forward–backward) and spans' confidence is NaN.
   */
  async predictBatch(batch: Batch, texts: readonly string[][], opts: { confidence?: boolean } = {}): Promise<TitlePrediction[]> {
    if (this.pointer) return this.predictSpans(batch, texts)
    const wantConf = opts.confidence ?? true
    const { B, L, lengths } = batch
    const out = tf.tidy(() => {
      const h = this.encode(batch, false)
      const logits = this.head!.apply(h)
      const T = logits.shape[1]
      const em = tf.reshape(logits, [B, L, T]) as tf.Tensor3D
      const probs = this.crf ? (wantConf ? this.crf.marginals(em, lengths) : null) : tf.reshape(tf.softmax(logits), [B, L, T])
      const typeProbs = this.typeHead ? tf.softmax(this.typeHead.apply(h)) : null
      const r: tf.Tensor[] = [this.crf ? (probs ? tf.stack([em, probs]) : tf.expandDims(em, 0)) : probs!]
      if (typeProbs) r.push(typeProbs)
      return r
    })
    const main = out[0]!
    const types = out[1] ?? null
    try {
      const T = this.vocabs.labels.size
      let ids: number[][]
      let probs: Float32Array | null
      if (this.crf) {
        const [em, pr] = tf.tidy(() => tf.split(main, main.shape[0], 0).map((t) => tf.squeeze(t, [0]))) as [tf.Tensor3D, tf.Tensor3D | undefined]
        try {
          ids = await this.crf.decode(em, lengths)
          probs = pr ? ((await pr.data()) as Float32Array) : null
        } finally {
          em.dispose()
          pr?.dispose()
        }
      } else {
        const pr = (probs = (await main.data()) as Float32Array)
        ids = lengths.map((n, b) => {
          const row: number[] = []
          for (let t = 0; t < n; t++) {
            const o = (b * L + t) * T
            let best = 0
            for (let j = 1; j < T; j++) if (pr[o + j]! > pr[o + best]!) best = j
            row.push(best)
          }
          return row
        })
      }
      const tp = types ? ((await types.data()) as Float32Array) : null
      const K = this.vocabs.types?.size ?? 0
      return ids.map((row, b) => {
        const tags = row.map((j) => this.vocabs.labels.tag(j))
        const conf = row.map((j, t) => (probs ? probs[(b * L + t) * T + j]! : NaN))
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
        tags: encodeSpans(spans, n, this.config.scheme),
        spans: spans.map(({ score, ...sp }) => ({ ...sp, text: chars.slice(sp.start, sp.end).join(''), confidence: 1 / (1 + Math.exp(-score)) })),
      }
    })
  }

  /**
   * Start the char (and bigram) embeddings from title embeddings (ml/embeddings): each vocabulary
   * entry that has a vector gets it (scaled, see `rowsFor`); the others keep their random init.
   */
  loadPretrained(pre: TitleEmbeddings): { chars: number; bigrams: number } {
    const fill = (emb: Embedding | null, vocab: readonly string[] | undefined, tokens: string[], vectors: Float32Array, dim: number): number => {
      if (!emb || !vocab || dim !== emb.table.shape[1]) return 0
      const rows = rowsFor(vocab, tokens, vectors, dim)
      const cur = emb.table.arraySync() as number[][]
      let n = 0
      rows.forEach((r, i) => {
        if (r && i > 0) {
          cur[i] = Array.from(r)
          n++
        }
      })
      const t = tf.tensor2d(cur)
      emb.table.assign(t)
      t.dispose()
      return n
    }
    return {
      chars: fill(this.charEmb, this.vocabs.chars.tokens, pre.chars, pre.charVectors, pre.dim),
      bigrams: fill(this.bigramEmb, this.vocabs.bigrams?.tokens, pre.bigrams, pre.bigramVectors, pre.bigramDim),
    }
  }

  dispose(): void {
    if (this.bert) {
      for (const v of this.groups.heads) v.dispose()
      this.bert.dispose()
      return
    }
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
