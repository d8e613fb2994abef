// Self-training (train/recipe.ts) and the `auto` recipe (models/auto.ts).
import { beforeAll, describe, expect, it } from 'vitest'
import { autoConfig, factsOf } from '../../../../src-main/ml/models/auto'
import { validateConfig } from '../../../../src-main/ml/models/presets'
import { titleWeight } from '../../../../src-main/ml/models/evidence'
import { learnTitleEmbeddings } from '../../../../src-main/ml/embeddings'
import { pseudoLabel, trainRecipe } from '../../../../src-main/ml/train/recipe'
import { predict } from '../../../../src-main/ml/predict'
import type { Example } from '../../../../src-main/shared/training'
import { TINY } from '../../../helpers/tiny'
import { testBackend } from '../../../helpers/ml'

const pred = (spans: { start: number; end: number; type: string; confidence: number }[]) => ({ tags: [], spans: spans.map((s) => ({ ...s, text: '' })) })

describe('self-training pseudo-labels', () => {
  it('never adds a span over gold or any existing span, never touches reviewed titles, keeps only confident spans', () => {
    const pool: Example[] = [
      { text: '回力女鞋新款', spans: [{ start: 0, end: 2, type: '品牌' }] }, // reviewed: gold stays as it is
      { text: '回力女鞋新款', spans: [{ start: 0, end: 2, type: '品牌' }], reviewed: false }, // gold span on an unreviewed title
      { text: '创维智能电视', spans: [], reviewed: false },
    ]
    const preds = [
      pred([{ start: 2, end: 4, type: '品类', confidence: 0.99 }]),
      pred([
        { start: 1, end: 3, type: '品类', confidence: 0.99 }, // overlaps the gold span
        { start: 2, end: 4, type: '品类', confidence: 0.95 },
        { start: 4, end: 6, type: '其他', confidence: 0.5 }, // not confident
      ]),
      pred([
        { start: 0, end: 2, type: '品牌', confidence: 0.97 },
        { start: 1, end: 4, type: '品类', confidence: 0.92 }, // overlaps a more confident pseudo span
        { start: 2, end: 6, type: '品类', confidence: 0.96 },
      ]),
    ]
    const { examples, added, titles } = pseudoLabel(pool, preds, 0.9)
    expect(examples[0]).toBe(pool[0])
    expect(examples[1]!.spans).toEqual([
      { start: 0, end: 2, type: '品牌' },
      { start: 2, end: 4, type: '品类', origin: 'model', confidence: 0.95 },
    ])
    expect(examples[2]!.spans.map((s) => [s.start, s.end, s.type, s.origin])).toEqual([
      [0, 2, '品牌', 'model'],
      [2, 6, '品类', 'model'],
    ])
    expect(added).toBe(3)
    expect(titles).toBe(2)
    for (const e of examples) {
      const spans = [...e.spans].sort((a, b) => a.start - b.start)
      for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end)
    }
  })
})

describe('self-training takes an unlabelled title in full only when its whole labelling is likely', () => {
  const sure = { tags: [], logProb: Math.log(0.95), spans: [{ start: 0, end: 2, type: '品牌', confidence: 0.97, text: '创维' }] }
  const unsure = { ...sure, logProb: Math.log(0.6) }
  it('a confident title becomes fully observed (O included), weighted as a model label times its probability', () => {
    const pool: Example[] = [
      { text: '创维智能电视', spans: [], reviewed: false },
      { text: '创维智能电视', spans: [], reviewed: false },
      { text: '回力女鞋', spans: [{ start: 0, end: 2, type: '品牌', origin: 'weak' }], reviewed: false },
    ]
    // the weak title keeps the span rule even with a sure path: its weak span is never replaced
    const { examples, added, titles } = pseudoLabel(pool, [sure, unsure, { ...sure, spans: [{ start: 0, end: 4, type: '品类', confidence: 0.99, text: '' }] }], 0.9)
    expect(examples[0]).toEqual({ text: '创维智能电视', spans: [{ start: 0, end: 2, type: '品牌', origin: 'model', confidence: 0.97 }], reviewed: true, pseudo: 0.95 })
    expect(examples[1]).toBe(pool[1])
    expect(examples[2]).toBe(pool[2])
    expect([added, titles]).toEqual([1, 1])
    // fully observed: no partial prior; its weight is model × P(path), not gold's
    const wl = { partial: true, unknownEntityPrior: 0.3, originWeights: { gold: 1, weak: 0.8, dictionary: 0.6, model: 0.5 } }
    expect(titleWeight(examples[0]!, wl)).toBeCloseTo(0.475, 6)
    expect(titleWeight({ ...examples[0]!, pseudo: undefined }, wl)).toBe(1)
  })
  it('a sure path with no span at all still counts: it teaches O', () => {
    const { examples, added, titles } = pseudoLabel([{ text: '智能电视', spans: [], reviewed: false }], [{ ...sure, spans: [] }], 0.9)
    expect(examples[0]).toMatchObject({ spans: [], reviewed: true, pseudo: 0.95 })
    expect([added, titles]).toEqual([0, 1])
  })
})

