/**
 * The engine's label vocabularies: typed tags (`LabelVocab`), the cascade's types (`TypeVocab`)
 * and its decode. Tags ↔ spans is the one tag codec, shared/tags.ts: the engine decodes predicted
 * tags in its `tolerant` mode (conlleval-style: a stray I-X/E-X opens a chunk of type X, an
 * unknown tag reads as O).
 */
import { tagsToSpans, type PlainSpan, type TagScheme } from '../../shared/tags'

const OUTSIDE = 'O'

/** Label vocabulary: index 0 is always `O`. */
export class LabelVocab {
  readonly labels: string[]
  private readonly index = new Map<string, number>()
  constructor(labels: readonly string[]) {
    const all = labels[0] === OUTSIDE ? [...labels] : [OUTSIDE, ...labels.filter((l) => l !== OUTSIDE)]
    this.labels = all
    all.forEach((l, i) => this.index.set(l, i))
  }
  get size(): number {
    return this.labels.length
  }
  /** Id of a tag; unknown tags map to `O` (0). */
  id(tag: string): number {
    return this.index.get(tag) ?? 0
  }
  has(tag: string): boolean {
    return this.index.has(tag)
  }
  tag(id: number): string {
    return this.labels[id] ?? OUTSIDE
  }
  /**
   * Typed tags for entity types, grouped by prefix, types sorted: O, B-t1…B-tK, I-t1…I-tK
   * (BIOES: then E-*, S-*). The grouping lets the constrained CRF (BIO, BIOES) select its columns
   * as a few contiguous slices instead of gathers.
   */
  static forTypes(types: Iterable<string>, scheme: TagScheme): LabelVocab {
    const prefixes = scheme === 'BIO' ? ['B', 'I'] : ['B', 'I', 'E', 'S']
    const sorted = [...new Set(types)].sort()
    return new LabelVocab([OUTSIDE, ...prefixes.flatMap((p) => sorted.map((t) => `${p}-${t}`))])
  }
  /** Type-free boundary tags of the cascade: O B I (E S). */
  static boundary(scheme: TagScheme): LabelVocab {
    return new LabelVocab(scheme === 'BIO' ? ['O', 'B', 'I'] : ['O', 'B', 'I', 'E', 'S'])
  }
}

/** Entity-type vocabulary of the cascade's type head (no `O`; index order = sorted types). */
export class TypeVocab {
  readonly types: string[]
  private readonly index = new Map<string, number>()
  constructor(types: Iterable<string>) {
    this.types = [...new Set(types)].sort()
    this.types.forEach((t, i) => this.index.set(t, i))
  }
  get size(): number {
    return this.types.length
  }
  id(type: string): number {
    return this.index.get(type) ?? -1
  }
  type(id: number): string {
    return this.types[id] ?? ''
  }
}

/** Per-character type ids (entity chars) or -1 (outside), for the cascade's type head. */
export function typeTargets(spans: readonly PlainSpan[], length: number, types: TypeVocab): Int32Array {
  const out = new Int32Array(length).fill(-1)
  for (const s of spans) for (let i = Math.max(0, s.start); i < Math.min(length, s.end); i++) out[i] = types.id(s.type)
  return out
}

/**
 * Cascade decoding: each boundary span takes the type `typeOf(start, end)` gives it (the type
 * predicted at its last character in the study; see `ModelConfig.spanTyping`).
 */
export function cascadeDecode(boundaryTags: readonly string[], scheme: TagScheme, typeOf: (start: number, end: number) => string): PlainSpan[] {
  return tagsToSpans(boundaryTags, { mode: 'tolerant', scheme }).map((s) => ({ start: s.start, end: s.end, type: typeOf(s.start, s.end) }))
}

/**
 * The type most probable over characters `start … end−1` (`ModelConfig.spanTyping`): the k with the
 * largest Σ log p_i(k), where p_i = `probs[offset + i·K …]` is character i's type distribution;
 * its probability is the mean of p_i(k). Ties go to the smaller k.
 */
export function spanType(probs: ArrayLike<number>, offset: number, K: number, start: number, end: number): { k: number; p: number } {
  let best = 0
  let bestScore = -Infinity
  for (let k = 0; k < K; k++) {
    let score = 0
    for (let i = start; i < end; i++) score += Math.log(Math.max(probs[offset + i * K + k]!, 1e-30))
    if (score > bestScore) {
      bestScore = score
      best = k
    }
  }
  let p = 0
  for (let i = start; i < end; i++) p += probs[offset + i * K + best]!
  return { k: best, p: p / (end - start) }
}
