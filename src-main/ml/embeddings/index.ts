/**
 * Char and bigram embeddings learnt from the project's titles — all of them, unlabelled included
 * (text only; no label is read, so nothing of dev/test's labels can leak). Two skip-gram models
 * (skipgram.ts): one over each title's characters, one over its bigrams (char + next char; the
 * last char pairs with `</s>`), the same bigrams the tagger's bigram input uses (`bigramsOf`).
 *
 * Kept in the project (store table `embeddings`, services/training.ts) under `embeddingsKey`: a
 * hash of the titles (in order) and the options, so every run reuses them until a title is added,
 * removed or edited.
 */
import { createHash } from 'node:crypto'
import { DEFAULT_SKIPGRAM, trainSkipGram, type SkipGramOptions } from './skipgram'

export { trainSkipGram, DEFAULT_SKIPGRAM, type SkipGramOptions }

const END = '</s>'

export interface EmbeddingOptions {
  /** Char vector size (= the tagger's charEmbedding). */
  dim: number
  /** Bigram vector size (= the tagger's bigramEmbedding); 0 = no bigram vectors. */
  bigramDim: number
  seed: number
  /** Skip-gram epochs (default 5). */
  epochs?: number
  /** Bigrams seen fewer times are left out (default 2). */
  minBigramCount?: number
  /** Sub-sampling threshold of frequent tokens (default 1e-4; 0 = off, for tiny corpora). */
  subsample?: number
}

export interface TitleEmbeddings {
  key: string
  dim: number
  bigramDim: number
  chars: string[]
  /** `[chars.length · dim]` */
  charVectors: Float32Array
  bigrams: string[]
  /** `[bigrams.length · bigramDim]` */
  bigramVectors: Float32Array
}

/** Per position: the bigram starting there (char + next char, or + `</s>` at the end). */
export function bigramsOf(chars: readonly string[]): string[] {
  return chars.map((c, i) => c + (i + 1 < chars.length ? chars[i + 1]! : END))
}

function normalised(o: EmbeddingOptions): Required<EmbeddingOptions> {
  return {
    dim: o.dim,
    bigramDim: o.bigramDim,
    seed: o.seed,
    epochs: o.epochs ?? DEFAULT_SKIPGRAM.epochs,
    minBigramCount: o.minBigramCount ?? 2,
    subsample: o.subsample ?? DEFAULT_SKIPGRAM.subsample,
  }
}

/** Cache key: sha256 of the options and of every title, in order. */
export function embeddingsKey(titles: Iterable<string>, opts: EmbeddingOptions): string {
  const h = createHash('sha256')
  h.update(JSON.stringify({ v: 2, ...normalised(opts) })) // v2: the SIMD kernel's float32 dot products
  for (const t of titles) h.update(`${t}\n`)
  return h.digest('hex')
}

/** Token streams → (vocabulary by frequency, ids per stream, counts). */
function index(streams: readonly string[][], minCount: number): { tokens: string[]; ids: Int32Array[]; counts: Float64Array } {
  const counts = new Map<string, number>()
  for (const s of streams) for (const t of s) counts.set(t, (counts.get(t) ?? 0) + 1)
  const tokens = [...counts]
    .filter(([, n]) => n >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([t]) => t)
  const id = new Map(tokens.map((t, i) => [t, i]))
  return {
    tokens,
    ids: streams.map((s) => Int32Array.from(s, (t) => id.get(t) ?? -1)),
    counts: Float64Array.from(tokens, (t) => counts.get(t)!),
  }
}

/** Learn char (and bigram) vectors from titles. Deterministic for a seed. */
export function learnTitleEmbeddings(titles: readonly string[], options: EmbeddingOptions): TitleEmbeddings {
  const o = normalised(options)
  const charStreams = titles.map((t) => Array.from(t))
  const sg = { ...DEFAULT_SKIPGRAM, epochs: o.epochs, subsample: o.subsample }
  const c = index(charStreams, 1)
  const charVectors = trainSkipGram(c.ids, c.counts, { ...sg, dim: o.dim, seed: o.seed })
  let bigrams: string[] = []
  let bigramVectors: Float32Array = new Float32Array(0)
  if (o.bigramDim > 0) {
    const b = index(charStreams.map(bigramsOf), o.minBigramCount)
    bigrams = b.tokens
    bigramVectors = trainSkipGram(b.ids, b.counts, { ...sg, dim: o.bigramDim, seed: o.seed ^ 0x5bd1e995 })
  }
  return { key: embeddingsKey(titles, options), dim: o.dim, bigramDim: o.bigramDim, chars: c.tokens, charVectors, bigrams, bigramVectors }
}

const MAGIC = 'NEREMB01'

/** "NEREMB01" | u32 LE header length | header JSON (key, dims, tokens) | char vectors | bigram vectors (f32 LE). */
export function embeddingsToBytes(e: TitleEmbeddings): Uint8Array {
  const header = Buffer.from(JSON.stringify({ key: e.key, dim: e.dim, bigramDim: e.bigramDim, chars: e.chars, bigrams: e.bigrams }), 'utf8')
  const out = new Uint8Array(8 + 4 + header.length + 4 * (e.charVectors.length + e.bigramVectors.length))
  out.set(Buffer.from(MAGIC, 'latin1'), 0)
  new DataView(out.buffer).setUint32(8, header.length, true)
  out.set(header, 12)
  const o = 12 + header.length
  out.set(new Uint8Array(e.charVectors.buffer, e.charVectors.byteOffset, e.charVectors.byteLength), o)
  out.set(new Uint8Array(e.bigramVectors.buffer, e.bigramVectors.byteOffset, e.bigramVectors.byteLength), o + e.charVectors.byteLength)
  return out
}

export function embeddingsFromBytes(bytes: Uint8Array): TitleEmbeddings {
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC) throw new Error('not an embeddings blob (bad magic)')
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true)
  const h = JSON.parse(Buffer.from(bytes.subarray(12, 12 + n)).toString('utf8')) as Omit<TitleEmbeddings, 'charVectors' | 'bigramVectors'>
  const nc = h.chars.length * h.dim
  const nb = h.bigrams.length * h.bigramDim
  if (bytes.length !== 12 + n + 4 * (nc + nb)) throw new Error('embeddings blob: wrong length')
  const data = new Uint8Array(bytes.subarray(12 + n)) // an aligned copy (a Buffer's slice is a view)
  const f = new Float32Array(data.buffer, data.byteOffset, nc + nb)
  return { ...h, charVectors: f.slice(0, nc), bigramVectors: f.slice(nc) }
}

/**
 * Rows of a table `[tokens.length · dim]` for a vocabulary: row r = the vector of `vocab[r]` scaled
 * so the vectors' components have standard deviation `std` (the table's init scale matters to the
 * BiLSTM's input projection), or null where the token has none.
 */
export function rowsFor(vocab: readonly string[], tokens: readonly string[], vectors: Float32Array, dim: number, std = 0.1): (Float32Array | null)[] {
  let ss = 0
  for (let i = 0; i < vectors.length; i++) ss += vectors[i]! * vectors[i]!
  const scale = vectors.length ? std / Math.max(1e-12, Math.sqrt(ss / vectors.length)) : 1
  const at = new Map(tokens.map((t, i) => [t, i]))
  return vocab.map((t) => {
    const i = at.get(t)
    return i === undefined ? null : Float32Array.from(vectors.subarray(i * dim, (i + 1) * dim), (x) => x * scale)
  })
}
