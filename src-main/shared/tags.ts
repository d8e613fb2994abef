// The tag codec: spans <-> BIO / BIOES tags, ONE for the importers, exporters, the engine and the
// renderer. PURE TypeScript. Offsets are code-point indices into the title; `end` is exclusive.

/** A tag scheme (the engine's configs and checkpoints spell it so). */
export type TagScheme = 'BIO' | 'BIOES'

/** A span without storage fields: what the codec, the engine and the file formats exchange. */
export interface PlainSpan {
  start: number
  end: number
  type: string
}

/** The scheme as requests, the CLI (`--scheme`) and the export screen spell it. */
export type SchemeName = Lowercase<TagScheme>

/** `bio`/`BIO`, `bioes`/`BIOES` (requests and the CLI spell it in lower case) → the scheme. */
export function schemeOf(name: string): TagScheme {
  const s = name.toUpperCase()
  if (s === 'BIO' || s === 'BIOES') return s
  throw new Error(`unknown tag scheme "${name}" (bio or bioes)`)
}

/**
 * `B-品牌` → { prefix: 'B', type: '品牌' }; a bare `B` (type-free, the cascade's boundary tags) →
 * type ''; `O` → prefix 'O'. A tag of no known form (`X`, `B_x`, `B-`) has prefix '?'.
 */
export function splitTag(tag: string): { prefix: string; type: string } {
  if (tag === 'O') return { prefix: 'O', type: '' }
  const p = tag[0] ?? '?'
  if (tag.length === 1) return { prefix: 'BIES'.includes(p) ? p : '?', type: '' }
  if (tag[1] !== '-' || tag.length < 3 || !'BIESO'.includes(p)) return { prefix: '?', type: tag }
  return { prefix: p, type: tag.slice(2) }
}

/** A tag of a known form (O, B, I, E, S, with or without `-type`). */
export function isTag(tag: string): boolean {
  return splitTag(tag).prefix !== '?'
}

/**
 * Tags of a title of `length` characters. A span out of range, empty, or overlapping an earlier
 * one (by start, longer first) is skipped. `typed: false` gives type-free tags (`B I E S O`).
 */
export function spansToTags(length: number, spans: readonly PlainSpan[], scheme: TagScheme, opts: { typed?: boolean } = {}): string[] {
  const typed = opts.typed ?? true
  const tags = new Array<string>(length).fill('O')
  const tag = (prefix: string, type: string): string => (typed && type ? `${prefix}-${type}` : prefix)
  for (const s of keptSpans(length, spans)) {
    if (scheme === 'BIOES' && s.end - s.start === 1) {
      tags[s.start] = tag('S', s.type)
      continue
    }
    tags[s.start] = tag('B', s.type)
    for (let i = s.start + 1; i < s.end; i++) tags[i] = tag('I', s.type)
    if (scheme === 'BIOES') tags[s.end - 1] = tag('E', s.type)
  }
  return tags
}

/**
 * The spans that tag a title of `length` characters (spansToTags): those inside it, by start then
 * longest first, each kept only if it overlaps no span kept before it.
 */
export function keptSpans<S extends PlainSpan>(length: number, spans: readonly S[]): S[] {
  const taken = new Uint8Array(Math.max(0, length))
  const kept: S[] = []
  for (const s of [...spans].sort((a, b) => a.start - b.start || b.end - a.end)) {
    if (s.start < 0 || s.end > length || s.end <= s.start || taken.subarray(s.start, s.end).includes(1)) continue
    taken.fill(1, s.start, s.end)
    kept.push(s)
  }
  return kept
}

export class TagError extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * How `tagsToSpans` treats an ill-formed sequence:
 * - `strict`: an unknown tag, or an I/E that does not continue a B or I of its type, throws a
 *   TagError naming the position — a malformed file is reported, not guessed at;
 * - `repair`: such an I/E opens a new entity (the conlleval convention; weak labels made by a
 *   model need it), reported through `onRepair`; an unknown tag still throws;
 * - `tolerant` (the engine's decode of predicted tags): as `repair`, silently, and an unknown tag
 *   (or one outside `scheme`) reads as O.
 */
export type DecodeMode = 'strict' | 'repair' | 'tolerant'

export interface DecodeOptions {
  /** Default `strict`. */
  mode?: DecodeMode
  /** The prefixes the tags may use (BIO: no E, S); absent: both schemes' (the prefixes say which). */
  scheme?: TagScheme
  /** Called once per repaired tag (`repair`). */
  onRepair?: (position: number) => void
}

/**
 * Spans of BIO or BIOES tags: B (and S) open an entity, I and E continue one of the same type, E
 * and S close it; an entity still open at O, B, S or the end is closed there.
 */
export function tagsToSpans(tags: readonly string[], opts: DecodeOptions = {}): PlainSpan[] {
  const mode = opts.mode ?? 'strict'
  const spans: PlainSpan[] = []
  let open: PlainSpan | null = null
  const close = (): void => {
    if (open) spans.push(open)
    open = null
  }
  tags.forEach((tag, i) => {
    const split = splitTag(tag)
    const type = split.type
    let p = split.prefix
    if (opts.scheme === 'BIO' && (p === 'E' || p === 'S')) p = '?'
    if (p === '?') {
      if (mode !== 'tolerant') throw new TagError(i, `unknown tag "${tag}" at character ${i + 1} (expected O, B-, I-, E- or S-)`)
      p = 'O'
    }
    switch (p) {
      case 'O':
        close()
        break
      case 'B':
      case 'S':
        close()
        open = { start: i, end: i + 1, type }
        if (p === 'S') close()
        break
      default: {
        // I, E
        const cur = open as PlainSpan | null
        if (!cur || cur.type !== type) {
          if (mode === 'strict') {
            const before = i === 0 ? 'at the start' : `after ${tags[i - 1]}`
            throw new TagError(i, `stray tag ${tag} at character ${i + 1} (${before})`)
          }
          close()
          open = { start: i, end: i, type }
          if (mode === 'repair') opts.onRepair?.(i)
        }
        open!.end = i + 1
        if (p === 'E') close()
      }
    }
  })
  close()
  return spans
}
