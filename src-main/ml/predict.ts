/** Batch inference: titles → spans with confidence (CRF marginals or softmax probability). */
import type { Example } from '../shared/training'
import { loadCheckpoint, type Checkpoint } from './checkpoint'
import { featurize, makeBatch, spansToTitle, type TitleFeatures } from './models/features'
import { Tagger, type TitlePrediction } from './models/tagger'
import { makeBatches } from './train/batching'

export type { TitlePrediction }

interface PredictOptions {
  /** Titles per batch (default 64). */
  batchSize?: number
  /** Compute span confidences (default true); false skips a CRF's marginals and gives NaN. */
  confidence?: boolean
}

/** A title to tag: plain text, or text with its word segmentation (lengths, for WLF models). */
export type PredictInput = string | Pick<Example, 'text' | 'words'>

/**
 * Tag titles with a model or a checkpoint (a checkpoint is loaded and disposed here).
 * Returns one prediction per title, in input order. Empty titles give no spans.
 */
export async function predict(modelOrCheckpoint: Tagger | Checkpoint, titles: readonly PredictInput[], opts: PredictOptions = {}): Promise<TitlePrediction[]> {
  const own = !(modelOrCheckpoint instanceof Tagger)
  const model = own ? loadCheckpoint(modelOrCheckpoint as Checkpoint) : (modelOrCheckpoint as Tagger)
  try {
    return (await predictWith(model, titles, opts.batchSize ?? 64, opts.confidence ?? true, null))[0]!
  } finally {
    if (own) model.dispose()
  }
}

/**
 * Positions (titles × the longest title) one prediction batch may hold: a BiLSTM 300 with bigram
 * inputs needs ~57 KB of the wasm heap (4 GB at most) per position, so 64 titles of 1,000 chars
 * would need 3.6 GB. A batch past it is cut into consecutive parts.
 */
export const MAX_PREDICT_POSITIONS = 16384

/** `batch` (ids, in order) cut into consecutive parts of at most `max` positions; a title longer than that is a part alone. */
export function withinPositions(batch: readonly number[], length: (i: number) => number, max = MAX_PREDICT_POSITIONS): number[][] {
  const out: number[][] = []
  let part: number[] = []
  let longest = 0
  for (const i of batch) {
    const n = length(i)
    if (part.length && (part.length + 1) * Math.max(longest, n) > max) {
      out.push(part)
      part = []
      longest = 0
    }
    part.push(i)
    longest = Math.max(longest, n)
  }
  if (part.length) out.push(part)
  return out
}

/**
 * The titles tagged at each of `biases` (ModelConfig.decodeBias; no confidence), one list per bias
 * in that order: each batch is encoded and its tag logits computed once (Tagger.encodeHeads), then decoded at every bias (ml/train/decode-bias.ts).
 */
export async function predictAtBiases(model: Tagger, titles: readonly PredictInput[], biases: readonly number[], batchSize = 64): Promise<TitlePrediction[][]> {
  return predictWith(model, titles, batchSize, false, biases)
}

/** One list of predictions per bias (`null`: the model's own, one list). */
async function predictWith(model: Tagger, titles: readonly PredictInput[], batchSize: number, confidence: boolean, biases: readonly number[] | null): Promise<TitlePrediction[][]> {
  const enc = titles.map((t) => featurize(typeof t === 'string' ? t : { text: t.text, spans: [], words: t.words }, model.vocabs))
  const outs: TitlePrediction[][] = (biases ?? [null]).map(() => new Array<TitlePrediction>(titles.length))
  const nonEmpty: number[] = []
  enc.forEach((e, i) => {
    if (e.charIds.length === 0) for (const out of outs) out[i] = { tags: [], spans: [] }
    else nonEmpty.push(i)
  })
  const batches = makeBatches(
    nonEmpty.map((i) => enc[i]!.charIds.length),
    batchSize,
    null,
    true,
  ).flatMap((b) => withinPositions(b.map((k) => nonEmpty[k]!), (i) => enc[i]!.charIds.length))
  for (const b of batches) {
    const items = b.map((i) => ({ ...enc[i]!, tagIds: null, typeIds: null, isEntity: null }))
    const batch = makeBatch(items)
    const chars = items.map((e) => e.chars)
    if (!biases) {
      const res = await model.predictBatch(batch, chars, { confidence })
      b.forEach((i, k) => (outs[0]![i] = toTitle(enc[i]!, res[k]!)))
      continue
    }
    const encoded = model.pointer ? null : model.encodeHeads(batch)
    try {
      for (let j = 0; j < biases.length; j++) {
        const res = await model.predictBatch(batch, chars, { confidence, decodeBias: biases[j]!, ...(encoded ? { encoded } : {}) })
        b.forEach((i, k) => (outs[j]![i] = toTitle(enc[i]!, res[k]!)))
      }
    } finally {
      encoded?.hidden.dispose()
      encoded?.logits.dispose()
    }
  }
  // BERT: a title whose characters all lack a token (only spaces) still gets one O per character
  enc.forEach((e, i) => {
    if (e.keep && e.charIds.length === 0) for (const out of outs) out[i] = { tags: new Array<string>(e.allChars!.length).fill('O'), spans: [] }
  })
  return outs
}

/**
 * BERT predictions are per token position; map them to code points: spans move back (a span may
 * then contain a space, e.g. "Nike Air"), characters without a token get the O tag.
 */
function toTitle(e: TitleFeatures, p: TitlePrediction): TitlePrediction {
  if (!e.keep) return p
  const tags = new Array<string>(e.allChars!.length).fill('O')
  p.tags.forEach((t, k) => (tags[e.keep![k]!] = t))
  return { tags, spans: spansToTitle(e, p.spans) }
}
