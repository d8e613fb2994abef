import { describe, expect, it } from 'vitest'
import { tokenizeTitle, joinWindows, padBatch, Vocab, windowIds, windows } from '../../../../src-main/ml/bert/tokenizer'

const vocab = Vocab.parse(
  ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'苹果手机壳红色', ...'abcdefghijklmnopqrstuvwxyz', ...'0123456789', '-', '##s'].join('\n') + '\n',
)
const id = (t: string): number => vocab.ids.get(t)!

describe('char-aligned tokeniser', () => {
  it('one token per code point; emoji → [UNK] with a single offset; Latin lower-cased; spaces dropped', () => {
    const title = 'iPhone 12 😀苹果'
    const e = tokenizeTitle(vocab, title)
    expect(e.ids).toEqual([
      vocab.cls,
      id('i'), id('p'), id('h'), id('o'), id('n'), id('e'),
      id('1'), id('2'),
      vocab.unk,
      id('苹'), id('果'),
      vocab.sep,
    ])
    // code-point offsets: "i P h o n e _ 1 2 _ 😀 苹 果" → 0..5, 7, 8, 10, 11, 12
    expect(e.offsets).toEqual([-1, 0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 12, -1])
    // UTF-16 offsets: the emoji is two code units
    expect(e.utf16Offsets).toEqual([-1, 0, 1, 2, 3, 4, 5, 7, 8, 10, 12, 13, -1])
    expect(e.numChars).toBe([...title].length)
    // every kept offset points back at the character that produced the token
    const cps = [...title]
    e.offsets.slice(1, -1).forEach((o) => expect(cps[o]).not.toMatch(/\s/))
  })

  it('full-width letters and digits map to their half-width (and lower-case) tokens', () => {
    const e = tokenizeTitle(vocab, 'ＡＢＣ１２３')
    expect(e.ids.slice(1, -1)).toEqual([id('a'), id('b'), id('c'), id('1'), id('2'), id('3')])
    expect(e.offsets.slice(1, -1)).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('full-width space, tabs, zero-width joiner are dropped; accents stripped for lookup', () => {
    const e = tokenizeTitle(vocab, '红\u3000色\t\u200d-é')
    expect(e.ids.slice(1, -1)).toEqual([id('红'), id('色'), id('-'), id('e')])
    expect(e.offsets.slice(1, -1)).toEqual([0, 2, 5, 6])
  })

  it('unknown CJK character → [UNK]; empty title → [CLS][SEP]', () => {
    expect(tokenizeTitle(vocab, '鞋').ids).toEqual([vocab.cls, vocab.unk, vocab.sep])
    expect(tokenizeTitle(vocab, '  ').ids).toEqual([vocab.cls, vocab.sep])
  })

  it('vocab without special tokens is rejected by name', () => {
    expect(() => Vocab.parse('[PAD]\n[UNK]\n[CLS]\n', 'v.txt')).toThrow(/v\.txt: missing special token \[SEP\]/)
  })

  it('windows cover long titles with overlap; joinWindows restores per-token outputs', () => {
    expect(windows(5, 8)).toEqual([{ start: 0, end: 5 }])
    const ws = windows(20, 8) // stride 4
    expect(ws).toEqual([
      { start: 0, end: 8 },
      { start: 4, end: 12 },
      { start: 8, end: 16 },
      { start: 12, end: 20 },
    ])
    const ws2 = windows(21, 8, 6)
    expect(ws2.at(-1)).toEqual({ start: 13, end: 21 })
    for (const w of ws2) expect(w.end - w.start).toBe(8)
    // outputs = global position, tagged with window index → joined sequence is 0..n-1 exactly
    for (const [n, W, s] of [[20, 8, 4], [21, 8, 6], [100, 62, 31], [7, 3, 1], [9, 4, 4]] as const) {
      const wins = windows(n, W, s)
      const outs = wins.map((w, k) => Array.from({ length: w.end - w.start }, (_, i) => ({ pos: w.start + i, k })))
      const joined = joinWindows(wins, outs, n)
      expect(joined.map((o) => o.pos)).toEqual(Array.from({ length: n }, (_, i) => i))
    }
    // the central window wins in the overlap: position 6 is at margin 1 in window 0, margin 2 in window 1
    const outs = ws.map((w, k) => new Array<number>(w.end - w.start).fill(k))
    const j = joinWindows(ws, outs, 20)
    expect(j[6]).toBe(1)
    expect(j[0]).toBe(0)
    expect(j[19]).toBe(3)
    expect(() => joinWindows(ws, outs.slice(1), 20)).toThrow(/4 windows but 3 outputs/)
  })

  it('windowIds adds [CLS]/[SEP] around the window and padBatch pads with a mask', () => {
    const title = '苹果手机壳红色'
    const e = tokenizeTitle(vocab, title)
    const ws = windows(e.ids.length - 2, 4, 2)
    const seqs = ws.map((w) => windowIds(vocab, e, w))
    expect(seqs[0]).toEqual([vocab.cls, id('苹'), id('果'), id('手'), id('机'), vocab.sep])
    const b = padBatch(vocab, [seqs[0]!, [vocab.cls, vocab.sep]])
    expect(b.seqLen).toBe(6)
    expect(b.ids[1]).toEqual([vocab.cls, vocab.sep, 0, 0, 0, 0])
    expect(b.mask[1]).toEqual([1, 1, 0, 0, 0, 0])
  })
})
