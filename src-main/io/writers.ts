// Exporters' writing half: titles with spans → files. Output goes to a temporary file that is
// renamed into place at the end, so a failed or killed export never leaves a half-written file.

import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { TagScheme } from '../shared/api'
import { StudioError } from '../shared/errors'
import { spansToBoundaryTags, spansToTags, type PlainSpan } from '../shared/tags'
import { chars } from '../shared/text'
import { csvField } from './csv'
import { SEED_FILES, SEED_SPACE } from './readers'

export interface ExportTitle {
  id: number
  text: string
  spans: PlainSpan[]
  words: number[] | null
}

/** Line-based formats (CoNLL, the study's folder) cannot hold a title with a line break in it. */
function assertOneLine(t: ExportTitle, format: string): void {
  if (/[\r\n]/.test(t.text)) {
    throw new StudioError(
      'bad_request',
      `title ${t.id} contains a line break, which the ${format} format cannot hold; export as JSONL or attributes CSV, or edit the title`,
    )
  }
}

/** A buffered, atomic file writer. */
export class AtomicWriter {
  private fd: number
  private buf: string[] = []
  private size = 0
  private readonly tmp: string
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true })
    this.tmp = `${path}.tmp-${process.pid}`
    this.fd = openSync(this.tmp, 'w')
  }
  write(s: string): void {
    this.buf.push(s)
    this.size += s.length
    if (this.size > 1 << 18) this.flush()
  }
  private flush(): void {
    if (this.buf.length) writeSync(this.fd, this.buf.join(''))
    this.buf = []
    this.size = 0
  }
  commit(): void {
    this.flush()
    closeSync(this.fd)
    renameSync(this.tmp, this.path)
  }
  abort(): void {
    try {
      closeSync(this.fd)
    } catch {
      /* already closed */
    }
    rmSync(this.tmp, { force: true })
  }
}

/** Write several files that all commit or all abort. */
async function withWriters(paths: string[], fn: (ws: AtomicWriter[]) => Promise<void>): Promise<void> {
  const ws = paths.map((p) => new AtomicWriter(p))
  try {
    await fn(ws)
    for (const w of ws) w.commit()
  } catch (e) {
    for (const w of ws) w.abort()
    throw e
  }
}

/** The separator between several values of one type in one attributes-CSV cell. */
export const DEFAULT_VALUE_SEPARATOR = '|'

/**
 * Attributes CSV: one row per title — id, title, then one column per entity type (given order)
 * holding the text of each span of that type, distinct values in title order joined by
 * `separator`. RFC 4180 quoting, CRLF line ends, UTF-8 with an optional BOM for Excel.
 */
export async function writeAttributesCsv(
  out: string,
  types: string[],
  titles: AsyncIterable<ExportTitle> | Iterable<ExportTitle>,
  opts: { bom?: boolean; separator?: string } = {},
): Promise<{ titles: number; spans: number }> {
  const sep = opts.separator ?? DEFAULT_VALUE_SEPARATOR
  const col = new Map(types.map((t, i) => [t, i]))
  let n = 0
  let spans = 0
  await withWriters([out], async ([w]) => {
    if (opts.bom) w!.write('\ufeff')
    w!.write(['id', 'title', ...types].map(csvField).join(',') + '\r\n')
    for await (const t of titles) {
      const cells: string[][] = types.map(() => [])
      const cps = chars(t.text)
      for (const s of t.spans) {
        const i = col.get(s.type)
        if (i === undefined) continue
        const v = cps.slice(s.start, s.end).join('')
        if (!cells[i]!.includes(v)) cells[i]!.push(v)
        spans++
      }
      w!.write([String(t.id), t.text, ...cells.map((c) => c.join(sep))].map(csvField).join(',') + '\r\n')
      n++
    }
  })
  return { titles: n, spans }
}

/** CoNLL: `<char>\t<tag>` per line (a space character is written as itself), a blank line between titles. */
export async function writeConll(
  out: string,
  titles: AsyncIterable<ExportTitle> | Iterable<ExportTitle>,
  scheme: TagScheme,
): Promise<{ titles: number; spans: number }> {
  let n = 0
  let spans = 0
  await withWriters([out], async ([w]) => {
    for await (const t of titles) {
      assertOneLine(t, 'CoNLL')
      const cps = chars(t.text)
      const tags = spansToTags(cps.length, t.spans, scheme)
      const lines = cps.map((c, i) => `${c}\t${tags[i]}\n`)
      w!.write(lines.join('') + '\n')
      n++
      spans += t.spans.length
    }
  })
  return { titles: n, spans }
}

/** doccano JSONL: `{"id", "text", "label": [[start, end, "TYPE"]]}`, offsets in code points. */
export async function writeJsonl(
  out: string,
  titles: AsyncIterable<ExportTitle> | Iterable<ExportTitle>,
): Promise<{ titles: number; spans: number }> {
  let n = 0
  let spans = 0
  await withWriters([out], async ([w]) => {
    for await (const t of titles) {
      w!.write(JSON.stringify({ id: t.id, text: t.text, label: t.spans.map((s) => [s.start, s.end, s.type]) }) + '\n')
      n++
      spans += t.spans.length
    }
  })
  return { titles: n, spans }
}

/** The files writeSeedFolder writes, in order (input.seq.word only with the words). */
export function seedFileNames(withWords: boolean): string[] {
  const names: string[] = [SEED_FILES.char, SEED_FILES.bioattr, SEED_FILES.bio, SEED_FILES.attr]
  if (withWords) names.push(SEED_FILES.word)
  return names
}

/**
 * The study's folder: input.seq.char (`[SPA]` for a space), output.seq.bioattr (BIO with types),
 * output.seq.bio (type-free BIOES), output.seq.attr (type per character, `null` outside), and
 * input.seq.word when every title carries its word segmentation.
 */
export async function writeSeedFolder(
  dir: string,
  titles: AsyncIterable<ExportTitle> | Iterable<ExportTitle>,
  opts: { withWords: boolean },
): Promise<{ titles: number; spans: number }> {
  let n = 0
  let spans = 0
  mkdirSync(dir, { recursive: true })
  await withWriters(
    seedFileNames(opts.withWords).map((f) => join(dir, f)),
    async ([wc, wba, wb, wa, ww]) => {
      for await (const t of titles) {
        assertOneLine(t, 'seed')
        const cps = chars(t.text)
        const tok = cps.map((c) => (c === ' ' ? SEED_SPACE : c))
        wc!.write(tok.join(' ') + '\n')
        wba!.write(spansToTags(cps.length, t.spans, 'bio').join(' ') + '\n')
        wb!.write(spansToBoundaryTags(cps.length, t.spans, 'bioes').join(' ') + '\n')
        const attr = new Array<string>(cps.length).fill('null')
        for (const s of t.spans) for (let i = s.start; i < s.end; i++) attr[i] = s.type
        wa!.write(attr.join(' ') + '\n')
        if (ww) {
          if (!t.words) throw new Error(`title ${t.id} has no word segmentation`)
          const words: string[] = []
          let o = 0
          for (const len of t.words) {
            words.push(tok.slice(o, o + len).join(''))
            o += len
          }
          ww.write(words.join(' ') + '\n')
        }
        n++
        spans += t.spans.length
      }
    },
  )
  return { titles: n, spans }
}
