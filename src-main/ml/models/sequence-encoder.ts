/**
 * Sequence encoders: a batch of titles → one hidden vector per position, `[B·L, outputSize]`, what
 * the tagger's heads read. Built from the config by `sequenceEncoder` and passed into the `Tagger`
 * (as flair passes its embeddings into a SequenceTagger). Two implementations:
 *
 *   BiLstmEncoder  chars ─ char embedding ┐
 *                  words ─ word embedding ┤ concat (WLF, bigrams, lexicon features) ─ BiLSTM (fw + bw)
 *                  …                      ┘
 *   BertSequenceEncoder  kept chars (BERT token ids) ─ windows of ≤ maxPositions−2 ─ [CLS] … [SEP]
 *                  rows ─ BERT ─ joined back per char ─ (BiLSTM, bert-bilstm-crf)
 *
 * "Encoder" in the engine means this, only: tags ↔ spans is the tag codec (shared/tags.ts),
 * titles → ids is featurizing (features.ts `featurize`), text → BERT tokens is tokenizing
 * (bert/tokenizer.ts `tokenizeTitle`).
 */
import * as tf from '@tensorflow/tfjs'
import type { ModelConfig } from '../../shared/training'
import { BiLSTM, type InputBlock } from '../layers/bilstm'
import { Embedding } from '../layers/init'
import { rowsFor, type TitleEmbeddings } from '../embeddings'
import { childSeed } from '../train/rng'
import type { BertEncoder } from '../bert/encoder'
import { windows, joinWindows, type Vocab as BertVocab } from '../bert/tokenizer'
import type { Batch, TaggerVocabs, Vocabs } from './features'
import { toVocabs } from './features'

export interface SequenceEncoder {
  /** Prefix of this model's variable names (tfjs names are global): the tagger's heads share it. */
  readonly prefix: string
  /** The input vocabularies (and the tagger's label vocabularies) of this model. */
  readonly vocabs: Vocabs
  readonly outputSize: number
  /** The `encoder` parameter group (what the encoder learning rate applies to). */
  readonly trainable: tf.Variable[]
  /** Encoder variables that train with the heads (the BiLSTM on top of BERT). */
  readonly withHeads: tf.Variable[]
  /** Every variable a checkpoint stores, frozen ones included, besides `withHeads`. */
  readonly stored: tf.Variable[]
  /** The BERT encoder, when there is one (freezing, checkpoint manifest, warnings). */
  readonly bert: BertEncoder | null
  /** Checkpoint name of a variable when it is not `prefix/…` (BERT's `bert/<HF name>`). */
  storedName(v: tf.Variable): string | undefined
  /** Hidden vectors `[B·L, outputSize]` (dropout applied as the study did). */
  encode(batch: Batch, training: boolean): tf.Tensor2D
  dispose(): void
}

let instances = 0

/**
 * Dropout with a seeded stream shared by a model's parts: every call takes the next seed, so a
 * run is reproducible and each call gets a fresh mask.
 */
class DropoutStream {
  private calls = 0
  constructor(
    private readonly seed: number,
    private readonly rate: number,
  ) {}

  /** The next seed of the stream (BERT's own dropout takes its seeds here). */
  next(label: string): number {
    return childSeed(this.seed, `${label}${this.calls++}`)
  }

  /** Whether `apply` changes anything (training with a rate above 0). */
  active(training: boolean): boolean {
    return training && this.rate > 0
  }

  apply(x: tf.Tensor2D, training: boolean): tf.Tensor2D {
    if (!this.active(training)) return x
    return tf.dropout(x, this.rate, undefined, this.next('dropout')) as tf.Tensor2D
  }
}

/** The encoder a config asks for (`model.encoder`: 'bilstm' | 'bert'). */
export function sequenceEncoder(args: {
  config: ModelConfig
  vocabs: TaggerVocabs
  seed: number
  /** `encoder: 'bert'`: the encoder (owned by the model from now on: `dispose()` frees it) and its vocabulary. */
  bert?: { encoder: BertEncoder; vocab: BertVocab } | undefined
}): SequenceEncoder {
  const { config, seed } = args
  if (config.encoder !== 'bilstm' && config.encoder !== 'bert') throw new Error(`unknown encoder '${String(config.encoder)}'`)
  if (config.encoder === 'bert' && !args.bert) throw new Error('a BERT model needs an encoder (import a BERT folder)')
  const prefix = `tagger${instances++}`
  const dropout = new DropoutStream(seed, config.dropout)
  const vocabs = toVocabs(args.vocabs, config, config.encoder === 'bert' ? args.bert!.vocab : null)
  return config.encoder === 'bert' ? new BertSequenceEncoder(config, vocabs, prefix, seed, dropout, args.bert!.encoder) : new BiLstmEncoder(config, vocabs, prefix, seed, dropout)
}

export class BiLstmEncoder implements SequenceEncoder {
  readonly bert = null
  readonly outputSize: number
  private readonly charEmb: Embedding
  private readonly wordEmb: Embedding | null
  /** Bigram embedding (`model.bigramEmbedding`), concatenated to the char's. */
  private readonly bigramEmb: Embedding | null
  private readonly lstm: BiLSTM

