// Importers' parsing half: each format becomes a stream of titles with their spans. Nothing here
// touches the project; services/import.ts commits what these yield in one transaction.
// Every error is an InputError naming the file, the line and the problem.

import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ImportFormat } from '../shared/api'
import { InputError, StudioError } from '../shared/errors'
import { isTag, tagsToSpans, TagError, type PlainSpan } from '../shared/tags'
import { chars } from '../shared/text'
import { readLines, type LineSource } from './lines'
import { parseCsvRecords } from './csv'

export interface ParsedTitle {
  text: string
  spans: PlainSpan[]
  /** Word lengths in code points (the study's input.seq.word), when the file gives them. */
  words?: number[]
  /** Where the title started, for messages: `file:line`. */
  source: string
}

export interface ReaderOptions {
  /** CSV: the column holding the title. */
  column?: string
  /** Repair stray I-/E- tags (they start a new entity) instead of refusing the file. */
  repairTags?: boolean
}

export interface TitleReader {
  format: ImportFormat
  /** Tags repaired so far (with repairTags). */
  repaired(): number
  files: string[]
  bytesTotal: number
  bytesRead(): number
  titles: AsyncIterableIterator<ParsedTitle>
}

/** Longest title accepted, in code points. */
export const MAX_TITLE_CHARS = 10_000

/** Guess the format: a folder is the study's, then the first lines with the name (io/sniff.ts). */
export { sniffFormat as detectFormat } from './sniff'

const IMPORT_FORMATS: readonly string[] = ['seed', 'conll', 'jsonl', 'text', 'csv'] satisfies ImportFormat[]

export function openReader(path: string, format: ImportFormat, opts: ReaderOptions = {}): TitleReader {
  let repaired = 0
  const decode: TagDecoder = (tags) =>
    tagsToSpans(tags, opts.repairTags ? { mode: 'repair', onRepair: () => void repaired++ } : {})
  // Clients other than the CLI (HTTP, IPC) may send any string.
  if (!IMPORT_FORMATS.includes(format)) {
    throw new StudioError('bad_request', `unknown import format "${String(format)}" (${IMPORT_FORMATS.join(', ')})`)
  }
  if (!existsSync(path)) throw new InputError(path, 0, 'no such file or folder')
  const isDir = statSync(path).isDirectory()
  if (format === 'seed') {
    if (!isDir) throw new InputError(path, 0, 'the study format is a folder holding input.seq.char and output.seq.*')
    return { ...seedReader(path, decode), repaired: () => repaired }
  }
  if (isDir) throw new InputError(path, 0, `is a directory; format ${format} reads one file`)
  const src = readLines(path)
  const wrap = (titles: AsyncGenerator<ParsedTitle>): TitleReader => ({
    format,
    files: [path],
    bytesTotal: src.bytesTotal,
    bytesRead: src.bytesRead,
    repaired: () => repaired,
    titles: emptyCheck(src.name, titles),
  })
  switch (format) {
    case 'conll':
      return wrap(conllTitles(src, decode))
    case 'jsonl':
      return wrap(jsonlTitles(src))
    case 'text':
      return wrap(textTitles(src))
    case 'csv':
      return wrap(csvTitles(src, opts.column))
  }
}

/** An empty file is an error, not a silent no-op. */
async function* emptyCheck(name: string, titles: AsyncGenerator<ParsedTitle>): AsyncGenerator<ParsedTitle> {
  let n = 0
  for await (const t of titles) {
    n++
    yield t
  }
  if (n === 0) throw new InputError(name, 1, 'the file holds no titles (is it empty?)')
}

function checkTitle(name: string, no: number, text: string): number {
  checkChars(name, no, text, 'the title')
  const n = chars(text).length
  if (n > MAX_TITLE_CHARS) throw new InputError(name, no, `title of ${n} characters (at most ${MAX_TITLE_CHARS})`)
  return n
}

