/**
 * Tag schemes and label vocabularies.
 *
 * Spans are `{ start, end, type }`, `end` exclusive, offsets in Unicode code points: a title is
 * `Array.from(text)` (so an emoji or a full-width char is one position).
 *
 * Decoding is tolerant of ill-formed sequences, the conlleval way:
 * - BIO:   `I-X` after `O`, at the start, or after a chunk of another type opens a new chunk of
 *          type X (as if it were `B-X`).
 * - BIOES: `I-X`/`E-X` without an open chunk of type X open one (as `B-X`); `E-X` and `S-X` close;
 *          a chunk still open when `O`, `B-*`, `S-*` or the end of the title comes is closed
 *          there (kept, not dropped).
 * - Unknown tags (not O and without a known prefix) are read as `O`.
 * Type-free boundary tags (`B I O` / `B I E S O`) decode with the same rules and type `''`.
 */
import type { Span, TagScheme } from '../../shared/training'

export type { Span, TagScheme }

const OUTSIDE = 'O'

export function splitTag(tag: string): { prefix: string; type: string } {
  if (tag === OUTSIDE) return { prefix: 'O', type: '' }
  const dash = tag.indexOf('-')
  if (dash < 0) return { prefix: tag, type: '' }
  return { prefix: tag.slice(0, dash), type: tag.slice(dash + 1) }
}

function makeTag(prefix: string, type: string): string {
  return type ? `${prefix}-${type}` : prefix
}

/** Encode spans of a title of `length` code points into tags. Overlapping spans: first wins. */
export function encodeSpans(spans: readonly Span[], length: number, scheme: TagScheme, typed = true): string[] {
  const tags = new Array<string>(length).fill(OUTSIDE)
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end)
  for (const s of sorted) {
    if (s.start < 0 || s.end > length || s.end <= s.start) continue
    let free = true
    for (let i = s.start; i < s.end; i++) if (tags[i] !== OUTSIDE) free = false
    if (!free) continue
    const t = typed ? s.type : ''
    if (scheme === 'BIO') {
      tags[s.start] = makeTag('B', t)
      for (let i = s.start + 1; i < s.end; i++) tags[i] = makeTag('I', t)
    } else if (s.end - s.start === 1) {
      tags[s.start] = makeTag('S', t)
    } else {
      tags[s.start] = makeTag('B', t)
      for (let i = s.start + 1; i < s.end - 1; i++) tags[i] = makeTag('I', t)
      tags[s.end - 1] = makeTag('E', t)
    }
  }
  return tags
}

/** Decode tags into spans (see module doc for the handling of ill-formed sequences). */
export function decodeTags(tags: readonly string[], scheme: TagScheme): Span[] {
  const out: Span[] = []
  let open: { start: number; type: string } | null = null
  const close = (end: number): void => {
    if (open) out.push({ start: open.start, end, type: open.type })
    open = null
  }
  for (let i = 0; i < tags.length; i++) {
    const { prefix, type } = splitTag(tags[i]!)
    const cur = open as { start: number; type: string } | null
    switch (prefix) {
      case 'B':
        close(i)
        open = { start: i, type }
        break
      case 'I':
        if (!cur || cur.type !== type) {
          close(i)
          open = { start: i, type }
        }
        break
      case 'E':
        if (scheme === 'BIO') {
          // not a BIO tag: read as O
          close(i)
          break
        }
        if (!cur || cur.type !== type) {
          close(i)
          open = { start: i, type }
        }
        close(i + 1)
        break
      case 'S':
        close(i)
        if (scheme === 'BIOES') out.push({ start: i, end: i + 1, type })
        break
      default:
        close(i)
    }
  }
  close(tags.length)
  return out
}

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
export function typeTargets(spans: readonly Span[], length: number, types: TypeVocab): Int32Array {
  const out = new Int32Array(length).fill(-1)
  for (const s of spans) for (let i = Math.max(0, s.start); i < Math.min(length, s.end); i++) out[i] = types.id(s.type)
  return out
}

/**
 * Cascade decoding: each boundary span takes the type predicted at its last character.
 * `typeAt(i)` returns the type predicted at character i.
 */
export function cascadeDecode(boundaryTags: readonly string[], scheme: TagScheme, typeAt: (i: number) => string): Span[] {
  return decodeTags(boundaryTags, scheme).map((s) => ({ start: s.start, end: s.end, type: typeAt(s.end - 1) }))
}
