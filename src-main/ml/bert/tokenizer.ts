/**
 * Character-aligned tokenisation for Chinese BERT (`vocab.txt`, one token per line, id = line no.).
 *
 * Every Unicode code point of a title becomes exactly one token, so tags map 1:1 back to
 * characters — unlike BERT's WordPiece, which would merge Latin runs and digits ("iPhone12") into
 * sub-words and break the character alignment that NER tags need. Lookup for one character `c`
 * tries, in order: `c`; `c` lower-cased; NFKC(`c`) (full-width → half-width, e.g. `Ａ`→`A`,
 * `１`→`1`) when that is still one code point; its lower case; lower case with accents stripped
 * (what BERT's BasicTokenizer does for uncased vocabularies); else `[UNK]`.
 * Whitespace (Unicode White_Space) and control/format characters (categories Cc, Cf — e.g. the
 * zero-width joiner inside emoji sequences) are dropped: they get no token and no tag, as in
 * BERT's own `_clean_text` + whitespace split.
 */
import { readFileSync } from 'node:fs'

class VocabError extends Error {
  override name = 'VocabError'
}

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const

export class Vocab {
  readonly tokens: string[]
  readonly ids: Map<string, number>
  readonly pad: number
  readonly unk: number
  readonly cls: number
  readonly sep: number

  constructor(tokens: string[], source = 'vocab.txt') {
    this.tokens = tokens
    this.ids = new Map()
    tokens.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i)
    })
    const need = (t: string): number => {
      const id = this.ids.get(t)
      if (id === undefined) throw new VocabError(`${source}: missing special token ${t}`)
      return id
    }
    this.pad = need('[PAD]')
    this.unk = need('[UNK]')
    this.cls = need('[CLS]')
    this.sep = need('[SEP]')
  }

  static parse(text: string, source = 'vocab.txt'): Vocab {
    const lines = text.split(/\r?\n/)
    if (lines.length && lines[lines.length - 1] === '') lines.pop()
    if (lines.length === 0) throw new VocabError(`${source}: empty vocabulary`)
    return new Vocab(lines, source)
  }

  static read(path: string): Vocab {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (e) {
      throw new VocabError(`${path}: cannot read (${(e as Error).message})`)
    }
    return Vocab.parse(text, path)
  }

  get size(): number {
    return this.tokens.length
  }

  /** Id of one character (code point) following the lookup order in the module comment. */
  charId(ch: string): number {
    const direct = this.ids.get(ch)
    if (direct !== undefined) return direct
    const lower = ch.toLowerCase()
    const tryOne = (s: string): number | undefined => ([...s].length === 1 ? this.ids.get(s) : undefined)
    const nfkc = ch.normalize('NFKC')
    const stripped = lower.normalize('NFD').replace(/\p{Mn}/gu, '')
    return tryOne(lower) ?? tryOne(nfkc) ?? tryOne(nfkc.toLowerCase()) ?? tryOne(stripped) ?? tryOne(nfkc.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '')) ?? this.unk
  }
}

const DROP = /^[\p{White_Space}\p{Cc}\p{Cf}]$/u

interface TokenizedTitle {
  /** `[CLS]`, one id per kept character, `[SEP]`. */
  ids: number[]
  /**
   * For token position i (0 = `[CLS]`): the code-point offset of its character in the original
   * title, or -1 for `[CLS]`/`[SEP]`. `offsets.length === ids.length`.
   */
  offsets: number[]
  /** Same, as UTF-16 code-unit offsets (JavaScript string indices); -1 for specials. */
  utf16Offsets: number[]
  /** Number of code points in the title (so dropped characters can be reported untagged). */
  numChars: number
}

