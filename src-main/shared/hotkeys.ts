// Type hotkeys: one key (`3`, `k`) or a chord of two (`g` then `b`), stored lower-case as one string
// ('3', 'k', 'gb') in entity_types.hotkey (TEXT UNIQUE). Hotkeys are prefix-free: no hotkey is the
// first key of another's chord, so a key either acts at once or waits for a second one. Keys the
// editor uses for itself (space, `[`, `]`, `?`) begin no hotkey.
import { initials } from './pinyin'

export const RESERVED_KEYS = new Set([' ', '[', ']', '?'])
const DIGITS = '1234567890'
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'
const SECOND = LETTERS + DIGITS

/** Why `k` (already lower-cased) cannot be a hotkey, or null when it can. */
export function hotkeyProblem(k: string): string | null {
  const keys = Array.from(k)
  if (keys.length < 1 || keys.length > 2) return `a hotkey is one key or two (a chord), got ${JSON.stringify(k)}`
  if (keys.some((c) => /\s/.test(c))) return `a hotkey cannot contain white space, got ${JSON.stringify(k)}`
  if (RESERVED_KEYS.has(keys[0]!)) return `the editor uses ${JSON.stringify(keys[0])} itself; a hotkey cannot begin with it`
  return null
}

/** True when `a` and `b` cannot both be hotkeys: equal, or one is the first key of the other. */
export function clash(a: string, b: string): boolean {
  const [x, y] = [Array.from(a), Array.from(b)]
  return x.length === y.length ? a === b : x[0] === y[0]
}

/** How a hotkey is written for people: `gb` → `g b`. */
export const showHotkey = (k: string): string => Array.from(k).join(' ')

/**
 * Hotkeys for every type that has none, given all types in priority order (most used first).
 * Digits 1…9, 0 go first; then single letters when every remaining type gets one; otherwise
 * chords, each preferring the pinyin initials of its type's name (颜色 → `y s`), then its first
 * initial with any second key, then the first free chord. Returns the new key per type index
 * (types that keep their key, or for which none is left, are absent).
 */
export function assignHotkeys(types: readonly { name: string; hotkey: string | null }[]): Map<number, string> {
  const taken = types.map((t) => t.hotkey).filter((k): k is string => !!k)
  const free = (k: string): boolean => !taken.some((t) => clash(t, k))
  const out = new Map<number, string>()
  const give = (i: number, k: string): void => {
    out.set(i, k)
    taken.push(k)
  }
  const keyless = types.map((t, i) => (t.hotkey ? -1 : i)).filter((i) => i >= 0)
  let next = 0
  for (const d of DIGITS) if (next < keyless.length && free(d)) give(keyless[next++]!, d)
  const rest = keyless.slice(next)
  const letters = Array.from(LETTERS).filter(free)
  if (rest.length <= letters.length) {
    for (const i of rest) {
      const first = initials(types[i]!.name).charAt(0)
      give(i, letters.includes(first) && free(first) ? first : letters.find(free)!)
    }
    return out
  }
  const chords = Array.from(LETTERS).flatMap((a) => Array.from(SECOND, (b) => a + b))
  let cursor = 0
  for (const i of rest) {
    const ini = initials(types[i]!.name).replace(/[^a-z0-9]/g, '')
    const wanted = [ini.slice(0, 2), ...Array.from(SECOND, (b) => ini.charAt(0) + b)].filter((k) => /^[a-z][a-z0-9]$/.test(k))
    let k = wanted.find(free)
    while (!k && cursor < chords.length) if (free(chords[cursor]!)) k = chords[cursor]; else cursor++
    if (k) give(i, k)
  }
  return out
}
