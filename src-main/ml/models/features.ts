/**
 * Turning titles into index arrays, and index arrays into padded batches.
 * All of it is plain JS (no tensors), so the trainer can prepare batches ahead.
 */
import type { Example, ModelConfig, WeakLossConfig } from '../../shared/training'
import type { PlainSpan, TagScheme } from '../../shared/tags'
import { LabelVocab, TypeVocab, typeTargets } from '../tagging/labels'
import { spansToTags } from '../../shared/tags'
import { Vocab } from '../text/vocab'
import { wordPerChar } from '../text/words'
import { tokenizeTitle, type Vocab as BertVocab } from '../bert/tokenizer'
import { bigramsOf, type TitleEmbeddings } from '../embeddings'
import { Lexicon, buildLexicon, type LexiconData, type LexiconEntry } from '../lexicon'
import { partialPrior, titleWeight } from './evidence'
import { IMPOSSIBLE } from '../layers/partial'

/** Vocabularies of a model: everything needed to map titles to ids and ids back to tags. */
export interface TaggerVocabs {
  chars: string[]
  /** Word vocabulary (WLF); null when wordEmbedding = 0. */
  words: string[] | null
  /** Flat typed tags (flat) or type-free boundary tags (cascade). */
  labels: string[]
  /** Entity types of the cascade's type head; null for flat. */
  types: string[] | null
  /** Bigram vocabulary (`model.bigramEmbedding` > 0); absent = none. */
  bigrams?: string[] | null
  /** The lexicon of the lexicon features (`model.lexicon`); absent = none. */
  lexicon?: LexiconData | null
}

export interface Vocabs {
  chars: Vocab
  words: Vocab | null
  labels: LabelVocab
  types: TypeVocab | null
  scheme: TagScheme
  cascade: boolean
  /**
   * BERT models: the encoder's vocabulary. Titles are then encoded as BERT token ids of their
   * KEPT characters (whitespace and control/format characters get no token, see bert/tokenizer.ts),
   * so the tagger works in token space; `TitleFeatures.keep` maps back to code points.
   */
  bert: BertVocab | null
  bigrams: Vocab | null
  lexicon: Lexicon | null
}

export function toVocabs(v: TaggerVocabs, model: ModelConfig, bert: BertVocab | null = null): Vocabs {
  return {
    bert,
    chars: new Vocab(v.chars),
    words: v.words ? new Vocab(v.words) : null,
    labels: new LabelVocab(v.labels),
    types: v.types ? new TypeVocab(v.types) : null,
    scheme: model.scheme,
    cascade: model.architecture === 'cascade',
    bigrams: v.bigrams ? new Vocab(v.bigrams) : null,
    lexicon: v.lexicon ? new Lexicon(v.lexicon) : null,
  }
}

/** What `buildVocabs` may take besides the training examples. */
interface VocabExtras {
  /** Title embeddings (`model.pretrainedEmbeddings`): their chars and bigrams join the vocabularies. */
  pretrained?: TitleEmbeddings | null
  /** Lexicon words (`model.lexicon`); absent = the training examples' span texts. */
  lexicon?: readonly LexiconEntry[] | null
}

/** `a` then the tokens of `b` not in it. */
function union(a: readonly string[], b: readonly string[]): string[] {
  const seen = new Set(a)
  return [...a, ...b.filter((t) => !seen.has(t))]
}

