import { describe, expect, it } from 'vitest'
import { evaluate } from '../../../../src-main/ml/eval'

describe('evaluate', () => {
  const texts = ['回力女鞋红色', '创维电视']
  const gold = [
    [
      { start: 0, end: 2, type: '品牌' },
      { start: 2, end: 4, type: '品类' },
      { start: 4, end: 6, type: '颜色' },
    ],
    [
      { start: 0, end: 2, type: '品牌' },
      { start: 2, end: 4, type: '品类' },
    ],
  ]
  const pred = [
    [
      { start: 0, end: 2, type: '品牌' }, // correct
      { start: 2, end: 3, type: '品类' }, // wrong boundary
      { start: 4, end: 6, type: '品类' }, // wrong type
    ],
    [
      { start: 0, end: 2, type: '品牌' }, // correct
      // 品类 missed
    ],
  ]
  const r = evaluate(gold, pred, texts)
  it('micro P/R/F1 on exact (start, end, type)', () => {
    expect(r.micro.correct).toBe(2)
    expect(r.micro.predicted).toBe(4)
    expect(r.micro.support).toBe(5)
    expect(r.micro.precision).toBeCloseTo(0.5)
    expect(r.micro.recall).toBeCloseTo(0.4)
    expect(r.micro.f1).toBeCloseTo(0.4444, 3)
  })
  it('per type with support, macro', () => {
    expect(r.perType['品牌']).toMatchObject({ support: 2, predicted: 2, correct: 2, f1: 1 })
    expect(r.perType['品类']).toMatchObject({ support: 2, predicted: 2, correct: 0, f1: 0 })
    expect(r.perType['颜色']).toMatchObject({ support: 1, predicted: 0, correct: 0 })
    expect(r.macro.f1).toBeCloseTo(1 / 3)
  })
  it('boundary F1, type accuracy, error buckets, confusion', () => {
    expect(r.boundary.precision).toBeCloseTo(3 / 4)
    expect(r.boundary.recall).toBeCloseTo(3 / 5)
    expect(r.typeAccuracy).toBeCloseTo(2 / 3)
    expect(r.errors).toEqual({ missed: 1, spurious: 0, wrongBoundary: 1, wrongType: 1, wrongBoth: 0 })
    expect(r.confusion['颜色']).toEqual({ 品类: 1 })
    expect(r.confusion['品牌']).toEqual({ 品牌: 2 })
  })
  it("the study's (type, text) set metric", () => {
    // title 1: gold {品牌:回力, 品类:女鞋, 颜色:红色}, pred {品牌:回力, 品类:女, 品类:红色}; title 2: 1 of 2
    expect(r.study.precision).toBeCloseTo(2 / 4)
    expect(r.study.recall).toBeCloseTo(2 / 5)
    const dup = evaluate([[{ start: 0, end: 2, type: 'a' }, { start: 2, end: 4, type: 'a' }]], [[{ start: 0, end: 2, type: 'a' }]], ['xyxy'])
    expect(dup.study.f1).toBe(1) // same (type, text) twice counts once
    expect(dup.micro.recall).toBe(0.5)
  })
  it('perfect and empty', () => {
    expect(evaluate(gold, gold).micro.f1).toBe(1)
    expect(evaluate([[]], [[]]).micro.f1).toBe(0)
  })
})