/**
 * Text that cannot be stored as a title: a NUL, or a lone UTF-16 surrogate (JSON's "\ud800"), which
 * is no character at all — stored, it would turn into U+FFFD and shift every offset after it.
 */
function checkChars(name: string, no: number, text: string, what: string): void {
  const nul = text.indexOf('\0')
  if (nul >= 0) throw new InputError(name, no, `${what} holds a NUL character (at UTF-16 index ${nul})`)
  const lone = /\p{Cs}/u.exec(text)
  if (lone) {
    const hex = lone[0].charCodeAt(0).toString(16).toUpperCase()
    throw new InputError(name, no, `${what} holds a lone surrogate \\u${hex} (not a character: the text is damaged)`)
  }
}

/** Deepest JSON nesting accepted on one line: a title's record needs 3 levels. */
export const MAX_JSON_DEPTH = 64

/** The nesting depth of a JSON text (brackets outside strings), stopping once it passes `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return max
}

// ------------------------------------------------------------------ the study's folder format

/** The files of the study's folder format. */
export const SEED_FILES = {
  char: 'input.seq.char',
  word: 'input.seq.word',
  bioattr: 'output.seq.bioattr',
  bio: 'output.seq.bio',
  attr: 'output.seq.attr',
} as const

/** `[SPA]` stands for a space in the study's files. */
export const SEED_SPACE = '[SPA]'

/** Tags → spans, strict or repairing per the import's options. */
type TagDecoder = (tags: readonly string[]) => PlainSpan[]

