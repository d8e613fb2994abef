/**
 * Word segmentation for the word-level feature (WLF). A title's words are given as word lengths
 * in code points (the study's `input.seq.word`), or cut with @node-rs/jieba (HMM on). Each
 * character then carries the word that covers it.
 */
import { createRequire } from 'node:module'

type JiebaLike = { cut(s: string, hmm?: boolean): string[] }
let jieba: JiebaLike | null = null

function getJieba(): JiebaLike {
  if (jieba) return jieba
  const req = createRequire(__filename)
  const { Jieba } = req('@node-rs/jieba') as { Jieba: { withDict(d: Uint8Array): JiebaLike } }
  const { dict } = req('@node-rs/jieba/dict') as { dict: Uint8Array }
  jieba = Jieba.withDict(dict)
  return jieba
}

/** Word lengths (in code points) of `text` from jieba with HMM. Sums to `Array.from(text).length`. */
function segmentWords(text: string): number[] {
  if (!text) return []
  const out: number[] = []
  for (const w of getJieba().cut(text, true)) {
    const n = Array.from(w).length
    if (n > 0) out.push(n)
  }
  return out
}

/**
 * The covering word of each character: `chars.length` strings. Uses `words` (lengths) when they
 * fit the title exactly, else jieba.
 */
export function wordPerChar(chars: readonly string[], words?: readonly number[]): string[] {
  let lens = words
  if (!lens || lens.reduce((a, b) => a + b, 0) !== chars.length || lens.some((n) => n <= 0)) {
    lens = segmentWords(chars.join(''))
  }
  const out: string[] = []
  let i = 0
  for (const n of lens) {
    const w = chars.slice(i, i + n).join('')
    for (let k = 0; k < n; k++) out.push(w)
    i += n
  }
  while (out.length < chars.length) out.push(chars[out.length]!)
  return out
}