/** Tokenise one title character by character (no truncation; see `windows()` for long titles). */
export function tokenizeTitle(vocab: Vocab, title: string): TokenizedTitle {
  const ids = [vocab.cls]
  const offsets = [-1]
  const utf16Offsets = [-1]
  let cp = 0
  let u16 = 0
  for (const ch of title) {
    if (!DROP.test(ch)) {
      ids.push(vocab.charId(ch))
      offsets.push(cp)
      utf16Offsets.push(u16)
    }
    cp++
    u16 += ch.length
  }
  ids.push(vocab.sep)
  offsets.push(-1)
  utf16Offsets.push(-1)
  return { ids, offsets, utf16Offsets, numChars: cp }
}

interface Window {
  /** First character-token index (into the title's tokens without `[CLS]`/`[SEP]`). */
  start: number
  /** One past the last character-token index. */
  end: number
}

/**
 * Split `n` character tokens into windows of at most `maxLen` tokens (use
 * `maxPositions - 2` to leave room for `[CLS]`/`[SEP]`), consecutive windows starting `stride`
 * tokens apart (default `maxLen / 2` rounded down, i.e. 50 % overlap); the last window is aligned to
 * end at `n` so it is full length. A title with `n ≤ maxLen` gives one window. Each window is run
 * through the encoder as `[CLS] chars[start:end] [SEP]`.
 */
export function windows(n: number, maxLen: number, stride = Math.max(1, Math.floor(maxLen / 2))): Window[] {
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new RangeError(`windows: maxLen must be a positive integer, got ${maxLen}`)
  if (!Number.isInteger(stride) || stride < 1 || stride > maxLen) throw new RangeError(`windows: stride must be in [1, maxLen], got ${stride}`)
  if (n <= maxLen) return [{ start: 0, end: n }]
  const out: Window[] = []
  for (let start = 0; ; start += stride) {
    if (start + maxLen >= n) {
      out.push({ start: n - maxLen, end: n })
      break
    }
    out.push({ start, end: start + maxLen })
  }
  return out
}

/**
 * Join per-token outputs of overlapping windows back into one sequence of length `n`.
 * `outputs[w]` holds one value per character token of window w (length `end - start`, without
 * `[CLS]`/`[SEP]`). Where windows overlap, each position takes the value from the window in which it
 * is furthest from an edge (most context on both sides); ties go to the earlier window.
 */
export function joinWindows<T>(ws: Window[], outputs: T[][], n: number): T[] {
  if (ws.length !== outputs.length) throw new RangeError(`joinWindows: ${ws.length} windows but ${outputs.length} outputs`)
  const out = new Array<T>(n)
  const best = new Array<number>(n).fill(-1)
  ws.forEach((w, k) => {
    const o = outputs[k]!
    if (o.length !== w.end - w.start) throw new RangeError(`joinWindows: window ${k} has ${w.end - w.start} tokens but ${o.length} outputs`)
    for (let i = w.start; i < w.end; i++) {
      const margin = Math.min(i - w.start, w.end - 1 - i)
      if (margin > best[i]!) {
        best[i] = margin
        out[i] = o[i - w.start]!
      }
    }
  })
  for (let i = 0; i < n; i++) if (best[i] === -1) throw new RangeError(`joinWindows: position ${i} is covered by no window`)
  return out
}

/** Ids of one window with `[CLS]`/`[SEP]`: `enc` from `tokenizeTitle`. */
export function windowIds(vocab: Vocab, enc: TokenizedTitle, w: Window): number[] {
  return [vocab.cls, ...enc.ids.slice(1 + w.start, 1 + w.end), vocab.sep]
}

/** Pad a batch of id sequences to the longest; returns ids, attention mask (1 = real) and length. */
export function padBatch(vocab: Vocab, seqs: number[][]): { ids: number[][]; mask: number[][]; seqLen: number } {
  const seqLen = Math.max(1, ...seqs.map((s) => s.length))
  return {
    ids: seqs.map((s) => [...s, ...new Array<number>(seqLen - s.length).fill(vocab.pad)]),
    mask: seqs.map((s) => [...new Array<number>(s.length).fill(1), ...new Array<number>(seqLen - s.length).fill(0)]),
    seqLen,
  }
}