function seedReader(dir: string, decode: TagDecoder): Omit<TitleReader, 'repaired'> {
  const has = (f: string): boolean => existsSync(join(dir, f))
  if (!has(SEED_FILES.char)) throw new InputError(join(dir, SEED_FILES.char), 0, 'missing (the study format needs it)')
  const labelled = has(SEED_FILES.bioattr) ? 'bioattr' : has(SEED_FILES.bio) && has(SEED_FILES.attr) ? 'pair' : 'none'
  if (labelled === 'none' && (has(SEED_FILES.bio) || has(SEED_FILES.attr))) {
    const missing = has(SEED_FILES.bio) ? SEED_FILES.attr : SEED_FILES.bio
    throw new InputError(join(dir, missing), 0, 'missing: the cascade pair needs both output.seq.bio and output.seq.attr')
  }
  const names: string[] = [SEED_FILES.char]
  if (labelled === 'bioattr') names.push(SEED_FILES.bioattr)
  if (labelled === 'pair') names.push(SEED_FILES.bio, SEED_FILES.attr)
  if (has(SEED_FILES.word)) names.push(SEED_FILES.word)
  const sources = names.map((n) => readLines(join(dir, n)))
  const byName = new Map(names.map((n, i) => [n, sources[i]!]))

  async function* gen(): AsyncGenerator<ParsedTitle> {
    try {
      yield* seedTitles()
    } finally {
      // The line readers are pulled by hand (not by for-await), so close them by hand: an error or
      // an early stop would otherwise leave their files open.
      await Promise.all(sources.map((s) => s.lines.return?.(undefined)))
    }
  }

  async function* seedTitles(): AsyncGenerator<ParsedTitle> {
    let count = 0
    for (;;) {
      const rows = await Promise.all(sources.map((s) => s.lines.next()))
      const ended = rows.map((r) => r.done === true)
      if (ended.every(Boolean)) break
      if (ended.some(Boolean)) {
        const short = sources[ended.indexOf(true)]!
        const long = sources[ended.indexOf(false)]!
        throw new InputError(
          short.name,
          count + 1,
          `has ${count} lines but ${long.name} has more: the study's files must be line-aligned`,
        )
      }
      count++
      const line = (n: string): { no: number; text: string } | null => {
        const s = byName.get(n)
        return s ? (rows[sources.indexOf(s)]!.value as { no: number; text: string }) : null
      }
      const charLine = line(SEED_FILES.char)!
      const charName = byName.get(SEED_FILES.char)!.name
      const toks = tokens(charLine.text, charName, charLine.no)
      const cps = toks.map((t) => (t === SEED_SPACE ? [' '] : chars(t)))
      const text = cps.map((c) => c.join('')).join('')
      const length = checkTitle(charName, charLine.no, text)
      const tokSpanToChars = tokenSpansToChars(cps.map((c) => c.length))
      let spans: PlainSpan[] = []
      if (labelled === 'bioattr') {
        const l = line(SEED_FILES.bioattr)!
        const name = byName.get(SEED_FILES.bioattr)!.name
        const tags = alignedTokens(l.text, name, l.no, toks.length, charName)
        spans = spansOfLine(decode, tags, name, l.no).map(tokSpanToChars)
      } else if (labelled === 'pair') {
        const lb = line(SEED_FILES.bio)!
        const la = line(SEED_FILES.attr)!
        const nb = byName.get(SEED_FILES.bio)!.name
        const na = byName.get(SEED_FILES.attr)!.name
        const bio = alignedTokens(lb.text, nb, lb.no, toks.length, charName)
        const attr = alignedTokens(la.text, na, la.no, toks.length, charName)
        for (const [i, t] of bio.entries()) {
          if (!/^[BIESO]$/.test(t)) throw new InputError(nb, lb.no, `unknown boundary tag "${t}" at character ${i + 1} (expected B, I, E, S or O)`)
        }
        const bounds = spansOfLine(decode, bio, nb, lb.no)
        spans = bounds.map((b) => {
          const type = attr[b.start]!
          for (let i = b.start; i < b.end; i++) {
            if (attr[i] !== type) {
              throw new InputError(na, la.no, `type changes inside an entity at character ${i + 1} ("${type}" then "${attr[i]}")`)
            }
          }
          if (type === 'null') throw new InputError(na, la.no, `entity at characters ${b.start + 1}-${b.end} has type null`)
          return tokSpanToChars({ start: b.start, end: b.end, type })
        })
        for (let i = 0; i < attr.length; i++) {
          if (bio[i] === 'O' && attr[i] !== 'null') {
            throw new InputError(na, la.no, `character ${i + 1} has type "${attr[i]}" but boundary tag O`)
          }
        }
      }
      let words: number[] | undefined
      const wl = line(SEED_FILES.word)
      if (wl) {
        const name = byName.get(SEED_FILES.word)!.name
        words = tokens(wl.text, name, wl.no).map((w) => (w === SEED_SPACE ? 1 : chars(w).length))
        const total = words.reduce((a, b) => a + b, 0)
        if (total !== length) {
          throw new InputError(name, wl.no, `words cover ${total} characters but the title has ${length} (${charName} line ${charLine.no})`)
        }
      }
      yield { text, spans, ...(words ? { words } : {}), source: `${charName}:${charLine.no}` }
    }
    if (count === 0) throw new InputError(charNameOf(), 1, 'the file holds no titles (is it empty?)')
  }
  const charNameOf = (): string => byName.get(SEED_FILES.char)!.name
  return {
    format: 'seed',
    files: names.map((n) => join(dir, n)),
    bytesTotal: sources.reduce((a, s) => a + s.bytesTotal, 0),
    bytesRead: () => sources.reduce((a, s) => a + s.bytesRead(), 0),
    titles: gen(),
  }
}

/** Spans over tokens → spans over code points, given each token's length (a token is normally one code point). */
function tokenSpansToChars(lengths: readonly number[]): (s: PlainSpan) => PlainSpan {
  const offs = [0]
  for (const n of lengths) offs.push(offs[offs.length - 1]! + n)
  return (s) => ({ start: offs[s.start]!, end: offs[s.end]!, type: s.type })
}

