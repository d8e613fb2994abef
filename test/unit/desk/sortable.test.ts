// Sortable tables (renderer components/sortable.ts) and grapheme clusters (shared/text.ts).
import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { useSort } from '../../../src-renderer/src/components/sortable'
import { graphemes } from '../../../src-main/shared/text'

describe('useSort', () => {
  const rows = ref([
    { name: '颜色', n: 3, p: 0.5 as number | null },
    { name: '类型', n: 10, p: null },
    { name: '品牌', n: 1, p: 0.9 },
  ])
  it('sorts numbers largest first and text in pinyin order on the first click, reverses on the second, keeps missing values last', () => {
    const s = useSort(() => rows.value, { name: (r) => r.name, n: (r) => r.n, p: (r) => r.p })
    expect(s.rows.value.map((r) => r.name)).toEqual(['颜色', '类型', '品牌'])
    s.by('n')
    expect(s.rows.value.map((r) => r.n)).toEqual([10, 3, 1])
    s.by('n')
    expect(s.rows.value.map((r) => r.n)).toEqual([1, 3, 10])
    s.by('name')
    expect(s.rows.value.map((r) => r.name)).toEqual(['类型', '品牌', '颜色'])
    s.by('p')
    expect(s.rows.value.map((r) => r.p)).toEqual([0.9, 0.5, null])
    s.by('p')
    expect(s.rows.value.map((r) => r.p)).toEqual([0.5, 0.9, null])
    rows.value = [...rows.value, { name: '款式', n: 5, p: 0.7 }]
    expect(s.rows.value.map((r) => r.p)).toEqual([0.5, 0.7, 0.9, null])
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
