// Exporters' writing half: titles with spans → files. Output goes to a temporary file that is
// renamed into place at the end, so a failed or killed export never leaves a half-written file.

import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { StudioError } from '../shared/errors'
import { schemeOf, spansToTags, type PlainSpan, type SchemeName } from '../shared/tags'
import { chars } from '../shared/text'
import { csvField, formulaSafe } from './csv'
import { SEED_FILES, SEED_SPACE } from './readers'
import { sweepTempFiles, tempNameFor } from './temp'

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

/** Where an export may write, and what it must never write over. */
export interface WriteTarget {
  /** Replace a file that exists (the CLI's --force, the screen's "replace it?"). */
  overwrite?: boolean
  /** Files that must never be written over, whatever `overwrite` says (the open project). */
  protect?: string[]
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1')

function isSqliteFile(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
    if (!fstatSync(fd).isFile()) return false
    const head = Buffer.alloc(SQLITE_MAGIC.length)
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_MAGIC)
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino
}

/**
 * Refuse a target an export must not write: a SQLite file (a project, ours or not), the open
 * project or its -wal/-shm/-journal (by name and by identity: a hard link or symlink is the same
 * file), a directory or other non-regular file, and an existing file unless `overwrite`.
 */
export function checkWriteTarget(path: string, target: WriteTarget = {}): void {
  const resolved = resolve(path)
  for (const p of target.protect ?? []) {
    const names = ['', '-wal', '-shm', '-journal'].map((x) => resolve(p) + x)
    let same = names.includes(resolved)
    if (!same && existsSync(path) && existsSync(p)) same = sameFile(statSync(path), statSync(p))
    if (same) throw new StudioError('bad_request', `${path}: that is the open project's file; export to another file`)
  }
  if (!existsSync(path)) return
  const st = statSync(path)
  if (st.isDirectory()) throw new StudioError('bad_request', `${path}: is a directory; give a file name to export to`)
  if (!st.isFile()) throw new StudioError('bad_request', `${path}: is not a regular file (a FIFO, device or socket); export to a file`)
  if (isSqliteFile(path)) {
    throw new StudioError('bad_request', `${path}: is a SQLite database (a project?); an export never writes over one`)
  }
  if (!target.overwrite) throw new StudioError('conflict', `${path} already exists; replace it? (--force on the command line)`)
}

/**
 * A buffered, atomic file writer: the text goes to `<path>.tmp-<pid>` in the target's own folder
 * (same file system, so the final rename is atomic) and replaces the target only on commit. Without
 * `overwrite` the commit is a hard link, which fails rather than replace a file that appeared since.
 */
export class AtomicWriter {
  private fd: number
  private buf: string[] = []
  private size = 0
  private readonly tmp: string
  constructor(
    readonly path: string,
    private readonly target: WriteTarget = {},
  ) {
    checkWriteTarget(path, target)
    mkdirSync(dirname(path), { recursive: true })
    sweepTempFiles(dirname(path))
    this.tmp = tempNameFor(path)
    rmSync(this.tmp, { force: true })
    this.fd = openSync(this.tmp, 'wx')
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
    checkWriteTarget(this.path, this.target)
    if (!this.target.overwrite) {
      try {
        linkSync(this.tmp, this.path)
        rmSync(this.tmp, { force: true })
        return
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'EEXIST') throw new StudioError('conflict', `${this.path} already exists; replace it? (--force on the command line)`)
        // A file system without hard links: the check above is as close as it gets.
      }
    }
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
async function withWriters(paths: string[], target: WriteTarget, fn: (ws: AtomicWriter[]) => Promise<void>): Promise<void> {
  for (const p of paths) checkWriteTarget(p, target)
  const ws: AtomicWriter[] = []
  try {
    for (const p of paths) ws.push(new AtomicWriter(p, target))
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
 * `separator`. RFC 4180 quoting, CRLF line ends, UTF-8 with an optional BOM for Excel. Cells that a
 spreadsheet would run as a formula are escaped (see `formulaSafe`) unless `formulaEscape` is false.
 */
export async function writeAttributesCsv(
  out: string,
  types: string[],
  titles: AsyncIterable<ExportTitle> | Iterable<ExportTitle>,
  opts: { bom?: boolean; separator?: string; formulaEscape?: boolean } & WriteTarget = {},
): Promise<{ titles: number; spans: number }> {
  const sep = opts.separator ?? DEFAULT_VALUE_SEPARATOR
  const cell = opts.formulaEscape === false ? csvField : (v: string): string => csvField(formulaSafe(v))
  const col = new Map(types.map((t, i) => [t, i]))
  let n = 0
  let spans = 0
  await withWriters([out], opts, async ([w]) => {
    if (opts.bom) w!.write('\ufeff')
    w!.write(['id', 'title', ...types].map(cell).join(',') + '\r\n')
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
      w!.write([String(t.id), t.text, ...cells.map((c) => c.join(sep))].map(cell).join(',') + '\r\n')
      n++
    }
  })
  return { titles: n, spans }
}

/** CoNLL: `<char>\t<tag>` per line (a space character is written as itself), a blank line between titles. */
export async function writeConll(
  out: string,
  titles: AsyncIterable<ExportTitle> | Iterable<ExportTitle>,
  scheme: SchemeName,
  target: WriteTarget = {},
): Promise<{ titles: number; spans: number }> {
  let n = 0
  let spans = 0
  await withWriters([out], target, async ([w]) => {
    for await (const t of titles) {
      assertOneLine(t, 'CoNLL')
      const cps = chars(t.text)
      const tags = spansToTags(cps.length, t.spans, schemeOf(scheme))
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
  target: WriteTarget = {},
): Promise<{ titles: number; spans: number }> {
  let n = 0
  let spans = 0
  await withWriters([out], target, async ([w]) => {
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
  opts: { withWords: boolean } & WriteTarget,
): Promise<{ titles: number; spans: number }> {
  let n = 0
  let spans = 0
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    checkWriteTarget(dir, { ...opts, overwrite: true }) // the project, a SQLite file, a FIFO: their own message
    throw new StudioError('bad_request', `${dir}: is a file; the study's format is written to a folder`)
  }
  mkdirSync(dir, { recursive: true })
  await withWriters(
    seedFileNames(opts.withWords).map((f) => join(dir, f)),
    opts,
    async ([wc, wba, wb, wa, ww]) => {
      for await (const t of titles) {
        assertOneLine(t, 'seed')
        const cps = chars(t.text)
        const tok = cps.map((c) => (c === ' ' ? SEED_SPACE : c))
        wc!.write(tok.join(' ') + '\n')
        wba!.write(spansToTags(cps.length, t.spans, 'BIO').join(' ') + '\n')
        wb!.write(spansToTags(cps.length, t.spans, 'BIOES', { typed: false }).join(' ') + '\n')
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
