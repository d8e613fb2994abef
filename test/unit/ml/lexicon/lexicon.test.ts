import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { Lexicon, OTHER_GROUP, buildLexicon } from '../../../../src-main/ml/lexicon'
import { buildVocabs, featurize, toVocabs } from '../../../../src-main/ml/models/features'
import { presetConfig } from '../../../../src-main/ml/models/presets'
import { train } from '../../../../src-main/ml/train/trainer'
import { predict } from '../../../../src-main/ml/predict'
import { testBackend } from '../../../helpers/ml'
import { TINY } from '../../../helpers/tiny'

describe('lexicon features (SoftLexicon-style B/M/E/S type indicators)', () => {
  beforeAll(async () => {
    await testBackend()
  })

  it('mark, per char, the types of the words that Begin / are Middle / End / are Single at it', () => {
    const lex = new Lexicon(
      buildLexicon([
        { text: '耐克', type: '品牌' },
        { text: '运动鞋', type: '品类' },
        { text: '鞋', type: '品类' },
        { text: '克运', type: '品牌' }, // overlapping matches are all kept
        { text: '', type: '品牌' }, // ignored
      ]),
    )
    expect(lex.data.groups).toEqual(['品牌', '品类']) // most words first
    expect(lex.width).toBe(8)
    const chars = Array.from('耐克运动鞋')
    const f = lex.features(chars)
    // rows as 'B:品牌' … names of the features set
    const names = ['B', 'M', 'E', 'S'].flatMap((s) => lex.data.groups.map((g) => `${s}:${g}`))
    const row = (t: number): string[] => names.filter((_, k) => f[t * 8 + k] === 1)
    expect(row(0)).toEqual(['B:品牌'])
    expect(row(1)).toEqual(['B:品牌', 'E:品牌'])
    expect(row(2)).toEqual(['B:品类', 'E:品牌'])
    expect(row(3)).toEqual(['M:品类'])
    expect(row(4)).toEqual(['E:品类', 'S:品类'])
  })

  it('keep at most maxGroups type groups: the rarest types share one', () => {
    const entries = ['a', 'b', 'c', 'd'].flatMap((t, i) => Array.from({ length: 4 - i }, (_, k) => ({ text: `${t}${k}x`, type: t })))
    const lex = buildLexicon(entries, 3)
    expect(lex.groups).toEqual(['a', 'b', OTHER_GROUP])
    const m = new Map(lex.words)
    expect(m.get('c0x')).toEqual([2])
    expect(m.get('d0x')).toEqual([2])
  })

  it('default to the training spans, travel in the checkpoint, and give a trained tagger the same features at predict time', async () => {
    const before = tf.memory().numTensors
    const config = presetConfig('bilstm-crf', { model: { charEmbedding: 8, hidden: 8, lexicon: true }, epochs: 2, logEvery: 0, batchSize: 4 })
    const v = buildVocabs(TINY, config.model)
    expect(v.lexicon!.groups).toContain('品牌')
    expect(new Map(v.lexicon!.words).get('回力')).toEqual([v.lexicon!.groups.indexOf('品牌')])
    const enc = featurize('小米手机', toVocabs(v, config.model))
    expect(enc.lex).toHaveLength(4 * 4 * v.lexicon!.groups.length)
    // a given lexicon replaces the spans: only its words
    const r = await train(config, TINY, TINY.slice(0, 2), { lexicon: [{ text: '小米', type: '品牌' }] })
    expect(r.best!.manifest.vocabs.lexicon!.words).toEqual([['小米', [0]]])
    const a = await predict(r.model, ['小米手机', '华为平板'])
    const b = await predict(r.best!, ['小米手机', '华为平板'])
    expect(b).toEqual(a)
    r.model.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
