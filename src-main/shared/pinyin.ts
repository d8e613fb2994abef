// Pinyin initials of Chinese characters, for finding entity types by typing `ys` for 颜色 and for
// mnemonic hotkey chords. No table: a pinyin collator (ICU's zh collation, in Node and Chromium)
// sorts characters by reading, so a character's initial is that of the last boundary character
// (the first character of each initial's block) that sorts at or before it. Polyphones get the
// collator's reading (长 → z); characters outside the CJK blocks are returned lower-cased.

const collator = new Intl.Collator('zh-CN-u-co-pinyin')
// The first character (in pinyin order) of each initial's block; i, u and v begin no syllable.
const BOUNDS: readonly [string, string][] = [
  ['a', '阿'], ['b', '八'], ['c', '嚓'], ['d', '哒'], ['e', '妸'], ['f', '发'], ['g', '旮'], ['h', '哈'],
  ['j', '讥'], ['k', '咔'], ['l', '垃'], ['m', '呣'], ['n', '拏'], ['o', '噢'], ['p', '妑'], ['q', '七'],
  ['r', '呥'], ['s', '仨'], ['t', '它'], ['w', '穵'], ['x', '夕'], ['y', '丫'], ['z', '帀'],
]
const HAN = /\p{Script=Han}/u
const cache = new Map<string, string>()

/** The pinyin initial of one Han character (`颜` → `y`), or the character itself lower-cased. */
export function initialOf(ch: string): string {
  if (!HAN.test(ch)) return ch.toLowerCase()
  let hit = cache.get(ch)
  if (hit === undefined) {
    hit = ch
    for (const [letter, first] of BOUNDS) {
      if (collator.compare(ch, first) >= 0) hit = letter
      else break
    }
    cache.set(ch, hit)
  }
  return hit
}

/** The initials of every character of `s`: `颜色分类` → `ysfl`, `Size码` → `sizem`. */
export const initials = (s: string): string => Array.from(s, initialOf).join('')
