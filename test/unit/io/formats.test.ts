// Each import format on small files this test writes: emoji, full-width characters, code-point offsets.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import type { ImportRequest } from '../../../src-main/shared/api'
import { importInto } from '../../../src-main/services/io/import'
import { Project } from '../../../src-main/services/project/project'
import { detectFormat } from '../../../src-main/io/readers'
import { cpSlice } from '../../../src-main/shared/text'
import { makeProject } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

let dir: string
let projectPath: string
beforeEach(async () => {
  dir = tmpDir()
  projectPath = await makeProject(dir, [])
})

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

interface Got {
  text: string
  spans: [number, number, string, string][]
  words: number[] | null
  split: string
  source: string
  origins: string[]
}

/** Import, then read every title back with its spans as [start, end, type, covered text]. */
async function importAndRead(
  req: ImportRequest,
): Promise<{ summary: Awaited<ReturnType<typeof importInto>>; titles: Got[] }> {
  const summary = await importInto(projectPath, req)
  const p = Project.open(projectPath, { readonly: true })
  try {
    const titles = p.listTitles({ limit: 1000 }).items.map((i) => {
      const t = p.getTitle(i.id)
      return {
        text: t.text,
        spans: t.spans.map(
          (s) =>
            [s.start, s.end, s.type, cpSlice(t.text, s.start, s.end)] as [number, number, string, string],
        ),
        words: t.words,
        split: t.split,
        source: t.source,
        origins: [...new Set(t.spans.map((s) => s.origin))],
      }
    })
    return { summary, titles }
  } finally {
    p.close()
  }
}

// Title 1: 😀ＡＢＣ 品牌 — a space, an emoji and full-width letters. Title 2: plain ASCII.
const T1 = '😀ＡＢＣ 品牌'
const T1_SPANS: [number, number, string, string][] = [
  [1, 4, '品牌', 'ＡＢＣ'],
  [5, 7, '品类', '品牌'],
]
const T2 = 'abc'
const T2_SPANS: [number, number, string, string][] = [[0, 2, 'x', 'ab']]

function seedFolder(name: string, files: Record<string, string>): string {
  const d = join(dir, name)
  mkdirSync(d)
  for (const [f, c] of Object.entries(files)) writeFileSync(join(d, f), c)
  return d
}

describe('seed folder (the study format)', () => {
  const char = '😀 Ａ Ｂ Ｃ [SPA] 品 牌\na b c\n'
  const word = '😀 ＡＢＣ [SPA] 品牌\nab c\n'

  it('reads input.seq.char + output.seq.bioattr + input.seq.word', async () => {
    const d = seedFolder('bioattr', {
      'input.seq.char': char,
      'output.seq.bioattr': 'O B-品牌 I-品牌 I-品牌 O B-品类 I-品类\nB-x I-x O\n',
      'input.seq.word': word,
    })
    expect(detectFormat(d)).toBe('seed')
    const { summary, titles } = await importAndRead({ path: d, split: 'train', origin: 'weak' })
    expect(summary).toMatchObject({ format: 'seed', titles: 2, spans: 3, typesCreated: 3 })
    expect(titles.map((t) => [t.text, t.spans, t.words, t.split, t.origins])).toEqual([
      [T1, T1_SPANS, [1, 3, 1, 2], 'train', ['weak']],
      [T2, T2_SPANS, [2, 1], 'train', ['weak']],
    ])
    expect(titles[1]!.source).toBe(`${join(d, 'input.seq.char')}:2`)
  })

  it('reads the cascade pair output.seq.bio (BIOES) + output.seq.attr the same way, without words', async () => {
    const d = seedFolder('pair', {
      'input.seq.char': char,
      'output.seq.bio': 'O B I E O B E\nB E O\n',
      'output.seq.attr': 'null 品牌 品牌 品牌 null 品类 品类\nx x null\n',
    })
    const { titles } = await importAndRead({ path: d })
    expect(titles.map((t) => [t.text, t.spans, t.words])).toEqual([
      [T1, T1_SPANS, null],
      [T2, T2_SPANS, null],
    ])
  })

  it('reads S (single-character) entities of the cascade pair', async () => {
    const d = seedFolder('single', {
      'input.seq.char': '红 色 t 恤\n',
      'output.seq.bio': 'B E S O\n',
      'output.seq.attr': '颜色 颜色 品类 null\n',
    })
    const { titles } = await importAndRead({ path: d, format: 'seed' })
    expect(titles[0]!.spans).toEqual([
      [0, 2, '颜色', '红色'],
      [2, 3, '品类', 't'],
    ])
  })

  it('prefers output.seq.bioattr when both labellings are present', async () => {
    const d = seedFolder('both', {
      'input.seq.char': 'a b c\n',
      'output.seq.bioattr': 'B-x I-x O\n',
      'output.seq.bio': 'O O S\n',
      'output.seq.attr': 'null null y\n',
    })
    const { titles } = await importAndRead({ path: d })
    expect(titles[0]!.spans).toEqual(T2_SPANS)
  })

  it('imports unlabelled titles from input.seq.char alone', async () => {
    const d = seedFolder('plain', { 'input.seq.char': char })
    const { summary, titles } = await importAndRead({ path: d })
    expect(summary).toMatchObject({ titles: 2, spans: 0 })
    expect(titles.map((t) => t.text)).toEqual([T1, T2])
  })
})

