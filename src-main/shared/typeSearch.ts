// Finding an entity type among hundreds by a few keystrokes: by name (case- and width-blind), by
// pinyin initials (`ys` → 颜色, `syrq` → 适用人群), by hotkey, or fuzzily (the query's characters
// in order, gaps allowed: `适群` → 适用人群). Better kinds of match rank first, then the list's order.
import { initials } from './pinyin'
import { fold } from './text'

/** How well `query` finds the type (higher is better), or null when it does not. */
export function typeScore(query: string, type: { name: string; hotkey: string | null }): number | null {
  const q = fold(query.trim()).replace(/\s+/g, '')
  if (!q) return 0
  const name = fold(type.name)
  if (name === q) return 1000
  const ini = initials(name)
  // All the initials typed (ys: 颜色) rank above another type whose hotkey happens to be ys.
  if (ini === q) return 960
  if (type.hotkey && type.hotkey === q) return 950
  if (name.startsWith(q)) return 900
  const at = name.indexOf(q)
  if (at >= 0) return 800 - Math.min(at, 99)
  if (ini.startsWith(q)) return 700
  if (ini.includes(q)) return 600
  const gaps = subsequenceGaps(q, name)
  if (gaps !== null) return 400 - Math.min(gaps, 99)
  const iniGaps = subsequenceGaps(q, ini)
  return iniGaps !== null ? 300 - Math.min(iniGaps, 99) : null
}

/** The types that `query` finds, best first (ties keep the given order). */
export function searchTypes<T extends { name: string; hotkey: string | null }>(query: string, types: readonly T[]): T[] {
  return types
    .map((t, i) => ({ t, i, s: typeScore(query, t) }))
    .filter((x): x is { t: T; i: number; s: number } => x.s !== null)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.t)
}

/** Characters of `q` skipped over in `s` when they appear in it in order, or null when they do not. */
function subsequenceGaps(q: string, s: string): number | null {
  const hay = Array.from(s)
  let j = 0
  let gaps = 0
  for (const c of q) {
    const k = hay.indexOf(c, j)
    if (k < 0) return null
    if (j > 0) gaps += k - j
    j = k + 1
  }
  return gaps
}
