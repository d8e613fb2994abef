/**
 * Lexicon features, SoftLexicon-style (Ma et al. 2020, "Simplify the Usage of Lexicon in Chinese
 * NER"): for each character, the lexicon words that match the title around it fall in four sets —
 * B (the word Begins at the char), M (the char is in its Middle), E (it Ends there), S (a Single-char
 * word). SoftLexicon pools each set into a frequency-weighted average of word vectors; here each set
 * is pooled into TYPE INDICATORS: feature (set, type group) = 1 when some word of that type is in
 * the set. 4 × G numbers per char, concatenated to the char input.
 *
 * Why indicators and not averaged word vectors: the project's lexicon words come with a type
 * (dictionary type, gold span type), which is exactly what the tagger needs; a word table would
 * have to learn vectors for ~60k dictionary words from a few thousand titles (most words never occur
 * in train), while the type indicators generalise to every dictionary word at once and cost no
 * parameters beyond the BiLSTM's input projection.
 *
 * Types beyond the `maxGroups − 1` most frequent ones (seed-sample has ~500) share one "other"
 * group, so the feature size stays ≤ 4 × maxGroups.
 *
 * Leak-free by construction: callers build the lexicon from dictionaries and the TRAIN split's
 * gold spans only (services/runs/model-parts.ts, bench/parts.ts); the dev/test labels never enter it.
 */

/** One lexicon word with its entity type. */
export interface LexiconEntry {
  text: string
  type: string
}

/** A built lexicon (JSON: it travels in the checkpoint manifest so `predict` computes the same features). */
export interface LexiconData {
  /** Type groups, feature order: the most frequent types, then `*` (all others) when there are more. */
  groups: string[]
  /** Longest word, in code points. */
  maxLength: number
  /** Word → its type groups. */
  words: [string, number[]][]
}

const SETS = ['B', 'M', 'E', 'S'] as const
export const OTHER_GROUP = '*'

export function buildLexicon(entries: Iterable<LexiconEntry>, maxGroups = 16, maxWordLength = 16): LexiconData {
  const byWord = new Map<string, Set<string>>()
  const typeCount = new Map<string, number>()
  for (const e of entries) {
    const text = e.text.trim()
    const n = Array.from(text).length
    if (n === 0 || n > maxWordLength || !e.type) continue
    let s = byWord.get(text)
    if (!s) byWord.set(text, (s = new Set()))
    if (!s.has(e.type)) {
      s.add(e.type)
      typeCount.set(e.type, (typeCount.get(e.type) ?? 0) + 1)
    }
  }
  const types = [...typeCount].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t)
  const groups = types.length <= maxGroups ? types : [...types.slice(0, maxGroups - 1), OTHER_GROUP]
  const gi = new Map(groups.map((g, i) => [g, i]))
  const other = gi.get(OTHER_GROUP)
  let maxLength = 0
  const words: [string, number[]][] = []
  for (const [w, ts] of [...byWord].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const g = [...new Set([...ts].map((t) => gi.get(t) ?? other!))].sort((a, b) => a - b)
    words.push([w, g])
    maxLength = Math.max(maxLength, Array.from(w).length)
  }
  return { groups, maxLength, words }
}

/** Features per char of a lexicon. */
function lexiconWidth(lex: LexiconData): number {
  return SETS.length * lex.groups.length
}

/** A lexicon ready for matching (the word map built once). */
export class Lexicon {
  readonly data: LexiconData
  readonly width: number
  private readonly map: Map<string, number[]>
  constructor(data: LexiconData) {
    this.data = data
    this.width = lexiconWidth(data)
    this.map = new Map(data.words)
  }

  /** The title's matches: every (start, end exclusive, groups) of a lexicon word in `chars`. */
  matches(chars: readonly string[]): { start: number; end: number; groups: number[] }[] {
    const out: { start: number; end: number; groups: number[] }[] = []
    const n = chars.length
    for (let i = 0; i < n; i++) {
      let w = ''
      for (let j = i; j < Math.min(n, i + this.data.maxLength); j++) {
        w += chars[j]!
        const g = this.map.get(w) ?? this.map.get(w.toLowerCase())
        if (g) out.push({ start: i, end: j + 1, groups: g })
      }
    }
    return out
  }

  /** `[n · width]` features: row t, column set·G + group = 1 when a word of that group is in set B/M/E/S of char t. */
  features(chars: readonly string[]): Float32Array {
    const G = this.data.groups.length
    const W = this.width
    const f = new Float32Array(chars.length * W)
    const mark = (t: number, set: number, groups: number[]): void => {
      for (const g of groups) f[t * W + set * G + g] = 1
    }
    for (const m of this.matches(chars)) {
      if (m.end - m.start === 1) mark(m.start, 3, m.groups)
      else {
        mark(m.start, 0, m.groups)
        for (let t = m.start + 1; t < m.end - 1; t++) mark(t, 1, m.groups)
        mark(m.end - 1, 2, m.groups)
      }
    }
    return f
  }
}
