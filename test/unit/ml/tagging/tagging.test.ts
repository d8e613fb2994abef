import { describe, expect, it } from 'vitest'
import { LabelVocab, TypeVocab, cascadeDecode, decodeTags, encodeSpans, typeTargets } from '../../../../src-main/ml/tagging'
import { buildVocabs, encodeExample, lossWeights, makeBatch, toVocabs } from '../../../../src-main/ml/models/features'
import { presetConfig } from '../../../../src-main/ml/models/presets'
import type { Span } from '../../../../src-main/shared/training'
import { TINY } from '../../../helpers/tiny'

describe('BIO / BIOES', () => {
  const text = '😀回力ＡＢ女鞋👟３７码'
  const chars = Array.from(text)
  const spans: Span[] = [
    { start: 1, end: 3, type: '品牌' },
    { start: 3, end: 5, type: '型号' },
    { start: 7, end: 8, type: '品类' },
    { start: 8, end: 10, type: '尺码' },
  ]
  it('code points, not UTF-16 units', () => {
    expect(chars).toHaveLength(11)
  })
  for (const scheme of ['BIO', 'BIOES'] as const) {
    it(`${scheme} round trip with emoji and full-width chars`, () => {
      const tags = encodeSpans(spans, chars.length, scheme)
      expect(tags).toHaveLength(chars.length)
      expect(decodeTags(tags, scheme)).toEqual(spans)
      const free = encodeSpans(spans, chars.length, scheme, false)
      expect(decodeTags(free, scheme)).toEqual(spans.map((s) => ({ ...s, type: '' })))
    })
  }
  it('BIOES tags look right', () => {
    expect(encodeSpans(spans, chars.length, 'BIOES')).toEqual(['O', 'B-品牌', 'E-品牌', 'B-型号', 'E-型号', 'O', 'O', 'S-品类', 'B-尺码', 'E-尺码', 'O'])
    expect(encodeSpans([{ start: 0, end: 3, type: 'x' }], 3, 'BIOES', false)).toEqual(['B', 'I', 'E'])
  })
  it('adjacent entities of the same type stay apart', () => {
    const s: Span[] = [
      { start: 0, end: 2, type: 'a' },
      { start: 2, end: 3, type: 'a' },
    ]
    for (const scheme of ['BIO', 'BIOES'] as const) expect(decodeTags(encodeSpans(s, 4, scheme), scheme)).toEqual(s)
  })
  it('overlapping spans: the first (longest at a start) wins', () => {
    expect(
      decodeTags(
        encodeSpans(
          [
            { start: 0, end: 3, type: 'a' },
            { start: 1, end: 2, type: 'b' },
          ],
          4,
          'BIO',
        ),
        'BIO',
      ),
    ).toEqual([{ start: 0, end: 3, type: 'a' }])
  })
  it('ill-formed BIO: stray I opens a chunk, type switch splits', () => {
    expect(decodeTags(['I-a', 'I-a', 'O', 'B-a', 'I-b', 'I-b'], 'BIO')).toEqual([
      { start: 0, end: 2, type: 'a' },
      { start: 3, end: 4, type: 'a' },
      { start: 4, end: 6, type: 'b' },
    ])
    expect(decodeTags(['B-a', 'I-a'], 'BIO')).toEqual([{ start: 0, end: 2, type: 'a' }])
    expect(decodeTags(['X', 'B-a'], 'BIO')).toEqual([{ start: 1, end: 2, type: 'a' }])
  })
  it('ill-formed BIOES: unclosed chunks are closed, stray E/I open one', () => {
    expect(decodeTags(['B-a', 'I-a', 'O', 'E-b', 'I-c', 'S-d', 'B-e'], 'BIOES')).toEqual([
      { start: 0, end: 2, type: 'a' },
      { start: 3, end: 4, type: 'b' },
      { start: 4, end: 5, type: 'c' },
      { start: 5, end: 6, type: 'd' },
      { start: 6, end: 7, type: 'e' },
    ])
  })
  it('label vocab: O first, unknown → O, typed and boundary sets', () => {
    const v = LabelVocab.forTypes(['b', 'a', 'a'], 'BIO')
    expect(v.labels).toEqual(['O', 'B-a', 'B-b', 'I-a', 'I-b'])
    expect(v.id('B-zzz')).toBe(0)
    expect(LabelVocab.boundary('BIOES').labels).toEqual(['O', 'B', 'I', 'E', 'S'])
    expect(LabelVocab.forTypes(['t'], 'BIOES').size).toBe(5)
  })
})

describe('cascade', () => {
  it('decoding takes the type predicted at the last character of each boundary span', () => {
    const boundary = ['B', 'I', 'E', 'O', 'S', 'B', 'E']
    const perChar = ['x', 'y', '品牌', '-', '颜色', 'z', '品类']
    expect(cascadeDecode(boundary, 'BIOES', (i) => perChar[i]!)).toEqual([
      { start: 0, end: 3, type: '品牌' },
      { start: 4, end: 5, type: '颜色' },
      { start: 5, end: 7, type: '品类' },
    ])
  })
  it('type targets cover entity chars only', () => {
    const tv = new TypeVocab(['b', 'a'])
    expect(Array.from(typeTargets([{ start: 1, end: 3, type: 'b' }], 4, tv))).toEqual([-1, 1, 1, -1])
  })
})

describe('features and WOL', () => {
  it('WOL weights: entity chars × entity, O chars × outside, padding 0', () => {
    const config = presetConfig('cascade-bilstm-crf-wlf-wol', { model: { charEmbedding: 4, hidden: 4, wordEmbedding: 4 } })
    const v = toVocabs(buildVocabs(TINY, config.model), config.model)
    const a = encodeExample(TINY[1]!, v) // 创维50英寸智能电视: all entity
    const b = encodeExample(TINY[0]!, v)
    const batch = makeBatch([a, b])
    const w = lossWeights(batch, config.lossWeights)
    const L = batch.L
    const n0 = a.chars.length
    for (let t = 0; t < L; t++) expect(w[t]).toBe(t < n0 ? 1.5 : 0)
    const tags0 = encodeSpans(TINY[0]!.spans, b.chars.length, 'BIOES', false)
    for (let t = 0; t < L; t++) expect(w[L + t]).toBe(t < b.chars.length ? (tags0[t] === 'O' ? 0.5 : 1.5) : 0)
    // WLF: chars of one given word share its id
    expect(b.wordIds![0]).toBe(b.wordIds![1])
    expect(b.wordIds![1]).not.toBe(b.wordIds![2])
    // cascade targets
    expect(Array.from(b.typeIds!.slice(0, 4)).map((i) => v.types!.type(i))).toEqual(['品牌', '品牌', '品类', '品类'])
  })
})