  constructor(
    config: ModelConfig,
    readonly vocabs: Vocabs,
    readonly prefix: string,
    seed: number,
    private readonly dropout: DropoutStream,
  ) {
    const p = prefix
    this.charEmb = new Embedding({ vocabSize: vocabs.chars.size, dim: config.charEmbedding, name: `${p}/char_emb`, seed: childSeed(seed, 'char_emb') })
    this.wordEmb =
      config.wordEmbedding > 0 && vocabs.words
        ? new Embedding({ vocabSize: vocabs.words.size, dim: config.wordEmbedding, name: `${p}/word_emb`, seed: childSeed(seed, 'word_emb') })
        : null
    const bigramDim = config.bigramEmbedding ?? 0
    this.bigramEmb =
      bigramDim > 0 && vocabs.bigrams ? new Embedding({ vocabSize: vocabs.bigrams.size, dim: bigramDim, name: `${p}/bigram_emb`, seed: childSeed(seed, 'bigram_emb') }) : null
    const inSize = config.charEmbedding + (this.wordEmb ? config.wordEmbedding : 0) + (this.bigramEmb ? bigramDim : 0) + (vocabs.lexicon?.width ?? 0)
    this.lstm = new BiLSTM({ inputSize: inSize, hidden: config.hidden, merge: config.merge, name: `${p}/bilstm`, seed: childSeed(seed, 'bilstm') })
    this.outputSize = this.lstm.outputSize
  }

  get trainable(): tf.Variable[] {
    return [...this.charEmb.variables, ...(this.wordEmb?.variables ?? []), ...(this.bigramEmb?.variables ?? []), ...this.lstm.variables]
  }

  get withHeads(): tf.Variable[] {
    return []
  }

  get stored(): tf.Variable[] {
    return this.trainable
  }

  storedName(): undefined {
    return undefined
  }

  encode(batch: Batch, training: boolean): tf.Tensor2D {
    // the input, in the kernel's row order: char, word, bigram embeddings, then lexicon features
    const blocks: InputBlock[] = [{ table: this.charEmb.table as tf.Tensor2D, ids: batch.charIds }]
    if (this.wordEmb && batch.wordIds) blocks.push({ table: this.wordEmb.table as tf.Tensor2D, ids: batch.wordIds })
    if (this.bigramEmb && batch.bigramIds) blocks.push({ table: this.bigramEmb.table as tf.Tensor2D, ids: batch.bigramIds })
    const W = this.vocabs.lexicon?.width ?? 0
    if (W > 0) blocks.push({ x: batch.lex ? tf.tensor2d(batch.lex, [batch.B * batch.L, W]) : tf.zeros([batch.B * batch.L, W]) })
    // Without input dropout every input row is an embedding row (or lexicon features): the BiLSTM
    // projects each distinct id once (layers/bilstm.ts `applyBlocks`), the same numbers for less work.
    if (!this.dropout.active(training)) return this.lstm.applyBlocks(blocks, batch.B, batch.L, batch.lengths)
    const x = tf.concat(
      blocks.map((b) => ('table' in b ? (tf.gather(b.table, tf.tensor1d(b.ids, 'int32')) as tf.Tensor2D) : b.x)),
      1,
    )
    const h = this.lstm.apply(this.dropout.apply(x, training), batch.B, batch.L, batch.lengths)
    return this.dropout.apply(h, training)
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
    for (const v of this.stored) v.dispose()
  }
}

export class BertSequenceEncoder implements SequenceEncoder {
  readonly outputSize: number
  /** The BiLSTM on top (bert-bilstm-crf), or null. */
  private readonly lstm: BiLSTM | null
  private readonly bertNames: Map<tf.Variable, string>

  constructor(
    private readonly config: ModelConfig,
    readonly vocabs: Vocabs,
    readonly prefix: string,
    seed: number,
    private readonly dropout: DropoutStream,
    readonly bert: BertEncoder,
  ) {
    if (vocabs.bert!.size !== bert.config.vocabSize) throw new Error(`BERT vocabulary has ${vocabs.bert!.size} tokens, the encoder ${bert.config.vocabSize}`)
    this.bertNames = new Map([...bert.variables].map(([name, v]) => [v, `bert/${name}`]))
    const H = bert.config.hiddenSize
    this.lstm = config.bert?.lstm ? new BiLSTM({ inputSize: H, hidden: config.hidden, merge: config.merge, name: `${prefix}/bilstm`, seed: childSeed(seed, 'bilstm') }) : null
    this.outputSize = this.lstm ? this.lstm.outputSize : H
  }

  get trainable(): tf.Variable[] {
    return this.bert.trainableVariables()
  }

  get withHeads(): tf.Variable[] {
    return this.lstm?.variables ?? []
  }

  get stored(): tf.Variable[] {
    return this.bert.allVariables()
  }

  storedName(v: tf.Variable): string | undefined {
    return this.bertNames.get(v)
  }

  encode(batch: Batch, training: boolean): tf.Tensor2D {
    let h = this.bertStates(batch, training)
    if (this.lstm) h = this.lstm.apply(this.dropout.apply(h, training), batch.B, batch.L, batch.lengths)
    return this.dropout.apply(h, training)
  }

  /**
   * BERT hidden states per position `[B·L, H]`: each title's token ids in windows of at most
   * maxPositions − 2 (overlapping by half, see bert/tokenizer.ts `windows`), each window one
   * `[CLS] … [SEP]` row; the rows run through BERT together (padded, attention-masked), and every
   * position takes its vector from the window where it has the most context (`joinWindows`).
   * Padding positions get row 0's [CLS] vector (masked by the heads).
   */
  private bertStates(batch: Batch, training: boolean): tf.Tensor2D {
    const bert = this.bert
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
        ...(training ? { seed: this.dropout.next('bert_dropout') } : {}),
      })
      const H = h.shape[2]
      return tf.gather(tf.reshape(h, [R * S, H]), tf.tensor1d(index, 'int32')) as tf.Tensor2D
    })
  }

  dispose(): void {
    for (const v of this.withHeads) v.dispose()
    this.bert.dispose()
  }
}
