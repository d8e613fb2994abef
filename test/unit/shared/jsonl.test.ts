// The trainer's job files: the host writes them with toJsonl, the trainer process reads them with
// parseJsonl (shared/jsonl.ts, one module for both sides of the fork).
import { describe, expect, it } from 'vitest'
import { parseJsonl, toJsonl } from '../../../src-main/shared/jsonl'
import { formatWords, parseWords } from '../../../src-main/shared/text'

describe('JSONL of the training job', () => {
  it('round-trips values, one line each, skipping blank lines', () => {
    const values = [{ text: '红色😀', spans: [{ start: 0, end: 2, type: '颜色' }] }, '小米手机', 3]
    const text = toJsonl(values)
    expect(text.split('\n')).toHaveLength(4)
    expect(parseJsonl(text + '\n\n', 'job.jsonl')).toEqual(values)
  })
  it('names the file and line of a bad line, and what was expected', () => {
    expect(() => parseJsonl('{"text":"a","spans":[]}\n{"text":', 'train.jsonl')).toThrow(/^train\.jsonl:2: not JSON/)
    const check = (v: unknown): string | null => (typeof (v as { text?: unknown }).text === 'string' ? null : '{ text, spans }')
    expect(() => parseJsonl('{"text":"a"}\n\n{"spans":[]}\n', 'dev.jsonl', check)).toThrow('dev.jsonl:3: expected { text, spans }')
  })
})

describe("the titles' words column", () => {
  it('stores word lengths as "2,3" and reads them back; none is NULL', () => {
    expect(formatWords([2, 3])).toBe('2,3')
    expect(parseWords('2,3')).toEqual([2, 3])
    expect(parseWords(null)).toBeNull()
    expect(formatWords(null)).toBeNull()
  })
})
