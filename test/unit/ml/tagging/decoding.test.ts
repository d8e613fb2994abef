import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { viterbiBatch } from '../../../../src-main/ml/kernels/viterbi'
import { crfStructure } from '../../../../src-main/ml/layers/crf/constraints'
import { schemeDecoder } from '../../../../src-main/ml/layers/crf/viterbi'
import { buildVocabs, featurize, makeBatch } from '../../../../src-main/ml/models/features'
import { presetConfig } from '../../../../src-main/ml/models/presets'
import { Tagger } from '../../../../src-main/ml/models/tagger'
import { makeOptimizer, trainStep } from '../../../../src-main/ml/train/trainer'
import { LabelVocab } from '../../../../src-main/ml/tagging/labels'
import { makeRng } from '../../../../src-main/ml/train/rng'
import type { TagScheme } from '../../../../src-main/shared/tags'
import type { ModelConfig, PresetName } from '../../../../src-main/shared/training'
import { testBackend } from '../../../helpers/ml'
import { TINY } from '../../../helpers/tiny'

/** Random per-character log-probabilities `[B, L, T]` (padding: huge values a decoder must ignore). */
function logProbs(lengths: number[], L: number, T: number, draw: () => number): Float32Array {
  const em = new Float32Array(lengths.length * L * T)
  lengths.forEach((n, b) => {
    for (let t = 0; t < L; t++) {
      const row = Array.from({ length: T }, () => 3 * draw())
      const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0))
      for (let j = 0; j < T; j++) em[(b * L + t) * T + j] = t < n ? row[j]! - lse : 1e6 * ((j % 3) - 1)
    }
  })
  return em
}

/** Best Σ log p over every tag path of length n that the scheme allows (enumerated). */
function bruteBest(labels: readonly string[], scheme: TagScheme, em: Float32Array, offset: number, n: number): number {
  const s = crfStructure(labels, scheme)
  const T = labels.length
  let best = -Infinity
  const path = new Array<number>(n).fill(0)
  const visit = (t: number, score: number): void => {
    if (t === n) {
      if (s.endAllowed[path[n - 1]!]) best = Math.max(best, score)
      return
    }
    for (let j = 0; j < T; j++) {
      if (t === 0 ? !s.startAllowed[j] : !s.allowed[path[t - 1]! * T + j]) continue
      path[t] = j
      visit(t + 1, score + em[offset + t * T + j]!)
    }
  }
  visit(0, 0)
  return best
}

/** Well-formed tags: I/E (BIOES) continue a chunk of their type, nothing interrupts one, none left open. */
function wellFormed(tags: readonly string[], scheme: TagScheme): boolean {
  let open: string | null = null
  for (const tag of tags) {
    const [prefix, type = ''] = tag.split('-') as [string, string?]
    if (prefix === 'I' || prefix === 'E') {
      if (open !== type) return false
    } else if (scheme === 'BIOES' && open !== null) return false
    open = prefix === 'B' || prefix === 'I' ? type : null
  }
  return scheme === 'BIO' || open === null
}

/**
 * The same weights (a preset's tagger after `steps` training steps on the tiny titles) predicting
 * the tiny titles with two settings of the model config; checks that the second leaks no tensor.
 */
async function samePredictions(preset: PresetName, a: Partial<ModelConfig>, b: Partial<ModelConfig>, seed: number, steps: number) {
  const config = presetConfig(preset, { model: { charEmbedding: 8, hidden: 8 } })
  const vocabs = buildVocabs(TINY, config.model)
  const first = Tagger.build({ config: { ...config.model, ...a }, vocabs, seed })
  const second = Tagger.build({ config: { ...config.model, ...b }, vocabs, seed })
  const batch = makeBatch(TINY.map((e) => featurize(e, first.vocabs)))
  const opt = makeOptimizer(first, config)
  try {
    for (let i = 0; i < steps; i++) trainStep(first, opt, batch, config)
    second.variables.forEach((v, i) => v.assign(first.variables[i]!))
    const texts = TINY.map((e) => [...e.text])
    const pa = await first.predictBatch(batch, texts)
    const n = tf.memory().numTensors
    const pb = await second.predictBatch(batch, texts)
    expect(tf.memory().numTensors).toBe(n)
    return { config, a: pa, b: pb }
  } finally {
    opt.dispose()
    first.dispose()
    second.dispose()
  }
}