describe('auto', () => {
  beforeAll(async () => {
    await testBackend()
  })
  it('picks its parts by what the data holds and records them', () => {
    const gold = autoConfig(factsOf(TINY))
    expect(gold.preset).toBe('auto')
    expect(gold.recipe!.parts.map((p) => p.id)).toEqual(['base', 'title-embeddings', 'decode-bias'])
    expect(gold.tuneDecodeBias).toBe(true)
    expect(gold.model.pretrainedEmbeddings).toBe(true)
    expect(gold.model.lexicon).toBeFalsy()
    expect(gold.weakLoss).toBeUndefined()
    const weak = autoConfig(factsOf([...TINY, { ...TINY[0]!, reviewed: false }, { text: '无标签', spans: [], reviewed: false }]), { epochs: 6 })
    expect(weak.recipe!.parts.map((p) => p.id)).toEqual(['base', 'title-embeddings', 'weak-loss', 'self-training', 'decode-bias'])
    expect(weak.recipe!.facts).toEqual({ reviewed: 8, weak: 1, unlabelled: 1, types: 5, segmented: 3 })
    expect(weak.weakLoss!.partial).toBe(true)
    // a dictionary wrong more often than right (on reviewed train/dev titles) labels nothing; kept spans stay certain
    expect(weak.weakLoss!.minDictionaryPrecision).toBe(0.5)
    expect(weak.weakLoss!.softSpans).toBeUndefined()
    expect(weak.selfTraining).toEqual({ rounds: 1, minConfidence: 0.9, epochs: 2 })
    expect(weak.epochs).toBe(6)
    const lex = autoConfig({ ...factsOf(TINY), dictionaryTerms: 3 })
    expect(lex.recipe!.parts.map((p) => p.id)).toEqual(['base', 'title-embeddings', 'lexicon', 'decode-bias'])
    expect(lex.model.lexicon).toBe(true)
    const seedLike = autoConfig({ reviewed: 10, weak: 0, unlabelled: 0, types: 430 })
    expect(seedLike.model.architecture).toBe('flat')
    expect(seedLike.recipe!.parts[0]!.label).toBe('bilstm-crf')
    // word features only when most train titles came with their own segmentation (TINY: 2 of 8 do)
    expect(gold.model.wordEmbedding).toBe(0)
    const segmented = autoConfig(factsOf(TINY.map((e) => ({ ...e, words: e.words ?? Array.from(e.text, () => 1) }))))
    expect(segmented.recipe!.parts.map((p) => p.id)).toEqual(['base', 'title-embeddings', 'word-features', 'decode-bias'])
    expect(segmented.recipe!.facts.segmented).toBe(8)
    expect(segmented.model.wordEmbedding).toBe(300)
    expect(autoConfig({ reviewed: 10, weak: 0, unlabelled: 0, types: 3, segmented: 4 }).model.wordEmbedding).toBe(0)
    const many = autoConfig({ reviewed: 10, weak: 0, unlabelled: 0, types: 501 })
    expect(many.model.architecture).toBe('cascade')
    for (const c of [gold, weak, lex, seedLike, segmented, many]) expect(validateConfig(c)).toEqual([])
    expect(validateConfig({ ...weak, weakLoss: { ...weak.weakLoss!, unknownEntityPrior: 0 } })).toEqual(['weakLoss.unknownEntityPrior must be in (0, 1]'])
    expect(validateConfig({ ...weak, selfTraining: { rounds: 1, minConfidence: 2, epochs: 0 } })).toEqual([
      'selfTraining.epochs must be a positive integer',
      'selfTraining.minConfidence must be in [0, 1]',
    ])
    expect(validateConfig({ ...weak, selfTraining: { ...weak.selfTraining!, learningRate: 0 } })).toEqual(['selfTraining.learningRate must be a number > 0'])
    expect(validateConfig({ ...gold, model: { ...gold.model, decodeBias: Number.NaN } })).toEqual(['decodeBias must be a number in [−20, 20]'])
    expect(validateConfig({ ...gold, model: { ...gold.model, head: 'globalpointer' } })).toEqual(['tuneDecodeBias is for tag heads (CRF, softmax), not the span head'])
  })

  it('trains end to end on weak titles with self-training, the kept model no worse on dev than round one', async () => {
    const weakTitles: Example[] = TINY.map((e) => ({ ...e, spans: e.spans.filter((_, i) => i % 2 === 0).map((s) => ({ ...s, origin: 'weak' as const })), reviewed: false }))
    const config = autoConfig(factsOf(weakTitles), { epochs: 3, seed: 3, logEvery: 0 })
    config.model = { ...config.model, charEmbedding: 16, hidden: 16 }
    config.selfTraining = { rounds: 2, minConfidence: 0.0, epochs: 1 }
    // the rounds, kept on dev at bias 0 (the bias chosen afterwards has its own tests: decode-bias.test.ts)
    config.tuneDecodeBias = false
    const evals: number[] = []
    const f1s: number[] = []
    // auto starts from title embeddings: learnt here on the titles' text, as the trainer process does
    const pretrained = learnTitleEmbeddings(TINY.map((e) => e.text), { dim: 16, bigramDim: config.model.bigramEmbedding ?? 0, seed: 1 })
    const r = await trainRecipe(config, weakTitles, TINY.slice(0, 4), {
      pretrained,
      onEvent: (e) => {
        if (e.kind !== 'eval') return
        evals.push(e.epoch)
        f1s.push(e.dev.f1)
      },
    })
    try {
      expect(r.selfTraining).not.toBeNull()
      expect(r.selfTraining!.roundsRun).toBeGreaterThanOrEqual(1)
      // epochs keep counting across rounds
      expect(evals).toEqual(Array.from({ length: evals.length }, (_, i) => i + 1))
      expect(evals.length).toBeGreaterThan(3)
      // stopped on dev: the model kept is the best of every round's epochs
      expect(r.bestDev!.micro.f1).toBeCloseTo(Math.max(...f1s), 6)
    } finally {
      r.model.dispose()
    }
  })

  it('the pool is tagged by `tagPool` when given (the trainer\'s workers): the best checkpoint and the pool in order, the same outcome as this process; null tags here; a rejection on cancel is a cancel', async () => {
    const weakTitles: Example[] = TINY.map((e) => ({ ...e, spans: e.spans.filter((_, i) => i % 2 === 0).map((s) => ({ ...s, origin: 'weak' as const })), reviewed: false }))
    const config = autoConfig(factsOf(weakTitles), { epochs: 2, seed: 4, logEvery: 0 })
    config.model = { ...config.model, charEmbedding: 16, hidden: 16, pretrainedEmbeddings: false }
    config.selfTraining = { rounds: 1, minConfidence: 0.0, epochs: 1 }
    const unlabelled = ['新款女鞋', '创维电视']
    const here = await trainRecipe(config, weakTitles, TINY.slice(0, 4), { unlabelled })
    const calls: { f1: number | undefined; titles: string[] }[] = []
    const firstRound: number[] = []
    const pooled = await trainRecipe(config, weakTitles, TINY.slice(0, 4), {
      unlabelled,
      onEvent: (e) => void (e.kind === 'eval' && e.epoch <= 2 && firstRound.push(e.dev.f1)),
      tagPool: async (best, titles) => {
        calls.push({ f1: best.manifest.metrics?.micro.f1, titles: titles.map((t) => (typeof t === 'string' ? t : t.text)) })
        return { preds: await predict(best, titles), workers: 3 }
      },
    })
    // null: "tag here", with the model in memory
    const declined = await trainRecipe(config, weakTitles, TINY.slice(0, 4), { unlabelled, tagPool: () => null })
    let stop = false
    const cancelled = await trainRecipe(config, weakTitles, TINY.slice(0, 4), {
      unlabelled,
      shouldStop: () => stop,
      tagPool: () => {
        stop = true
        return Promise.reject(new Error('prediction cancelled'))
      },
    })
    try {
      // the best of the first two epochs, and every pool title: the unreviewed training titles, then the unlabelled
      expect(calls).toEqual([{ f1: Math.max(...firstRound), titles: [...weakTitles.map((e) => e.text), ...unlabelled] }])
      expect(pooled.selfTraining).toMatchObject({ ...here.selfTraining, pool: { titles: weakTitles.length + 2, workers: 3 } })
      expect(here.selfTraining!.pool).toMatchObject({ titles: weakTitles.length + 2, workers: 1 })
      expect(declined.selfTraining).toMatchObject({ ...here.selfTraining, pool: { workers: 1 } })
      expect(pooled.bestDev!.micro).toEqual(here.bestDev!.micro)
      expect(cancelled.cancelled).toBe(true)
      expect(cancelled.selfTraining).toMatchObject({ roundsRun: 0 })
    } finally {
      for (const r of [here, pooled, declined, cancelled]) r.model.dispose()
    }
  })
})
