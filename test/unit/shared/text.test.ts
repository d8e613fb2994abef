// Search folding (shared/text.ts): what the title list highlights is what the server matched.
import { describe, expect, it } from 'vitest'
import { findFolded, fold } from '../../../src-main/shared/text'

describe('findFolded', () => {
  it('finds matches in any case and width, as code-point ranges', () => {
    expect(fold('ｉＰｈｏｎｅ')).toBe('iphone')
    expect(findFolded('红色ｉＰｈｏｎｅ壳 IPHONE', 'iPhone')).toEqual([[2, 8], [10, 16]])
    // An emoji before the match counts as one code point.
    expect(findFolded('😀Abc', 'aBC')).toEqual([[1, 4]])
    expect(findFolded('苹果手机', '华为')).toEqual([])
    expect(findFolded('abc', '')).toEqual([])
  })
})
