/**
 * Reader of the study's sample format (line-aligned `input.seq.char`, `input.seq.word`,
 * `output.seq.bioattr`): tokens separated by spaces, `[SPA]` = an original space.
 * Used by tests and benchmarks; the product's importers live in src-main/io.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Example } from '../../shared/training'
import { tagsToSpans } from '../../shared/tags'

const SPA = '[SPA]'

function lines(file: string): string[] {
  const t = readFileSync(file, 'utf8').split('\n')
  if (t[t.length - 1] === '') t.pop()
  return t
}

/** Read a seed-format directory into examples (words as lengths when they line up). */
export function readSeedDir(dir: string, limit = Infinity): Example[] {
  const chars = lines(path.join(dir, 'input.seq.char'))
  const tags = lines(path.join(dir, 'output.seq.bioattr'))
  const wordFile = path.join(dir, 'input.seq.word')
  const words = existsSync(wordFile) ? lines(wordFile) : null
  const out: Example[] = []
  for (let i = 0; i < Math.min(chars.length, limit); i++) {
    const toks = chars[i]!.split(' ').filter((x) => x !== '')
    const text = toks.map((c) => (c === SPA ? ' ' : c)).join('')
    const tg = tags[i]!.split(' ').filter((x) => x !== '')
    if (tg.length !== toks.length || Array.from(text).length !== toks.length) continue
    const ex: Example = { text, spans: tagsToSpans(tg, { mode: 'tolerant', scheme: 'BIO' }) }
    if (words) {
      const lens = words[i]!.split(' ')
        .filter((x) => x !== '')
        .map((w) => Array.from(w.split(SPA).join(' ')).length)
      if (lens.reduce((a, b) => a + b, 0) === toks.length) ex.words = lens
    }
    out.push(ex)
  }
  return out
}
