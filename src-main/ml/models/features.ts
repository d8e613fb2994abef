/**
 * Turning titles into index arrays, and index arrays into padded batches.
 * All of it is plain JS (no tensors), so the trainer can prepare batches ahead.
 */
import type { Example, ModelConfig, Span, TagScheme } from '../../shared/training'
import { LabelVocab, TypeVocab, encodeSpans, typeTargets } from '../tagging'
import { Vocab } from '../text/vocab'
import { wordPerChar } from '../text/words'

/** Vocabularies of a model: everything needed to map titles to ids and ids back to tags. */
export interface TaggerVocabs {
  chars: string[]
  /** Word vocabulary (WLF); null when wordEmbedding = 0. */
  words: string[] | null
  /** Flat typed tags (flat) or type-free boundary tags (cascade). */
  labels: string[]
  /** Entity types of the cascade's type head; null for flat. */
  types: string[] | null
}

export interface Vocabs {
  chars: Vocab
  words: Vocab | null
  labels: LabelVocab
  types: TypeVocab | null
  scheme: TagScheme
  cascade: boolean
}

export function toVocabs(v: TaggerVocabs, model: ModelConfig): Vocabs {
  return {
    chars: new Vocab(v.chars),
    words: v.words ? new Vocab(v.words) : null,
    labels: new LabelVocab(v.labels),
    types: v.types ? new TypeVocab(v.types) : null,
    scheme: model.scheme,
    cascade: model.architecture === 'cascade',
  }
}

/** Build vocabularies from training examples. */
export function buildVocabs(examples: readonly Example[], model: ModelConfig): TaggerVocabs {
  const charLists = examples.map((e) => Array.from(e.text))
  const chars = Vocab.build(charLists, model.minCharCount).tokens
  const words =
    model.wordEmbedding > 0
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
  return { chars, words, labels, types }
}

export interface Encoded {
  chars: string[]
  charIds: Int32Array
  wordIds: Int32Array | null
  /** Gold tag ids (flat or boundary); null when unlabelled. */
  tagIds: Int32Array | null
  /** Gold type id per char (cascade), −1 outside entities. */
  typeIds: Int32Array | null
  /** 1 where the char is inside a gold entity. */
  isEntity: Uint8Array | null
  spans: Span[] | null
}

export function encodeExample(ex: Example | string, v: Vocabs, maxLength = Infinity): Encoded {
  const text = typeof ex === 'string' ? ex : ex.text
  const chars = Array.from(text).slice(0, maxLength)
  const n = chars.length
  const charIds = Int32Array.from(chars, (c) => v.chars.id(c))
  const wordIds = v.words ? Int32Array.from(wordPerChar(chars, typeof ex === 'string' ? undefined : ex.words), (w) => v.words!.id(w)) : null
  if (typeof ex === 'string') return { chars, charIds, wordIds, tagIds: null, typeIds: null, isEntity: null, spans: null }
  const spans = ex.spans.filter((s) => s.end <= n)
  const tags = encodeSpans(spans, n, v.scheme, !v.cascade)
  const tagIds = Int32Array.from(tags, (t) => v.labels.id(t))
  const isEntity = Uint8Array.from(tags, (t) => (t === 'O' ? 0 : 1))
  const typeIds = v.cascade && v.types ? typeTargets(spans, n, v.types) : null
  return { chars, charIds, wordIds, tagIds, typeIds, isEntity, spans }
}

/** A padded batch (rows b·L+t), JS arrays only. */
export interface Batch {
  B: number
  L: number
  lengths: number[]
  charIds: Int32Array
  wordIds: Int32Array | null
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
}

export function makeBatch(items: readonly Encoded[]): Batch {
  const B = items.length
  const lengths = items.map((e) => e.charIds.length)
  const L = Math.max(1, ...lengths)
  const charIds = new Int32Array(B * L)
  const wordIds = items[0]?.wordIds ? new Int32Array(B * L) : null
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
  return {
    B,
    L,
    lengths,
    charIds,
    wordIds,
    tags: labelled ? items.map((e) => e.tagIds!) : null,
    tagFlat,
    typeFlat,
    typeMask,
    mask,
    entity,
    chars: lengths.reduce((a, b) => a + b, 0),
  }
}

/** WOL: per-char loss weights `[B·L]`: entity chars × entity, O chars × outside, padding 0. */
export function lossWeights(batch: Batch, w: { entity: number; outside: number }): Float32Array {
  const out = new Float32Array(batch.B * batch.L)
  for (let i = 0; i < out.length; i++) out[i] = batch.mask[i]! * (batch.entity && batch.entity[i]! > 0 ? w.entity : w.outside)
  return out
}
