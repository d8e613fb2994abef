/** Character and word vocabularies. Id 0 = padding, id 1 = unknown. */
export const PAD = '<pad>'
export const UNK = '<unk>'

export class Vocab {
  readonly tokens: string[]
  private readonly index = new Map<string, number>()
  constructor(tokens: readonly string[]) {
    const rest = tokens.filter((t) => t !== PAD && t !== UNK)
    this.tokens = [PAD, UNK, ...rest]
    this.tokens.forEach((t, i) => this.index.set(t, i))
  }
  get size(): number {
    return this.tokens.length
  }
  /** Id of a token; unknown tokens try their lower-case form, then map to UNK (1). */
  id(token: string): number {
    return this.index.get(token) ?? this.index.get(token.toLowerCase()) ?? 1
  }
  /** Build from token streams, keeping tokens seen at least `minCount` times (frequency order). */
  static build(streams: Iterable<Iterable<string>>, minCount = 1): Vocab {
    const counts = new Map<string, number>()
    for (const s of streams) for (const t of s) counts.set(t, (counts.get(t) ?? 0) + 1)
    const kept = [...counts].filter(([, n]) => n >= minCount)
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return new Vocab(kept.map(([t]) => t))
  }
}
