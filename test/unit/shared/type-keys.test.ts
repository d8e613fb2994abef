// Finding and telling apart hundreds of entity types: pinyin initials, hotkeys with chords for
// every type, the palette search, and a colour scheme whose first colours are all distinct.
import { describe, expect, it } from 'vitest'
import { initials } from '../../../src-main/shared/pinyin'
import { assignHotkeys, clash } from '../../../src-main/shared/hotkeys'
import { searchTypes } from '../../../src-main/shared/typeSearch'
import { colorDistance, colorFor, hexToOklab } from '../../../src-main/services/types/palette'

const NAMES = ['颜色', '类型', '品牌', '适用人群', '产品', '款式', '风格', '功能属性', '型号', '尺码', '材质', '帽子', '鞋', '女装']

describe('pinyin initials', () => {
  it('reads the initial of each Han character and keeps other characters lower-cased', () => {
    expect(NAMES.map(initials)).toEqual(['ys', 'lx', 'pp', 'syrq', 'cp', 'ks', 'fg', 'gnsx', 'xh', 'cm', 'cz', 'mz', 'x', 'nz'])
    expect(initials('iPhone手机壳')).toBe('iphonesjk')
  })
})

describe('hotkeys for every type', () => {
  const many = [...NAMES, ...Array.from({ length: 431 - NAMES.length }, (_, i) => `类${i}`)]

  it('gives 431 types a key each: digits first, then chords, prefix-free, preferring pinyin initials', () => {
    const keys = assignHotkeys(many.map((name) => ({ name, hotkey: null })))
    expect(keys.size).toBe(431)
    const all = [...keys.values()]
    expect(all.slice(0, 10)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'])
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(clash(all[i]!, all[j]!)).toBe(false)
    expect(keys.get(NAMES.indexOf('材质'))).toBe('cz')
    expect(keys.get(NAMES.indexOf('帽子'))).toBe('mz')
    for (const k of all.slice(10)) expect(k).toMatch(/^[a-z][a-z0-9]$/)
  })

  it('keeps the keys types already have and works around them; few types get single letters', () => {
    const types = [{ name: '颜色', hotkey: 'y' }, ...NAMES.slice(1).map((name) => ({ name, hotkey: null }))]
    const keys = assignHotkeys(types)
    expect(keys.has(0)).toBe(false)
    const all = ['y', ...keys.values()]
    expect(new Set(all).size).toBe(NAMES.length)
    for (const k of keys.values()) expect(k).toMatch(/^[0-9a-xz]$/)
    expect([keys.get(NAMES.indexOf('帽子')), keys.get(NAMES.indexOf('鞋'))]).toEqual(['m', 'x'])
  })
})

describe('palette search', () => {
  const types = NAMES.map((name, i) => ({ name, hotkey: i < 3 ? String(i + 1) : null }))
  it('finds a type by pinyin initials, by substring, by hotkey and fuzzily, best kinds first', () => {
    expect(searchTypes('ys', types).map((t) => t.name)).toEqual(['颜色'])
    expect(searchTypes('syrq', types)[0]!.name).toBe('适用人群')
    expect(searchTypes('适群', types).map((t) => t.name)).toEqual(['适用人群'])
    expect(searchTypes('型', types).map((t) => t.name)).toEqual(['型号', '类型'])
    expect(searchTypes('2', types)[0]!.name).toBe('类型')
    expect(searchTypes('zzzz', types)).toEqual([])
    expect(searchTypes('', types)).toHaveLength(NAMES.length)
  })
})

describe('type colours', () => {
  it('gives the first 24 types pairwise distinct colours (ΔE_ok ≥ 6) and every neighbour of 431 a clear difference', () => {
    const first = Array.from({ length: 24 }, (_, i) => colorFor(i))
    for (let i = 0; i < first.length; i++)
      for (let j = i + 1; j < first.length; j++) expect(colorDistance(first[i]!, first[j]!), `${i} vs ${j}`).toBeGreaterThanOrEqual(6)
    for (let i = 0; i + 1 < 431; i++) expect(colorDistance(colorFor(i), colorFor(i + 1)), `${i} vs ${i + 1}`).toBeGreaterThanOrEqual(10)
  })

  it('keeps every colour light enough for dark text (OKLab lightness ≥ 0.6)', () => {
    for (let i = 0; i < 200; i++) expect(hexToOklab(colorFor(i))[0]).toBeGreaterThanOrEqual(0.6)
  })

  it('measures distance as ΔE_ok: black and white 100 apart, a colour 0 from itself', () => {
    expect(colorDistance('#000000', '#ffffff')).toBeCloseTo(100, 0)
    expect(colorDistance('#f6c177', '#f6c177')).toBe(0)
  })
})