/** Build vocabularies from training examples. */
export function buildVocabs(examples: readonly Example[], model: ModelConfig, extras: VocabExtras = {}): TaggerVocabs {
  const charLists = examples.map((e) => Array.from(e.text))
  // BERT models use the encoder's vocabulary; the tagger's own char vocabulary stays empty.
  let chars = model.encoder === 'bert' ? [] : Vocab.build(charLists, model.minCharCount).tokens
  const pre = model.pretrainedEmbeddings && model.encoder !== 'bert' ? (extras.pretrained ?? null) : null
  if (pre) chars = union(chars, pre.chars)
  const bigrams =
    (model.bigramEmbedding ?? 0) > 0 && model.encoder !== 'bert' ? union(Vocab.build(charLists.map(bigramsOf), model.minCharCount).tokens, pre?.bigrams ?? []) : null
  const lexicon =
    model.lexicon && model.encoder !== 'bert'
      ? buildLexicon(extras.lexicon ?? examples.flatMap((e, i) => e.spans.map((s) => ({ text: charLists[i]!.slice(s.start, s.end).join(''), type: s.type }))))
      : null
  const words =
    model.wordEmbedding > 0 && model.encoder !== 'bert'
      ? Vocab.build(
          examples.map((e, i) => wordPerChar(charLists[i]!, e.words)),
          model.minWordCount,
        ).tokens
      : null
  const typeSet = new Set<string>()
  for (const e of examples) for (const s of e.spans) typeSet.add(s.type)
  const cascade = model.architecture === 'cascade'
  const labels = cascade ? LabelVocab.boundary(model.scheme).labels : LabelVocab.forTypes(typeSet, model.scheme).labels
  const types = cascade ? new TypeVocab(typeSet).types : null
  return { chars, words, labels, types, ...(bigrams ? { bigrams } : {}), ...(lexicon ? { lexicon } : {}) }
}

export interface TitleFeatures {
  chars: string[]
  charIds: Int32Array
  wordIds: Int32Array | null
  /** Bigram ids (`Vocabs.bigrams`). */
  bigramIds?: Int32Array | null
  /** Lexicon features `[n · lexicon width]` (`Vocabs.lexicon`). */
  lex?: Float32Array | null
  /** Gold tag ids (flat or boundary); null when unlabelled. */
  tagIds: Int32Array | null
  /** Gold type id per char (cascade), −1 outside entities. */
  typeIds: Int32Array | null
  /** 1 where the char is inside a gold entity. */
  isEntity: Uint8Array | null
  spans: PlainSpan[] | null
  /**
   * BERT models: code-point offset (in the title) of each position, since characters without a
   * BERT token (spaces…) are left out of `chars`/`charIds`; null = positions are code points.
   */
  keep?: Int32Array | null
  /** BERT models: the title's code points (all of them, up to maxLength). */
  allChars?: string[]
  /** Weak-label-aware loss: log-prior `[n·T]` of a partially labelled title (null = fully observed). */
  prior?: Float32Array | null
  /** Weak-label-aware loss: the title's loss weight (absent = 1). */
  weight?: number
}

export function featurize(ex: Example | string, v: Vocabs, maxLength = Infinity, weak?: WeakLossConfig): TitleFeatures {
  const e = v.bert ? featurizeBert(ex, v, v.bert, maxLength) : featurizeChars(ex, v, maxLength)
  if (!weak || typeof ex === 'string' || !e.spans) return e
  return { ...e, prior: partialPrior(ex, e.spans, e.charIds.length, v, weak), weight: titleWeight(ex, weak) }
}

function featurizeChars(ex: Example | string, v: Vocabs, maxLength: number): TitleFeatures {
  const text = typeof ex === 'string' ? ex : ex.text
  const chars = Array.from(text).slice(0, maxLength)
  const n = chars.length
  const charIds = Int32Array.from(chars, (c) => v.chars.id(c))
  const wordIds = v.words ? Int32Array.from(wordPerChar(chars, typeof ex === 'string' ? undefined : ex.words), (w) => v.words!.id(w)) : null
  const inputs = {
    chars,
    charIds,
    wordIds,
    ...(v.bigrams ? { bigramIds: Int32Array.from(bigramsOf(chars), (b) => v.bigrams!.id(b)) } : {}),
    ...(v.lexicon ? { lex: v.lexicon.features(chars) } : {}),
  }
  if (typeof ex === 'string') return { ...inputs, tagIds: null, typeIds: null, isEntity: null, spans: null }
  return { ...inputs, ...goldTargets(ex.spans.filter((s) => s.end <= n), n, v) }
}

