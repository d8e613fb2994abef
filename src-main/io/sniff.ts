// Format detection that reads the file, not only its name: a CoNLL file read as plain
// text once made 561,812 titles like "小 B-8". The first lines decide; where they carry tags and
// the name does not say CoNLL, detection refuses to choose between conll and text and asks.
// Plus the warnings an import (or its preview) gives for suspect results.

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import type { ImportFormat } from '../shared/api'
import { InputError } from '../shared/errors'

/** One character (or a space written as itself), white space, then an O or a B/I/E/S/M- tag. */
export const TAG_LINE = /^(?:\S|[ \t])[ \t]+(?:O|[BIESM]-\S+)$/u

const CONLL_NAME = /\.(conll|bio|bioes|bieos|iob|iobes|tsv)$/
/** Bytes read to decide (enough for ~50 lines of any of the formats). */
const SNIFF_BYTES = 64 * 1024
const SNIFF_LINES = 50

/** The first non-blank lines of a file (at most SNIFF_LINES), BOM and CR removed. */
export function firstLines(path: string): string[] {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(SNIFF_BYTES)
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0)
    let text = new TextDecoder('utf-8').decode(buf.subarray(0, n))
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    const lines = text.split('\n')
    if (n === SNIFF_BYTES) lines.pop() // the last line may be cut
    return lines
      .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
      .filter((l) => l.trim() !== '')
      .slice(0, SNIFF_LINES)
  } finally {
    closeSync(fd)
  }
}

/** Whether most of these lines are `character tag` lines (CoNLL). */
export function looksTagged(lines: readonly string[]): boolean {
  if (lines.length === 0) return false
  const tagged = lines.filter((l) => TAG_LINE.test(l)).length
  return tagged >= Math.max(1, Math.ceil(lines.length * 0.8))
}

/**
 * The format of `path`: a folder is the study's; then the first lines and the name together. Throws
 * an InputError (line 1) where they disagree or where tags are present without a CoNLL name.
 */
export function sniffFormat(path: string): ImportFormat {
  if (!existsSync(path)) throw new InputError(path, 0, 'no such file or folder')
  if (statSync(path).isDirectory()) return 'seed'
  const lower = path.toLowerCase()
  const lines = firstLines(path)
  const json = lines.length > 0 && lines[0]!.trimStart().startsWith('{')
  if (lower.endsWith('.jsonl') || lower.endsWith('.json') || (json && !CONLL_NAME.test(lower) && !lower.endsWith('.csv'))) {
    return 'jsonl'
  }
  if (lower.endsWith('.csv')) return 'csv'
  if (CONLL_NAME.test(lower)) {
    // The name says CoNLL: one tagged line is enough (the reader names any bad line precisely).
    if (lines.length === 0 || lines.some((l) => TAG_LINE.test(l))) return 'conll'
    throw new InputError(
      path,
      1,
      `the name says CoNLL but the first lines are not "character tag" lines (e.g. ${JSON.stringify(lines[0]!.slice(0, 30))}); choose the format`,
    )
  }
  if (looksTagged(lines)) {
    throw new InputError(
      path,
      1,
      `the first lines look like CoNLL (one character and a tag per line, e.g. ${JSON.stringify(lines[0])}): ` +
        'choose "conll" to read the tags, or "text" to import every line as a title',
    )
  }
  return 'text'
}

/** Formats that carry labels: importing one with no span at all is suspect. */
const LABELLED: readonly ImportFormat[] = ['seed', 'conll', 'jsonl']

/**
 * Warnings for a suspect import result: titles that are a character and a tag (a tagged file read as
 * text, one title per line), or no span at all from a labelled format.
 */
export function suspectImport(format: ImportFormat, titles: number, spans: number, tagLike: number): string[] {
  const out: string[] = []
  if (titles > 0 && tagLike >= Math.max(2, titles / 2)) {
    out.push(
      `${tagLike.toLocaleString('en-US')} of ${titles.toLocaleString('en-US')} titles are one character and a tag (like "小 B-8"): ` +
        `this looks like a CoNLL file read as ${format}; undo the import and choose conll`,
    )
  }
  if (titles > 0 && spans === 0 && LABELLED.includes(format)) {
    out.push(`no span at all from a labelled format (${format}): every tag was O or the labels were not read — is this the right file?`)
  }
  return out
}