function tokens(text: string, name: string, no: number): string[] {
  if (text.length === 0) throw new InputError(name, no, 'empty line (every line must hold one title)')
  const toks = text.split(' ')
  const empty = toks.indexOf('')
  if (empty >= 0) throw new InputError(name, no, `empty token at position ${empty + 1} (tokens are separated by single spaces)`)
  return toks
}

function alignedTokens(text: string, name: string, no: number, want: number, charName: string): string[] {
  const toks = tokens(text, name, no)
  if (toks.length !== want) {
    throw new InputError(name, no, `has ${toks.length} tags but ${charName} has ${want} characters on this line`)
  }
  return toks
}

function spansOfLine(decode: TagDecoder, tags: string[], name: string, no: number): PlainSpan[] {
  try {
    const spans = decode(tags)
    for (const s of spans) if (!s.type && name.endsWith('bioattr')) throw new TagError(s.start, `tag "${tags[s.start]}" has no type`)
    return spans
  } catch (e) {
    if (e instanceof TagError) throw new InputError(name, no, e.message)
    throw e
  }
}

// ------------------------------------------------------------------ CoNLL: one character per line

async function* conllTitles(src: LineSource, decode: TagDecoder): AsyncGenerator<ParsedTitle> {
  let toks: string[] = []
  let tags: string[] = []
  let firstLine = 0
  const flush = (): ParsedTitle | null => {
    if (toks.length === 0) return null
    const text = toks.join('')
    checkTitle(src.name, firstLine, text)
    let spans: PlainSpan[]
    try {
      spans = decode(tags)
    } catch (e) {
      if (e instanceof TagError) throw new InputError(src.name, firstLine + e.position, e.message)
      throw e
    }
    const toChars = tokenSpansToChars(toks.map((t) => chars(t).length))
    const out = spans.map((s) => {
      if (!s.type) throw new InputError(src.name, firstLine + s.start, `tag "${tags[s.start]}" has no type`)
      return toChars(s)
    })
    const t: ParsedTitle = { text, spans: out, source: `${src.name}:${firstLine}` }
    toks = []
    tags = []
    return t
  }
  for await (const { no, text } of src.lines) {
    if (text.trim() === '') {
      const t = flush()
      if (t) yield t
      continue
    }
    if (text.startsWith('-DOCSTART-')) continue
    // The tag follows the last space or tab; everything before that one separator is the character,
    // which may itself be a space ("  O").
    const sep = Math.max(text.lastIndexOf(' '), text.lastIndexOf('\t'))
    if (sep <= 0) {
      throw new InputError(src.name, no, `expected "<character><tab or space><tag>", got ${JSON.stringify(text.slice(0, 40))}`)
    }
    const tok = text.slice(0, sep)
    const tag = text.slice(sep + 1)
    // The character is one token: "品 NN B-HP" has a column too many (its middle is not the title's).
    // A space or tab character is written as itself ("  O"), so a lone blank token is fine.
    if (tok.length > 1 && /[ \t]/.test(tok)) {
      const cols = text.split(/[ \t]+/).length
      throw new InputError(src.name, no, `${cols} columns in ${JSON.stringify(text.slice(0, 40))}: expected two, "<character><tab or space><tag>"`)
    }
    if (!isTag(tag)) {
      throw new InputError(src.name, no, `unknown tag "${tag}" (expected O, B-, I-, E- or S-)`)
    }
    if (toks.length === 0) firstLine = no
    toks.push(tok)
    tags.push(tag)
  }
  const t = flush()
  if (t) yield t
}

// ------------------------------------------------------------------ JSONL (doccano and spans)

