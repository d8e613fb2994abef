import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { GlobalPointer, NEG_INF, decodeSpans, type ScoredSpan } from '../../../../src-main/ml/layers/global-pointer'
import { presetConfig, validateConfig } from '../../../../src-main/ml/models/presets'
import { train } from '../../../../src-main/ml/train/trainer'
import { predict } from '../../../../src-main/ml/predict'
import { evaluate } from '../../../../src-main/ml/eval'
import { makeRng } from '../../../../src-main/ml/train/rng'
import type { PlainSpan } from '../../../../src-main/shared/tags'
import { testBackend } from '../../../helpers/ml'
import { TINY } from '../../../helpers/tiny'

let uid = 0

/** Scores by loops: RoPE written out per pair, q·k/√D + (start bias + end bias)/2, −1e12 off the valid triangle. */
function bruteScores(gp: GlobalPointer, h: number[][], B: number, L: number, lengths: number[]): number[] {
  const [qkW, qkB, bW, bB] = gp.variables.map((v) => v.arraySync()) as [number[][], number[], number[][], number[]]
  const D = gp.headSize
  const K = gp.types.length
  const affine = (x: number[], w: number[][], b: number[]): number[] => b.map((bb, o) => bb + x.reduce((a, xi, i) => a + xi * w[i]![o]!, 0))
  const rot = (v: number[], pos: number): number[] => {
    const out = [...v]
    for (let m = 0; m < D / 2; m++) {
      const th = pos / Math.pow(10000, (2 * m) / D)
      out[2 * m] = v[2 * m]! * Math.cos(th) - v[2 * m + 1]! * Math.sin(th)
      out[2 * m + 1] = v[2 * m + 1]! * Math.cos(th) + v[2 * m]! * Math.sin(th)
    }
    return out
  }
  const out: number[] = []
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++)
      for (let i = 0; i < L; i++)
        for (let j = 0; j < L; j++) {
          if (!(i <= j && j < lengths[b]!)) {
            out.push(NEG_INF)
            continue
          }
          const hi = h[b * L + i]!
          const hj = h[b * L + j]!
          const q = rot(affine(hi, qkW, qkB).slice(0, D), i)
          const kk = rot(affine(hj, qkW, qkB).slice(D), j)
          const dot = q.reduce((a, x, d) => a + x * kk[d]!, 0) / Math.sqrt(D)
          const st = affine(hi, bW, bB)[2 * k]!
          const en = affine(hj, bW, bB)[2 * k + 1]!
          out.push(dot + (st + en) / 2)
        }
  return out
}

/** Circle loss by loops: per (title, type), log(1 + Σ_neg e^s) + log(1 + Σ_pos e^−s) over valid cells; mean. */
function bruteLoss(s: number[], spans: PlainSpan[][], types: string[], B: number, L: number): number {
  const K = types.length
  let total = 0
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      let neg = 1
      let pos = 1
      for (let i = 0; i < L; i++)
        for (let j = 0; j < L; j++) {
          const v = s[((b * K + k) * L + i) * L + j]!
          if (v <= NEG_INF / 2) continue
          const gold = spans[b]!.some((x) => x.type === types[k] && x.start === i && x.end === j + 1)
          if (gold) pos += Math.exp(-v)
          else neg += Math.exp(v)
        }
      total += Math.log(neg) + Math.log(pos)
    }
  return total / (B * K)
}