/** Gold tag ids, entity flags and (cascade) type ids of `spans` over `n` positions. */
function goldTargets(spans: PlainSpan[], n: number, v: Vocabs): Pick<TitleFeatures, 'tagIds' | 'typeIds' | 'isEntity' | 'spans'> {
  const tags = spansToTags(n, spans, v.scheme, { typed: !v.cascade })
  const tagIds = Int32Array.from(tags, (t) => v.labels.id(t))
  const isEntity = Uint8Array.from(tags, (t) => (t === 'O' ? 0 : 1))
  const typeIds = v.cascade && v.types ? typeTargets(spans, n, v.types) : null
  return { tagIds, typeIds, isEntity, spans }
}

/**
 * BERT: positions are the title's characters that have a BERT token (whitespace and control/format
 * characters are dropped, as BERT's tokenizer does); `charIds` are BERT vocabulary ids, gold spans
 * are moved to token positions (a span of only dropped characters is lost), `keep` maps back.
 */
function featurizeBert(ex: Example | string, v: Vocabs, vocab: BertVocab, maxLength: number): TitleFeatures {
  const text = typeof ex === 'string' ? ex : ex.text
  const allChars = Array.from(text).slice(0, maxLength)
  const enc = tokenizeTitle(vocab, allChars.join(''))
  const keep = Int32Array.from(enc.offsets.slice(1, -1))
  const charIds = Int32Array.from(enc.ids.slice(1, -1))
  const chars = Array.from(keep, (o) => allChars[o]!)
  const n = chars.length
  const base = { chars, charIds, wordIds: null, keep, allChars }
  if (typeof ex === 'string') return { ...base, tagIds: null, typeIds: null, isEntity: null, spans: null }
  // code point → first token position at or after it
  const pos = new Int32Array(allChars.length + 1)
  for (let c = allChars.length, k = n; c >= 0; c--) {
    while (k > 0 && keep[k - 1]! >= c) k--
    pos[c] = k
  }
  const spans: (PlainSpan & { confidence?: number })[] = []
  for (const s of ex.spans) {
    if (s.end > allChars.length) continue
    const start = pos[s.start]!
    const end = pos[s.end]!
    if (end > start) spans.push({ start, end, type: s.type, ...(s.confidence !== undefined ? { confidence: s.confidence } : {}) })
  }
  return { ...base, ...goldTargets(spans, n, v) }
}

/** Spans in token positions (BERT `TitleFeatures`) → code-point spans of the title; identity otherwise. */
export function spansToTitle<S extends PlainSpan>(e: TitleFeatures, spans: readonly S[]): S[] {
  const keep = e.keep
  if (!keep) return [...spans]
  const all = e.allChars!
  return spans.map((s) => {
    const start = keep[s.start]!
    const end = keep[s.end - 1]! + 1
    return 'text' in s ? { ...s, start, end, text: all.slice(start, end).join('') } : { ...s, start, end }
  })
}

/** A padded batch (rows b·L+t), JS arrays only. */
export interface Batch {
  B: number
  L: number
  lengths: number[]
  charIds: Int32Array
  wordIds: Int32Array | null
  /** [B·L] bigram ids, when the model has bigram inputs */
  bigramIds?: Int32Array | null
  /** [B·L·lexWidth] lexicon features, when the model has them */
  lex?: Float32Array | null
  lexWidth?: number
  /** per title, its gold spans (labelled batches; the span head's targets) */
  spans?: PlainSpan[][] | null
  /** per title, length lengths[b] */
  tags: Int32Array[] | null
  /** [B·L] gold tag (0 at padding) */
  tagFlat: Int32Array | null
  /** [B·L] gold type (0 at padding/outside) and its mask (1 on entity chars) */
  typeFlat: Int32Array | null
  typeMask: Float32Array | null
  /** [B·L] 1 on valid chars */
  mask: Float32Array
  /** [B·L] 1 on gold entity chars */
  entity: Float32Array | null
  chars: number
  /** Weak-label-aware loss: log-prior `[B·L·T]` (fully observed rows: 0 at the gold tag, IMPOSSIBLE elsewhere); null = none partial. */
  prior: Float32Array | null
  /** Weak-label-aware loss: per-title loss weights `[B]`; null = all 1. */
  titleWeights: Float32Array | null
}

