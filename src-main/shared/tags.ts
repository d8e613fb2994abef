// BIO / BIOES tags <-> spans. PURE TypeScript, shared by the importers, exporters and the renderer.
// Offsets are code-point indices into the title; `end` is exclusive.

import type { TagScheme } from './api'

export interface PlainSpan {
  start: number
  end: number
  type: string
}

/** Tags for a title of `length` characters. Spans must not overlap. */
export function spansToTags(length: number, spans: readonly PlainSpan[], scheme: TagScheme): string[] {
  const tags = new Array<string>(length).fill('O')
  for (const s of spans) {
    const single = s.end - s.start === 1
    for (let i = s.start; i < s.end; i++) {
      let p: string
      if (scheme === 'bioes') p = single ? 'S' : i === s.start ? 'B' : i === s.end - 1 ? 'E' : 'I'
      else p = i === s.start ? 'B' : 'I'
      tags[i] = `${p}-${s.type}`
    }
  }
  return tags
}

/** Type-free boundary tags (the cascade's first task): B I E S O, or B I O. */
export function spansToBoundaryTags(length: number, spans: readonly PlainSpan[], scheme: TagScheme): string[] {
  return spansToTags(length, spans, scheme).map((t) => (t === 'O' ? 'O' : t[0]!))
}

export class TagError extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message)
  }
}

/** Split `B-品牌` into ['B', '品牌']; a bare `B` (type-free) gives ['B', '']. */
export function parseTag(tag: string): [string, string] {
  if (tag === 'O') return ['O', '']
  const p = tag[0]!
  if (tag.length === 1) return [p, '']
  if (tag[1] !== '-' || tag.length < 3) return ['?', tag]
  return [p, tag.slice(2)]
}

export interface DecodeOptions {
  /**
   * Repair stray continuations instead of throwing: an I- or E- that does not continue an entity
   * of its type starts a new one (the conlleval convention). Weak labels made by a model need it.
   */
  repair?: boolean
  /** Called once per repaired tag. */
  onRepair?: (position: number) => void
}

/**
 * Decoding of BIO or BIOES tags (both accepted; the prefixes say which). Strict by default: an I
 * or E must continue a B or I of the same type; an unknown tag or a stray continuation throws a
 * TagError naming the position, so a malformed file is reported, not guessed at.
 */
export function tagsToSpans(tags: readonly string[], opts: DecodeOptions = {}): PlainSpan[] {
  const spans: PlainSpan[] = []
  let open: PlainSpan | null = null
  const close = (): void => {
    if (open) spans.push(open)
    open = null
  }
  tags.forEach((tag, i) => {
    const [p, type] = parseTag(tag)
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
      case 'I':
      case 'E':
        if ((!open || open.type !== type) && opts.repair) {
          close()
          open = { start: i, end: i, type }
          opts.onRepair?.(i)
        }
        if (!open || open.type !== type) {
          const before = i === 0 ? 'at the start' : `after ${tags[i - 1]}`
          throw new TagError(i, `stray tag ${tag} at character ${i + 1} (${before})`)
        }
        open.end = i + 1
        if (p === 'E') close()
        break
      default:
        throw new TagError(i, `unknown tag "${tag}" at character ${i + 1} (expected O, B-, I-, E- or S-)`)
    }
  })
  close()
  return spans
}