describe('GlobalPointer span head', () => {
  beforeAll(async () => {
    await testBackend()
  })

  it('scores and circle loss equal brute force on tiny inputs (padding and the lower triangle masked)', () => {
    const before = tf.memory().numTensors
    const types = ['品牌', '颜色']
    const gp = new GlobalPointer({ inputSize: 5, types, headSize: 4, name: `gp${uid++}`, seed: 11 })
    const B = 2
    const L = 4
    const lengths = [4, 3]
    const rng = makeRng(3)
    const h = Array.from({ length: B * L }, () => Array.from({ length: 5 }, () => rng() * 2 - 1))
    const spans: PlainSpan[][] = [
      [
        { start: 0, end: 2, type: '品牌' },
        { start: 3, end: 4, type: '颜色' },
      ],
      [{ start: 1, end: 3, type: '颜色' }],
    ]
    const ht = tf.tensor2d(h)
    const scores = gp.scores(ht, B, L, lengths)
    const got = Array.from(scores.dataSync())
    const want = bruteScores(gp, h, B, L, lengths)
    expect(got).toHaveLength(want.length)
    got.forEach((g, i) => (want[i]! <= NEG_INF / 2 ? expect(g).toBeLessThan(-1e11) : expect(g).toBeCloseTo(want[i]!, 4)))
    const loss = gp.loss(scores, spans)
    expect(loss.dataSync()[0]).toBeCloseTo(bruteLoss(got, spans, types, B, L), 4)
    // a different gold set gives a different loss (the targets are read)
    const other = gp.loss(scores, [[{ start: 1, end: 2, type: '品牌' }], []])
    expect(Math.abs(other.dataSync()[0]! - loss.dataSync()[0]!)).toBeGreaterThan(1e-3)
    for (const t of [ht, scores, loss, other, ...gp.variables]) t.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('decode = the non-overlapping set of positive spans with the largest total score (brute force over all subsets)', () => {
    const rng = makeRng(5)
    const types = ['a', 'b']
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + Math.floor(rng() * 5)
      const grid = Array.from({ length: 2 * n * n }, () => (rng() < 0.45 ? rng() * 4 : -rng() * 4))
      const get = (k: number, i: number, j: number): number => grid[(k * n + i) * n + j]!
      const got = decodeSpans(n, 2, get, types)
      // candidates: best type per (i, j) when > 0
      const cands: ScoredSpan[] = []
      for (let i = 0; i < n; i++)
        for (let j = i; j < n; j++) {
          const k = get(0, i, j) >= get(1, i, j) ? 0 : 1
          if (get(k, i, j) > 0) cands.push({ start: i, end: j + 1, type: types[k]!, score: get(k, i, j) })
        }
      let best = 0
      let bestSets: ScoredSpan[][] = [[]]
      for (let mask = 1; mask < 1 << cands.length; mask++) {
        const set = cands.filter((_, i) => mask & (1 << i))
        if (set.some((x, i) => set.some((y, j) => i < j && x.start < y.end && y.start < x.end))) continue
        const total = set.reduce((a, x) => a + x.score, 0)
        if (total > best + 1e-9) {
          best = total
          bestSets = [set]
        } else if (Math.abs(total - best) <= 1e-9) bestSets.push(set)
      }
      expect(got.reduce((a, x) => a + x.score, 0)).toBeCloseTo(best, 9)
      const key = (s: ScoredSpan[]): string => JSON.stringify([...s].sort((x, y) => x.start - y.start))
      expect(bestSets.map(key)).toContain(key(got))
      // flat and ordered
      for (let i = 1; i < got.length; i++) expect(got[i]!.start).toBeGreaterThanOrEqual(got[i - 1]!.end)
    }
  })

  it('the bilstm-globalpointer preset is valid, flat-only, and rejects WOL weights', () => {
    const c = presetConfig('bilstm-globalpointer')
    expect(c.model.head).toBe('globalpointer')
    expect(validateConfig(c)).toEqual([])
    expect(validateConfig(presetConfig('bilstm-globalpointer', { model: { architecture: 'cascade' } })).join()).toMatch(/flat/)
    expect(validateConfig(presetConfig('bilstm-globalpointer', { model: { pointerSize: 7 } })).join()).toMatch(/even/)
    expect(validateConfig(presetConfig('bilstm-globalpointer', { lossWeights: { entity: 1.5, outside: 0.5 } }))).not.toEqual([])
  })

  it('bilstm-globalpointer overfits 8 titles (dev F1 > 0.5) and predicts the same from its checkpoint', async () => {
    const before = tf.memory().numTensors
    const config = presetConfig('bilstm-globalpointer', {
      model: { charEmbedding: 16, hidden: 24, pointerSize: 16 },
      batchSize: 4,
      epochs: 40,
      learningRate: 0.02,
      patience: 0,
      logEvery: 0,
      seed: 7,
    })
    let f1 = 0
    const r = await train(config, TINY, TINY, {
      onEvent: (e) => {
        if (e.kind === 'eval') f1 = e.bestF1
      },
      shouldStop: () => f1 >= 0.95,
    })
    const preds = await predict(r.model, TINY)
    const rep = evaluate(
      TINY.map((e) => e.spans),
      preds.map((p) => p.spans),
    )
    expect(rep.micro.f1).toBeGreaterThan(0.5)
    for (const p of preds) {
      for (const s of p.spans) expect(s.confidence).toBeGreaterThan(0.5)
      for (let i = 1; i < p.spans.length; i++) expect(p.spans[i]!.start).toBeGreaterThanOrEqual(p.spans[i - 1]!.end)
    }
    const again = await predict(r.best!, TINY)
    expect(again.map((p) => p.spans)).toEqual(preds.map((p) => p.spans))
    r.model.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