export function makeBatch(items: readonly TitleFeatures[]): Batch {
  const B = items.length
  const lengths = items.map((e) => e.charIds.length)
  const L = Math.max(1, ...lengths)
  const charIds = new Int32Array(B * L)
  const wordIds = items[0]?.wordIds ? new Int32Array(B * L) : null
  const bigramIds = items[0]?.bigramIds ? new Int32Array(B * L) : null
  const withLex = items.find((e) => e.lex && e.charIds.length > 0)
  const lexWidth = withLex ? withLex.lex!.length / withLex.charIds.length : 0
  const lex = withLex ? new Float32Array(B * L * lexWidth) : null
  const labelled = items.every((e) => e.tagIds)
  const tagFlat = labelled ? new Int32Array(B * L) : null
  const hasTypes = labelled && items.every((e) => e.typeIds)
  const typeFlat = hasTypes ? new Int32Array(B * L) : null
  const typeMask = hasTypes ? new Float32Array(B * L) : null
  const mask = new Float32Array(B * L)
  const entity = labelled ? new Float32Array(B * L) : null
  items.forEach((e, b) => {
    const o = b * L
    charIds.set(e.charIds, o)
    if (wordIds && e.wordIds) wordIds.set(e.wordIds, o)
    if (bigramIds && e.bigramIds) bigramIds.set(e.bigramIds, o)
    if (lex && e.lex) lex.set(e.lex, o * lexWidth)
    mask.fill(1, o, o + e.charIds.length)
    if (tagFlat && e.tagIds) tagFlat.set(e.tagIds, o)
    if (entity && e.isEntity) for (let t = 0; t < e.isEntity.length; t++) entity[o + t] = e.isEntity[t]!
    if (typeFlat && typeMask && e.typeIds)
      for (let t = 0; t < e.typeIds.length; t++) {
        const y = e.typeIds[t]!
        if (y >= 0) {
          typeFlat[o + t] = y
          typeMask[o + t] = 1
        }
      }
  })
  // tags per position, read off a partial title's prior (n·T values)
  const partial = labelled ? items.find((e) => e.prior && e.charIds.length > 0) : undefined
  const prior = partial ? batchPrior(items, L, partial.prior!.length / partial.charIds.length) : null
  const titleWeights = items.some((e) => e.weight !== undefined) ? Float32Array.from(items, (e) => e.weight ?? 1) : null
  return {
    prior,
    titleWeights,
    B,
    L,
    lengths,
    charIds,
    wordIds,
    ...(bigramIds ? { bigramIds } : {}),
    ...(lex ? { lex, lexWidth } : {}),
    ...(labelled && items.every((e) => e.spans) ? { spans: items.map((e) => e.spans!) } : {}),
    tags: labelled ? items.map((e) => e.tagIds!) : null,
    tagFlat,
    typeFlat,
    typeMask,
    mask,
    entity,
    chars: lengths.reduce((a, b) => a + b, 0),
  }
}

/** `[B·L·T]` log-prior: partial titles' own rows; fully observed titles one tag at 0; padding 0. */
function batchPrior(items: readonly TitleFeatures[], L: number, T: number): Float32Array {
  const out = new Float32Array(items.length * L * T)
  items.forEach((e, b) => {
    const o = b * L * T
    if (e.prior) out.set(e.prior, o)
    else {
      const n = e.charIds.length
      out.fill(IMPOSSIBLE, o, o + n * T)
      for (let t = 0; t < n; t++) out[o + t * T + e.tagIds![t]!] = 0
    }
  })
  return out
}

/** WOL: per-char loss weights `[B·L]`: entity chars × entity, O chars × outside, padding 0. */
export function lossWeights(batch: Batch, w: { entity: number; outside: number }): Float32Array {
  const out = new Float32Array(batch.B * batch.L)
  for (let i = 0; i < out.length; i++) out[i] = batch.mask[i]! * (batch.entity && batch.entity[i]! > 0 ? w.entity : w.outside)
  return out
}