async function* jsonlTitles(src: LineSource): AsyncGenerator<ParsedTitle> {
  for await (const { no, text } of src.lines) {
    if (text.trim() === '') continue
    const depth = jsonDepth(text, MAX_JSON_DEPTH)
    if (depth > MAX_JSON_DEPTH) throw new InputError(src.name, no, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`)
    let obj: unknown
    try {
      obj = JSON.parse(text)
    } catch (e) {
      throw new InputError(src.name, no, `not valid JSON (${(e as Error).message})`)
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new InputError(src.name, no, 'expected a JSON object with "text"')
    }
    const o = obj as Record<string, unknown>
    if (typeof o.text !== 'string') throw new InputError(src.name, no, 'missing "text" (a string)')
    const len = checkTitle(src.name, no, o.text)
    const raw: [unknown, unknown, unknown][] = []
    if (o.label !== undefined) {
      if (!Array.isArray(o.label)) throw new InputError(src.name, no, '"label" must be an array of [start, end, "TYPE"]')
      for (const l of o.label) {
        if (!Array.isArray(l) || l.length !== 3) throw new InputError(src.name, no, `bad label ${JSON.stringify(l)}: expected [start, end, "TYPE"]`)
        raw.push([l[0], l[1], l[2]])
      }
    }
    for (const key of ['spans', 'entities'] as const) {
      const v = o[key]
      if (v === undefined) continue
      if (!Array.isArray(v)) throw new InputError(src.name, no, `"${key}" must be an array`)
      for (const s of v as Record<string, unknown>[]) {
        if (typeof s !== 'object' || s === null) throw new InputError(src.name, no, `bad ${key} entry ${JSON.stringify(s)}`)
        raw.push([s.start ?? s.start_offset, s.end ?? s.end_offset, s.label ?? s.type])
      }
    }
    const spans: PlainSpan[] = raw.map(([s, e, t]) => {
      if (!Number.isInteger(s) || !Number.isInteger(e) || typeof t !== 'string' || !t) {
        throw new InputError(src.name, no, `bad span ${JSON.stringify([s, e, t])}: need integer start, end and a type`)
      }
      checkChars(src.name, no, t, 'a span type')
      const start = s as number
      const end = e as number
      if (start < 0 || end <= start || end > len) {
        throw new InputError(src.name, no, `span [${start}, ${end}) ${t} is outside the title (${len} characters, offsets in code points)`)
      }
      return { start, end, type: t }
    })
    spans.sort((a, b) => a.start - b.start)
    for (let i = 1; i < spans.length; i++) {
      const a = spans[i - 1]!
      const b = spans[i]!
      if (b.start < a.end) {
        throw new InputError(src.name, no, `spans [${a.start}, ${a.end}) ${a.type} and [${b.start}, ${b.end}) ${b.type} overlap (entities are flat)`)
      }
    }
    yield { text: o.text, spans, source: `${src.name}:${no}` }
  }
}

// ------------------------------------------------------------------ plain text and CSV

async function* textTitles(src: LineSource): AsyncGenerator<ParsedTitle> {
  for await (const { no, text } of src.lines) {
    if (text.trim() === '') continue
    checkTitle(src.name, no, text)
    yield { text, spans: [], source: `${src.name}:${no}` }
  }
}

async function* csvTitles(src: LineSource, column?: string): AsyncGenerator<ParsedTitle> {
  let col = -1
  for await (const rec of parseCsvRecords(src)) {
    if (col < 0) {
      const header = rec.fields.map((h) => h.trim())
      const wanted = column ? [column] : ['title', 'text']
      col = header.findIndex((h) => wanted.includes(h.toLowerCase()) || wanted.includes(h))
      if (col < 0) {
        throw new InputError(src.name, rec.line, `no column named ${wanted.map((w) => `"${w}"`).join(' or ')} in the header (${header.join(', ')})`)
      }
      continue
    }
    if (rec.fields.length === 1 && rec.fields[0] === '') continue
    const text = rec.fields[col]
    if (text === undefined) throw new InputError(src.name, rec.line, `row has ${rec.fields.length} fields; the title column is number ${col + 1}`)
    if (text.trim() === '') continue
    checkTitle(src.name, rec.line, text)
    yield { text, spans: [], source: `${src.name}:${rec.line}` }
  }
}