describe('CoNLL', () => {
  it('reads tab-separated BIO, one character per line, with the space character written as " \\tO"', async () => {
    const path = file(
      'a.conll',
      [
        '😀\tO',
        'Ａ\tB-品牌',
        'Ｂ\tI-品牌',
        'Ｃ\tI-品牌',
        ' \tO',
        '品\tB-品类',
        '牌\tI-品类',
        '',
        'a\tB-x',
        'b\tI-x',
        'c\tO',
        '',
      ].join('\n'),
    )
    const { summary, titles } = await importAndRead({ path })
    expect(summary).toMatchObject({ format: 'conll', titles: 2, spans: 3 })
    expect(titles.map((t) => [t.text, t.spans])).toEqual([
      [T1, T1_SPANS],
      [T2, T2_SPANS],
    ])
    expect(titles[1]!.source).toBe(`${path}:9`)
  })

  it('reads space-separated BIOES, with the space character as "  O", CRLF line ends and a -DOCSTART- line', async () => {
    const path = file(
      'b.txt.bieos',
      [
        '-DOCSTART- O',
        '',
        '😀 O',
        'Ａ B-品牌',
        'Ｂ I-品牌',
        'Ｃ E-品牌',
        '  O',
        '品 B-品类',
        '牌 E-品类',
        '',
        '',
        'a B-x',
        'b E-x',
        'c O',
      ].join('\r\n'),
    )
    expect(detectFormat(path)).toBe('conll')
    const { titles } = await importAndRead({ path })
    expect(titles.map((t) => [t.text, t.spans])).toEqual([
      [T1, T1_SPANS],
      [T2, T2_SPANS],
    ])
  })

  it('reads S- single-character entities and entities that run to the end of the title', async () => {
    const path = file('c.bioes', ['红\tS-颜色', '色\tO', 'T\tB-品类', '恤\tE-品类'].join('\n') + '\n')
    const { titles } = await importAndRead({ path, format: 'conll' })
    expect(titles[0]!.spans).toEqual([
      [0, 1, '颜色', '红'],
      [2, 4, '品类', 'T恤'],
    ])
  })
})

describe('JSONL', () => {
  it('reads doccano "label", {spans:[{start,end,label}]} and doccano "entities" with start_offset/end_offset', async () => {
    const path = file(
      'a.jsonl',
      [
        JSON.stringify({
          text: T1,
          label: [
            [1, 4, '品牌'],
            [5, 7, '品类'],
          ],
        }),
        '',
        JSON.stringify({ text: T2, spans: [{ start: 0, end: 2, label: 'x' }] }),
        JSON.stringify({
          id: 9,
          text: '🍎🍎苹果',
          entities: [{ id: 1, label: '品类', start_offset: 2, end_offset: 4 }],
        }),
        JSON.stringify({ text: '无标签' }),
      ].join('\n'),
    )
    const { summary, titles } = await importAndRead({ path })
    expect(summary).toMatchObject({ format: 'jsonl', titles: 4, spans: 4 })
    expect(titles.map((t) => [t.text, t.spans])).toEqual([
      [T1, T1_SPANS],
      [T2, T2_SPANS],
      ['🍎🍎苹果', [[2, 4, '品类', '苹果']]],
      ['无标签', []],
    ])
    expect(titles.map((t) => t.source.split(':').pop())).toEqual(['1', '3', '4', '5'])
  })

  it('sorts spans given out of order', async () => {
    const path = file(
      'b.jsonl',
      JSON.stringify({
        text: T1,
        label: [
          [5, 7, '品类'],
          [1, 4, '品牌'],
        ],
      }) + '\n',
    )
    const { titles } = await importAndRead({ path })
    expect(titles[0]!.spans).toEqual(T1_SPANS)
  })
})

