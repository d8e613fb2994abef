// Code-point helpers. A title's characters are its Unicode code points: a Chinese character, a Latin
// letter, a digit, an emoji (e.g. U+1F600, two UTF-16 units) each count as one.

/** The code points of `text` as strings. */
export function chars(text: string): string[] {
  return Array.from(text)
}

/** Length of `text` in code points. */
export function cpLength(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // A high surrogate followed by a low one is a single code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    n++
  }
  return n
}

/** Slice by code-point offsets [start, end). */
export function cpSlice(text: string, start: number, end?: number): string {
  return chars(text).slice(start, end).join('')
}

/** A grapheme cluster: what a reader sees as one character, as code points [start, end). */
export interface Cluster {
  start: number
  end: number
  text: string
}

const segmenter = new Intl.Segmenter('zh', { granularity: 'grapheme' })

/**
 * The grapheme clusters of `text` (Intl.Segmenter): 👍🏽, 👨‍👩‍👧, 🇨🇳 and e + U+0301 are one cluster
 * each, of several code points. The editor draws and selects clusters; offsets stay code points.
 */
export function graphemes(text: string): Cluster[] {
  const out: Cluster[] = []
  let at = 0
  for (const { segment } of segmenter.segment(text)) {
    const n = cpLength(segment)
    out.push({ start: at, end: at + n, text: segment })
    at += n
  }
  return out
}

/** Search folding: any case, full-width and half-width forms alike (NFKC). Title search matches folded text. */
export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase()
}

/** Where `query` occurs in `text` (folded, see fold), as code-point ranges [start, end). */
export function findFolded(text: string, query: string): [number, number][] {
  const q = fold(query)
  if (!q) return []
  let s = ''
  const at: number[] = [] // at[k]: the code point that folded UTF-16 unit k came from
  chars(text).forEach((c, i) => {
    const f = fold(c)
    s += f
    for (let k = 0; k < f.length; k++) at.push(i)
  })
  const out: [number, number][] = []
  for (let k = s.indexOf(q); k >= 0; k = s.indexOf(q, k + q.length)) out.push([at[k]!, at[k + q.length - 1]! + 1])
  return out
}

/** A count in words for messages: "1 span", "2 spans", "12,000 titles". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

/**
 * A title's word segmentation — word lengths in code points, e.g. [2, 3] — as the `words` column
 * of the titles table stores it ("2,3"; NULL when the title has none), and back.
 */
export function parseWords(column: string | null | undefined): number[] | null {
  return column ? column.split(',').map(Number) : null
}

export function formatWords(words: readonly number[] | null | undefined): string | null {
  return words ? words.join(',') : null
}
