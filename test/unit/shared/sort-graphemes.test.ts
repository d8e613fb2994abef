// Table sorting (shared/sort.ts, behind the renderer's sortable tables) and grapheme clusters (shared/text.ts).
import { describe, expect, it } from 'vitest'
import { sortRows, startsDescending } from '../../../src-main/shared/sort'
import { graphemes } from '../../../src-main/shared/text'

describe('table sorting', () => {
  const rows = [
    { name: '颜色', n: 3, p: 0.5 as number | null },
    { name: '类型', n: 10, p: null },
    { name: '品牌', n: 1, p: 0.9 },
    { name: '款式', n: 3, p: 0.7 },
  ]
  it('sorts numbers, text in pinyin order, keeps missing values last and ties in the given order', () => {
    expect(sortRows(rows, (r) => r.n, true).map((r) => r.name)).toEqual(['类型', '颜色', '款式', '品牌'])
    expect(sortRows(rows, (r) => r.n, false).map((r) => r.name)).toEqual(['品牌', '颜色', '款式', '类型'])
    expect(sortRows(rows, (r) => r.name, false).map((r) => r.name)).toEqual(['款式', '类型', '品牌', '颜色'])
    expect(sortRows(rows, (r) => r.p, true).map((r) => r.p)).toEqual([0.9, 0.7, 0.5, null])
    expect(sortRows(rows, (r) => r.p, false).map((r) => r.p)).toEqual([0.5, 0.7, 0.9, null])
    expect(sortRows([{ v: 'run 10' }, { v: 'run 9' }], (r) => r.v, false).map((r) => r.v)).toEqual(['run 9', 'run 10'])
  })
  it('starts numbers largest first and text A→Z', () => {
    expect(startsDescending([null, 3, 1])).toBe(true)
    expect(startsDescending(['a', 'b'])).toBe(false)
  })
})

describe('graphemes', () => {
  it('groups emoji sequences, flags and combining marks into one cluster, in code-point offsets', () => {
    expect(graphemes('a👍🏽b👨‍👩‍👧🇨🇳e\u0301x').map((c) => [c.start, c.end])).toEqual([
      [0, 1], [1, 3], [3, 4], [4, 9], [9, 11], [11, 13], [13, 14],
    ])
    expect(graphemes('红色').map((c) => c.text)).toEqual(['红', '色'])
    expect(graphemes('')).toEqual([])
  })
})
