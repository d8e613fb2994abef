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