describe('plain text', () => {
  it('reads one title per line, keeping spaces, skipping blank lines, with a BOM and CRLF', async () => {
    const path = file(
      'titles.txt',
      '\ufeff' + [T1, '', '  ', 'Nike 耐克 Air Max ９０ 👟', T2].join('\r\n') + '\r\n',
    )
    const { summary, titles } = await importAndRead({ path, split: 'test' })
    expect(summary).toMatchObject({ format: 'text', titles: 3, spans: 0, typesCreated: 0 })
    expect(titles.map((t) => [t.text, t.split])).toEqual([
      [T1, 'test'],
      ['Nike 耐克 Air Max ９０ 👟', 'test'],
      [T2, 'test'],
    ])
    expect(titles[1]!.source.split(':').pop()).toBe('4')
  })
})

describe('CSV', () => {
  it('reads the title column with quoted commas, doubled quotes and newlines inside quotes', async () => {
    const path = file(
      'titles.csv',
      [
        'id,Title,price',
        `1,${T1},9.9`,
        '2,"华为, 手机 ""旗舰"" 款",3999',
        '3,"第一行',
        '第二行😀",1',
        '4,,0',
        '5,"ＡＢＣ１２３",2',
      ].join('\r\n') + '\r\n',
    )
    const { summary, titles } = await importAndRead({ path })
    expect(summary).toMatchObject({ format: 'csv', titles: 4, spans: 0 })
    expect(titles.map((t) => t.text)).toEqual([
      T1,
      '华为, 手机 "旗舰" 款',
      '第一行\n第二行😀',
      'ＡＢＣ１２３',
    ])
    // Where each record starts (the multi-line one starts on line 4, the next on line 7).
    expect(titles.map((t) => t.source.split(':').pop())).toEqual(['2', '3', '4', '7'])
  })

  it('falls back to a "text" column, and takes --column NAME when given', async () => {
    const a = file('a.csv', '\ufefftext,other\nfirst,x\n')
    expect((await importAndRead({ path: a })).titles.map((t) => t.text)).toEqual(['first'])
    const b = file('b.csv', 'name,商品标题\nfoo,"第二, 个"\n')
    expect((await importAndRead({ path: b, column: '商品标题' })).titles.map((t) => t.text)).toEqual([
      'first',
      '第二, 个',
    ])
  })
})

describe('types and hotkeys after an import', () => {
  it('creates each new type once, reuses existing ones, and gives hotkeys 1…9, 0 to the ten most frequent and letters to the rest', async () => {
    const lines: string[] = []
    // Type tN appears 20 - N times: t0 is the most frequent.
    for (let n = 0; n < 12; n++)
      for (let k = 0; k < 20 - n; k++)
        lines.push(JSON.stringify({ text: 'abc', label: [[0, 1, `t${String(n).padStart(2, '0')}`]] }))
    const { summary } = await importAndRead({ path: file('many.jsonl', lines.join('\n')) })
    expect(summary.typesCreated).toBe(12)
    const p = Project.open(projectPath, { readonly: true })
    const types = p.listTypes()
    p.close()
    expect(types.map((t) => [t.name, t.hotkey])).toEqual([
      ['t00', '1'],
      ['t01', '2'],
      ['t02', '3'],
      ['t03', '4'],
      ['t04', '5'],
      ['t05', '6'],
      ['t06', '7'],
      ['t07', '8'],
      ['t08', '9'],
      ['t09', '0'],
      // Few enough for single letters: the name's first letter when free.
      ['t10', 't'],
      ['t11', 'a'],
    ])
    const again = await importAndRead({
      path: file('again.jsonl', JSON.stringify({ text: 'xyz', label: [[0, 1, 't11']] })),
    })
    expect(again.summary.typesCreated).toBe(0)
  })
})

describe('type names', () => {
  it('are trimmed on import: "品牌", " 品牌" and "品牌 " are one type, in one file or across imports', async () => {
    const path = file(
      'trim.jsonl',
      [
        JSON.stringify({ text: '华为手机', label: [[0, 2, '品牌']] }),
        JSON.stringify({ text: '小米手机', label: [[0, 2, ' 品牌']] }),
        JSON.stringify({
          text: '苹果手机',
          label: [
            [0, 2, '品牌 '],
            [2, 4, ' 品类'],
          ],
        }),
      ].join('\n'),
    )
    const { summary, titles } = await importAndRead({ path })
    expect(summary).toMatchObject({ titles: 3, spans: 4, typesCreated: 2 })
    expect(titles.map((t) => t.spans.map((s) => s[2]))).toEqual([['品牌'], ['品牌'], ['品牌', '品类']])
    const again = await importAndRead({
      path: file('trim2.jsonl', JSON.stringify({ text: 'ab', label: [[0, 1, '  品类']] })),
    })
    expect(again.summary.typesCreated).toBe(0)
  })
})
