// Longest-match dictionary lookup over code points: a character trie (one Map per node, keyed by
// code point). PURE TypeScript. Matching walks the trie from each position and keeps the longest
// term that ends there; matches never overlap (left to right, maximal munch).

export interface Hit {
  type: string
  /** The dictionary the term came from. */
  dict: number
}

export interface Match {
  start: number
  end: number
  hit: Hit
}

interface Node {
  next: Map<string, Node> | null
  hit: Hit | null
}

export class Matcher {
  private readonly root: Node = { next: new Map(), hit: null }
  /** Distinct terms held. */
  size = 0

  /** Add a term; the first hit added for a term wins (false when the term was already there). */
  add(term: string, hit: Hit): boolean {
    const cps = Array.from(term)
    if (cps.length === 0) return false
    let node = this.root
    for (const c of cps) {
      if (!node.next) node.next = new Map()
      let child = node.next.get(c)
      if (!child) node.next.set(c, (child = { next: null, hit: null }))
      node = child
    }
    if (node.hit) return false
    node.hit = hit
    this.size++
    return true
  }

  /** Longest matches in `cps` (a title's code points), left to right, non-overlapping. */
  match(cps: readonly string[]): Match[] {
    const out: Match[] = []
    const n = cps.length
    let i = 0
    while (i < n) {
      let node: Node | undefined = this.root
      let bestEnd = -1
      let bestHit: Hit | null = null
      for (let j = i; j < n && node.next; j++) {
        node = node.next.get(cps[j]!)
        if (!node) break
        if (node.hit) {
          bestEnd = j + 1
          bestHit = node.hit
        }
      }
      if (bestHit) {
        out.push({ start: i, end: bestEnd, hit: bestHit })
        i = bestEnd
      } else i++
    }
    return out
  }
}
