import { describe, expect, it } from 'vitest'
import { LabelVocab, TypeVocab, cascadeDecode, spanType, typeTargets } from '../../../../src-main/ml/tagging/labels'
import { isTag, schemeOf, spansToTags, splitTag, TagError, tagsToSpans } from '../../../../src-main/shared/tags'
import { buildVocabs, featurize, lossWeights, makeBatch, toVocabs } from '../../../../src-main/ml/models/features'
import { presetConfig } from '../../../../src-main/ml/models/presets'
import type { PlainSpan } from '../../../../src-main/shared/tags'
import { TINY } from '../../../helpers/tiny'

describe('BIO / BIOES', () => {
  const text = '😀回力ＡＢ女鞋👟３７码'
  const chars = Array.from(text)
  const spans: PlainSpan[] = [
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
      const tags = spansToTags(chars.length, spans, scheme)
      expect(tags).toHaveLength(chars.length)
      expect(tagsToSpans(tags, { mode: 'tolerant', scheme })).toEqual(spans)
      const free = spansToTags(chars.length, spans, scheme, { typed: false })
      expect(tagsToSpans(free, { mode: 'tolerant', scheme })).toEqual(spans.map((s) => ({ ...s, type: '' })))
    })
  }
  it('BIOES tags look right', () => {
    expect(spansToTags(chars.length, spans, 'BIOES')).toEqual(['O', 'B-品牌', 'E-品牌', 'B-型号', 'E-型号', 'O', 'O', 'S-品类', 'B-尺码', 'E-尺码', 'O'])
    expect(spansToTags(3, [{ start: 0, end: 3, type: 'x' }], 'BIOES', { typed: false })).toEqual(['B', 'I', 'E'])
  })
  it('adjacent entities of the same type stay apart', () => {
    const s: PlainSpan[] = [
      { start: 0, end: 2, type: 'a' },
      { start: 2, end: 3, type: 'a' },
    ]
    for (const scheme of ['BIO', 'BIOES'] as const) expect(tagsToSpans(spansToTags(4, s, scheme), { mode: 'tolerant', scheme })).toEqual(s)
  })
  it('overlapping spans: the first (longest at a start) wins', () => {
    const overlapping = [
      { start: 0, end: 3, type: 'a' },
      { start: 1, end: 2, type: 'b' },
    ]
    expect(tagsToSpans(spansToTags(4, overlapping, 'BIO'), { mode: 'tolerant', scheme: 'BIO' })).toEqual([{ start: 0, end: 3, type: 'a' }])
  })
  it('ill-formed BIO: stray I opens a chunk, type switch splits', () => {
    expect(tagsToSpans(['I-a', 'I-a', 'O', 'B-a', 'I-b', 'I-b'], { mode: 'tolerant', scheme: 'BIO' })).toEqual([
      { start: 0, end: 2, type: 'a' },
      { start: 3, end: 4, type: 'a' },
      { start: 4, end: 6, type: 'b' },
    ])
    expect(tagsToSpans(['B-a', 'I-a'], { mode: 'tolerant', scheme: 'BIO' })).toEqual([{ start: 0, end: 2, type: 'a' }])
    expect(tagsToSpans(['X', 'B-a'], { mode: 'tolerant', scheme: 'BIO' })).toEqual([{ start: 1, end: 2, type: 'a' }])
  })
  it('ill-formed BIOES: unclosed chunks are closed, stray E/I open one', () => {
    expect(tagsToSpans(['B-a', 'I-a', 'O', 'E-b', 'I-c', 'S-d', 'B-e'], { mode: 'tolerant', scheme: 'BIOES' })).toEqual([
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
    expect(cascadeDecode(boundary, 'BIOES', (_, end) => perChar[end - 1]!)).toEqual([
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
    const a = featurize(TINY[1]!, v) // 创维50英寸智能电视: all entity
    const b = featurize(TINY[0]!, v)
    const batch = makeBatch([a, b])
    const w = lossWeights(batch, config.lossWeights)
    const L = batch.L
    const n0 = a.chars.length
    for (let t = 0; t < L; t++) expect(w[t]).toBe(t < n0 ? 1.5 : 0)
    const tags0 = spansToTags(b.chars.length, TINY[0]!.spans, 'BIOES', { typed: false })
    for (let t = 0; t < L; t++) expect(w[L + t]).toBe(t < b.chars.length ? (tags0[t] === 'O' ? 0.5 : 1.5) : 0)
    // WLF: chars of one given word share its id
    expect(b.wordIds![0]).toBe(b.wordIds![1])
    expect(b.wordIds![1]).not.toBe(b.wordIds![2])
    // cascade targets
    expect(Array.from(b.typeIds!.slice(0, 4)).map((i) => v.types!.type(i))).toEqual(['品牌', '品牌', '品类', '品类'])
  })
})

describe('the one tag codec (shared/tags.ts): strict, repair and tolerant on the same tags', () => {
  const stray = ['O', 'I-a', 'E-a', 'B-b', 'X', 'S-c']
  it('strict names the first stray continuation; repair opens an entity there and reports it', () => {
    expect(() => tagsToSpans(stray)).toThrow(new TagError(1, 'stray tag I-a at character 2 (after O)'))
    const seen: number[] = []
    expect(() => tagsToSpans(stray, { mode: 'repair', onRepair: (i) => seen.push(i) })).toThrow('unknown tag "X" at character 5 (expected O, B-, I-, E- or S-)')
    expect(seen).toEqual([1])
    expect(tagsToSpans(stray.slice(0, 4), { mode: 'repair' })).toEqual([
      { start: 1, end: 3, type: 'a' },
      { start: 3, end: 4, type: 'b' },
    ])
  })
  it('tolerant reads an unknown tag as O, and E-/S- as O under BIO', () => {
    expect(tagsToSpans(stray, { mode: 'tolerant' })).toEqual([
      { start: 1, end: 3, type: 'a' },
      { start: 3, end: 4, type: 'b' },
      { start: 5, end: 6, type: 'c' },
    ])
    expect(tagsToSpans(stray, { mode: 'tolerant', scheme: 'BIO' })).toEqual([
      { start: 1, end: 2, type: 'a' },
      { start: 3, end: 4, type: 'b' },
    ])
  })
  it('scheme names, tag forms and type-free tags', () => {
    expect([schemeOf('bio'), schemeOf('BIOES')]).toEqual(['BIO', 'BIOES'])
    expect(() => schemeOf('iob2')).toThrow('unknown tag scheme "iob2" (bio or bioes)')
    expect(['O', 'B', 'I-品牌', 'S-a-b'].every(isTag)).toBe(true)
    expect(['X', 'B-', 'B_x', 'Q-a', ''].some(isTag)).toBe(false)
    expect(splitTag('S-a-b')).toEqual({ prefix: 'S', type: 'a-b' })
    expect(tagsToSpans(['B', 'I', 'E', 'S'])).toEqual([
      { start: 0, end: 3, type: '' },
      { start: 3, end: 4, type: '' },
    ])
  })

  it('spanType: the type most probable over the whole span, not its last character; p its mean probability', () => {
    // 3 characters × 2 types (a leading row of another title first: offset 2)
    const probs = [0.5, 0.5, /**/ 0.9, 0.1, 0.8, 0.2, 0.4, 0.6]
    expect(spanType(probs, 2, 2, 0, 3)).toEqual({ k: 0, p: (0.9 + 0.8 + 0.4) / 3 }) // the last char alone says type 1
    expect(spanType(probs, 2, 2, 2, 3)).toEqual({ k: 1, p: 0.6 })
    expect(spanType(probs, 2, 2, 1, 3).k).toBe(0) // log .8 + log .4 > log .2 + log .6
    expect(spanType([0.5, 0.5], 0, 2, 0, 1)).toEqual({ k: 0, p: 0.5 }) // a tie goes to the smaller k
  })
})
