import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { bigramsOf, embeddingsFromBytes, embeddingsKey, embeddingsToBytes, learnTitleEmbeddings, rowsFor } from '../../../../src-main/ml/embeddings'
import { buildVocabs } from '../../../../src-main/ml/models/features'
import { presetConfig } from '../../../../src-main/ml/models/presets'
import { Tagger } from '../../../../src-main/ml/models/tagger'
import { train } from '../../../../src-main/ml/train/trainer'
import { predict } from '../../../../src-main/ml/predict'
import { makeRng } from '../../../../src-main/ml/train/rng'
import { testBackend } from '../../../helpers/ml'
import { TINY } from '../../../helpers/tiny'

const COLOURS = ['红', '蓝', '绿', '黑', '白']
const ITEMS = ['鞋', '包', '帽', '裙', '衣']

/** A tiny corpus where the colour chars share contexts (…X色…) and the item chars share others (…X子 / 新款X). */
function corpus(n: number, seed: number): string[] {
  const rng = makeRng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!
  return Array.from({ length: n }, () => `新款${pick(COLOURS)}色${pick(ITEMS)}子${pick(['男', '女'])}士${pick(['特价', '包邮', '正品'])}`)
}

function cos(a: Float32Array, b: Float32Array): number {
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!
    aa += a[i]! * a[i]!
    bb += b[i]! * b[i]!
  }
  return ab / Math.sqrt(aa * bb)
}

describe('title embeddings (skip-gram with negative sampling)', () => {
  beforeAll(async () => {
    await testBackend()
  })

  it('are deterministic for a seed, differ for another seed, and survive the bytes round trip', () => {
    const titles = corpus(60, 1)
    const a = learnTitleEmbeddings(titles, { dim: 8, bigramDim: 4, seed: 3, epochs: 2 })
    const b = learnTitleEmbeddings(titles, { dim: 8, bigramDim: 4, seed: 3, epochs: 2 })
    const c = learnTitleEmbeddings(titles, { dim: 8, bigramDim: 4, seed: 4, epochs: 2 })
    expect(Array.from(a.charVectors)).toEqual(Array.from(b.charVectors))
    expect(Array.from(a.bigramVectors)).toEqual(Array.from(b.bigramVectors))
    expect(Array.from(a.charVectors)).not.toEqual(Array.from(c.charVectors))
    expect(a.key).toBe(b.key)
    expect(a.key).not.toBe(c.key)
    expect(a.bigrams).toContain('红色')
    const back = embeddingsFromBytes(embeddingsToBytes(a))
    expect(back.chars).toEqual(a.chars)
    expect(Array.from(back.charVectors)).toEqual(Array.from(a.charVectors))
    expect(Array.from(back.bigramVectors)).toEqual(Array.from(a.bigramVectors))
    expect(() => embeddingsFromBytes(new Uint8Array(20))).toThrow(/magic/)
  })

  it('the cache key changes when a title changes, and only then', () => {
    const t = corpus(10, 2)
    const o = { dim: 8, bigramDim: 0, seed: 1 }
    expect(embeddingsKey(t, o)).toBe(embeddingsKey([...t], o))
    expect(embeddingsKey([...t.slice(0, 9), t[9] + '!'], o)).not.toBe(embeddingsKey(t, o))
    expect(embeddingsKey(t.slice(0, 9), o)).not.toBe(embeddingsKey(t, o))
    expect(embeddingsKey(t, { ...o, dim: 16 })).not.toBe(embeddingsKey(t, o))
  })

  it('put chars that share contexts closer than chars that do not (tiny corpus)', () => {
    // no sub-sampling: in a 400-title corpus every char is 'frequent'
    const e = learnTitleEmbeddings(corpus(400, 5), { dim: 16, bigramDim: 0, seed: 9, epochs: 10, subsample: 0 })
    const vec = (c: string): Float32Array => {
      const i = e.chars.indexOf(c)
      return e.charVectors.subarray(i * 16, (i + 1) * 16)
    }
    let same = 0
    let cross = 0
    let ns = 0
    let nc = 0
    for (const a of COLOURS)
      for (const b of [...COLOURS, ...ITEMS]) {
        if (a === b) continue
        if (COLOURS.includes(b)) {
          same += cos(vec(a), vec(b))
          ns++
        } else {
          cross += cos(vec(a), vec(b))
          nc++
        }
      }
    expect(same / ns).toBeGreaterThan(cross / nc + 0.2)
  })

  it('start the tagger’s char and bigram tables; the vocabulary takes chars only unlabelled titles have', async () => {
    const before = tf.memory().numTensors
    const unlabelled = ['雅戈尔衬衫长袖', '森马牛仔裤']
    const titles = [...TINY.map((e) => e.text), ...unlabelled]
    const pre = learnTitleEmbeddings(titles, { dim: 8, bigramDim: 4, seed: 1, epochs: 1, minBigramCount: 1 })
    const config = presetConfig('bilstm-crf', { model: { charEmbedding: 8, hidden: 8, pretrainedEmbeddings: true, bigramEmbedding: 4 }, epochs: 1, logEvery: 0 })
    const vocabs = buildVocabs(TINY, config.model, { pretrained: pre })
    expect(vocabs.chars).toContain('雅') // only in an unlabelled title
    expect(vocabs.bigrams).toContain('牛仔')
    const model = Tagger.build({ config: config.model, vocabs, seed: 1 })
    const n = model.loadPretrained(pre)
    expect(n.chars).toBe(pre.chars.length)
    expect(n.bigrams).toBeGreaterThan(0)
    const rows = rowsFor(model.vocabs.chars.tokens, pre.chars, pre.charVectors, 8)
    const table = (model.groups.encoder[0]!.arraySync() as number[][])
    const i = model.vocabs.chars.id('雅')
    table[i]!.forEach((x, d) => expect(x).toBeCloseTo(rows[i]![d]!, 6))
    model.dispose()
    // train() refuses the option without embeddings, and trains with them
    await expect(train(config, TINY, [])).rejects.toThrow(/no title embeddings/)
    const r = await train(config, TINY, TINY.slice(0, 2), { pretrained: pre })
    const p = await predict(r.best!, ['雅戈尔衬衫'])
    expect(p[0]!.tags).toHaveLength(5)
    r.model.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('bigrams: one per char, the last with </s>', () => {
    expect(bigramsOf(['a', 'b', 'c'])).toEqual(['ab', 'bc', 'c</s>'])
  })
})