describe('decoding options: constrained softmax paths, span typing', () => {
  beforeAll(async () => {
    await testBackend()
  })

  for (const scheme of ['BIO', 'BIOES'] as TagScheme[]) {
    it(`${scheme}: the scheme's plan finds the best well-formed path, as enumeration does (padding and length-1 titles included)`, () => {
      const draw = makeRng(scheme === 'BIO' ? 11 : 12)
      const rnd = () => draw() * 2 - 1
      for (const labels of [LabelVocab.forTypes(['品牌', '颜色'], scheme).labels, LabelVocab.boundary(scheme).labels]) {
        const T = labels.length
        const lengths = [1, 4, 2, 3, 4, 1]
        const L = 4
        const em = logProbs(lengths, L, T, rnd)
        const dec = schemeDecoder(labels, scheme)
        // its well-formedness test agrees with the rule on random paths (length 1 included)
        for (let k = 0; k < 200; k++) {
          const p = Array.from({ length: 1 + (k % 4) }, () => Math.floor(draw() * T))
          expect(dec.wellFormed(p), p.map((j) => labels[j]).join(' ')).toBe(wellFormed(p.map((j) => labels[j]!), scheme))
        }
        const paths = viterbiBatch(dec.plan, em, lengths.length, L, lengths)
        paths.forEach((p, b) => {
          expect(p).toHaveLength(lengths[b]!)
          expect(wellFormed(p.map((j) => labels[j]!), scheme), p.map((j) => labels[j]).join(' ')).toBe(true)
          const score = p.reduce((a, j, t) => a + em[(b * L + t) * T + j]!, 0)
          expect(score).toBeCloseTo(bruteBest(labels, scheme, em, b * L * T, lengths[b]!), 4)
        })
      }
    })
  }

  it('a softmax tagger with constrainedDecoding emits well-formed tags, the argmax wherever that is well-formed, with no leaks', async () => {
    const { config, a, b: c } = await samePredictions('bilstm', { constrainedDecoding: false }, { constrainedDecoding: true }, 5, 1)
    expect(config.model.scheme).toBe('BIOES')
    let fixed = 0
    c.forEach((p, b) => {
      expect(wellFormed(p.tags, 'BIOES'), p.tags.join(' ')).toBe(true)
      if (wellFormed(a[b]!.tags, 'BIOES')) expect(p.tags).toEqual(a[b]!.tags)
      else {
        fixed++
        // the argmax path is the unconstrained best: a well-formed path scores no more
        expect(p.logProb!).toBeLessThanOrEqual(a[b]!.logProb! + 1e-5)
      }
      expect(p.logProb).toBeLessThanOrEqual(0)
      for (const s of p.spans) expect(s.confidence).toBeGreaterThan(0)
    })
    // an untrained 17-tag softmax leaves some argmax paths ill-formed: the case above is exercised
    expect(fixed).toBeGreaterThan(0)
  })

  it('spanTyping changes a cascade span’s type only, never its boundaries; a one-character span keeps its type', async () => {
    const { a, b } = await samePredictions('cascade-bilstm-crf', { spanTyping: false }, { spanTyping: true }, 4, 3)
    let spans = 0
    a.forEach((p, i) => {
      expect(b[i]!.tags).toEqual(p.tags)
      expect(b[i]!.spans.map((s) => [s.start, s.end])).toEqual(p.spans.map((s) => [s.start, s.end]))
      p.spans.forEach((s, k) => {
        spans++
        if (s.end - s.start === 1) expect(b[i]!.spans[k]!.type).toBe(s.type)
        expect(b[i]!.spans[k]!.confidence).toBeGreaterThan(0)
      })
    })
    expect(spans).toBeGreaterThan(0)
  })
})
