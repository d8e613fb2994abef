// Malformed input: a clear InputError naming the file and the line, and a project left exactly as it was.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import type { ImportRequest } from '../../../src-main/shared/api'
import { importInto } from '../../../src-main/services/io/import'
import { InputError } from '../../../src-main/shared/errors'
import { MAX_LINE_BYTES } from '../../../src-main/io/lines'
import { dumpProject, makeProject, statsOf } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

let dir: string
let projectPath: string
beforeEach(async () => {
  dir = tmpDir()
  // A project with content and history, so "unchanged" means something.
  projectPath = await makeProject(dir, [
    { text: '已有标题一😀', label: [[0, 2, '品牌']] },
    { text: '已有标题二', label: [[2, 4, '品类']] },
  ])
})

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

/** The import must fail with an InputError for `badFile` at `line`, and change nothing at all. */
async function expectRejected(
  req: ImportRequest,
  badFile: string,
  line: number,
  problem: RegExp,
): Promise<InputError> {
  const stats = statsOf(projectPath)
  const dump = dumpProject(projectPath)
  let err: unknown
  try {
    await importInto(projectPath, req)
  } catch (e) {
    err = e
  }
  expect(err, 'the import should have failed').toBeInstanceOf(InputError)
  const ie = err as InputError
  expect(ie.code).toBe('invalid_input')
  expect(basename(ie.file)).toBe(basename(badFile))
  expect(ie.line).toBe(line)
  expect(ie.problem).toMatch(problem)
  expect(ie.message).toBe(`${ie.file}:${line}: ${ie.problem}`)
  expect(ie.message.split('\n')).toHaveLength(1)
  expect(statsOf(projectPath)).toEqual(stats)
  expect(dumpProject(projectPath)).toEqual(dump)
  return ie
}

function seed(files: Record<string, string | Buffer>): string {
  const d = join(dir, `seed-${Math.random().toString(36).slice(2)}`)
  mkdirSync(d)
  for (const [f, c] of Object.entries(files)) writeFileSync(join(d, f), c)
  return d
}

describe('seed folder', () => {
  it('mismatched line counts between the study files name the short file and the first missing line', async () => {
    const d = seed({ 'input.seq.char': 'a b\nc d\ne f\n', 'output.seq.bioattr': 'B-新 I-新\nO O\n' })
    await expectRejected({ path: d }, 'output.seq.bioattr', 3, /has 2 lines but .*input\.seq\.char has more/)
    const w = seed({
      'input.seq.char': 'a b\nc d\n',
      'output.seq.bioattr': 'O O\nO O\n',
      'input.seq.word': 'ab\ncd\nef\n',
    })
    await expectRejected({ path: w }, 'input.seq.char', 3, /line-aligned/)
  })

  it('a line with fewer tags than characters', async () => {
    const d = seed({ 'input.seq.char': 'a b\nc d e\n', 'output.seq.bioattr': 'B-新 I-新\nO O\n' })
    await expectRejected(
      { path: d },
      'output.seq.bioattr',
      2,
      /has 2 tags but \S*input\.seq\.char has 3 characters/,
    )
  })

  it('an unknown tag', async () => {
    const d = seed({ 'input.seq.char': 'a b\nc d\n', 'output.seq.bioattr': 'B-新 I-新\nX-新 O\n' })
    await expectRejected({ path: d }, 'output.seq.bioattr', 2, /unknown tag "X-新" at character 1/)
  })

  it('a stray I- tag (no B- before it, or a B- of another type)', async () => {
    const d = seed({ 'input.seq.char': 'a b c\nc d e\n', 'output.seq.bioattr': 'B-新 I-新 O\nO I-新 O\n' })
    await expectRejected({ path: d }, 'output.seq.bioattr', 2, /stray tag I-新 at character 2/)
    const e = seed({ 'input.seq.char': 'a b\n', 'output.seq.bioattr': 'B-甲 I-乙\n' })
    await expectRejected({ path: e }, 'output.seq.bioattr', 1, /stray tag I-乙/)
  })

  it('the cascade pair disagreeing: a type change inside an entity, a typed O, a missing partner file', async () => {
    const d = seed({
      'input.seq.char': 'a b c\n',
      'output.seq.bio': 'B E O\n',
      'output.seq.attr': '甲 乙 null\n',
    })
    await expectRejected({ path: d }, 'output.seq.attr', 1, /type changes inside an entity/)
    const o = seed({
      'input.seq.char': 'a b c\n',
      'output.seq.bio': 'B E O\n',
      'output.seq.attr': '甲 甲 乙\n',
    })
    await expectRejected({ path: o }, 'output.seq.attr', 1, /has type "乙" but boundary tag O/)
    const m = seed({ 'input.seq.char': 'a b c\n', 'output.seq.bio': 'B E O\n' })
    await expectRejected({ path: m }, 'output.seq.attr', 0, /missing/)
  })

  it('words that do not cover the characters', async () => {
    const d = seed({ 'input.seq.char': 'a b c\n', 'output.seq.bioattr': 'O O O\n', 'input.seq.word': 'ab\n' })
    await expectRejected({ path: d }, 'input.seq.word', 1, /words cover 2 characters but the title has 3/)
  })

  it('invalid UTF-8 in one of the files', async () => {
    const d = seed({
      'input.seq.char': Buffer.concat([Buffer.from('a b\n'), Buffer.from([0x63, 0x20, 0xc3, 0x28, 0x0a])]),
      'output.seq.bioattr': 'O O\nO O\n',
    })
    await expectRejected({ path: d }, 'input.seq.char', 2, /invalid UTF-8/)
  })

  it('an empty input.seq.char', async () => {
    const d = seed({ 'input.seq.char': '', 'output.seq.bioattr': '' })
    await expectRejected({ path: d }, 'input.seq.char', 1, /no titles/)
  })
})

describe('CoNLL', () => {
  it('an unknown tag, on its own line', async () => {
    const path = file('a.conll', ['a\tO', 'b\tB-新', '', 'c\tO', 'd\tQ-新', 'e\tO', ''].join('\n'))
    await expectRejected({ path }, path, 5, /unknown tag "Q-新"/)
  })

  it('a stray I- tag, on its own line', async () => {
    const path = file('b.conll', ['a\tO', 'b\tB-新', '', 'c\tO', 'd\tO', 'e\tI-新', ''].join('\n'))
    await expectRejected({ path }, path, 6, /stray tag I-新 at character 3/)
  })

  it('a stray E- tag in BIOES, and a tag without a type', async () => {
    const path = file('c.bioes', ['a O', 'b E-新', ''].join('\n'))
    await expectRejected({ path }, path, 2, /stray tag E-新/)
    const bare = file('d.bioes', ['x O', 'a B', 'b E', ''].join('\n'))
    await expectRejected({ path: bare }, bare, 2, /has no type/)
  })

  it('a line without a tag', async () => {
    const path = file('e.conll', ['a\tO', 'b', ''].join('\n'))
    await expectRejected({ path }, path, 2, /expected "<character><tab or space><tag>"/)
  })

  it('invalid UTF-8 bytes', async () => {
    const path = file(
      'f.conll',
      Buffer.concat([Buffer.from('a\tO\nb\tO\n\n'), Buffer.from([0xff, 0xfe, 0x09, 0x4f, 0x0a])]),
    )
    await expectRejected({ path }, path, 4, /invalid UTF-8/)
  })

  it('an empty file', async () => {
    const path = file('g.conll', '')
    await expectRejected({ path }, path, 1, /no titles/)
    const blank = file('h.conll', '\n\n\n')
    await expectRejected({ path: blank }, blank, 1, /no titles/)
  })
})

describe('JSONL', () => {
  it('bad JSON', async () => {
    const path = file(
      'a.jsonl',
      [JSON.stringify({ text: 'ok', label: [[0, 1, '新']] }), '{"text": "broken", ', ''].join('\n'),
    )
    await expectRejected({ path }, path, 2, /not valid JSON/)
  })

  it('a span out of range, counted in code points (the UTF-16 length would have allowed it)', async () => {
    const text = '😀😀ab' // 4 code points, 6 UTF-16 units
    const path = file(
      'b.jsonl',
      [JSON.stringify({ text, label: [[0, 2, '新']] }), JSON.stringify({ text, label: [[3, 5, '新']] })].join(
        '\n',
      ),
    )
    await expectRejected({ path }, path, 2, /span \[3, 5\) 新 is outside the title \(4 characters/)
    const neg = file('c.jsonl', JSON.stringify({ text, label: [[-1, 2, '新']] }))
    await expectRejected({ path: neg }, neg, 1, /outside the title/)
    const empty = file('d.jsonl', JSON.stringify({ text, label: [[2, 2, '新']] }))
    await expectRejected({ path: empty }, empty, 1, /outside the title/)
  })

  it('overlapping spans', async () => {
    const path = file(
      'e.jsonl',
      [
        '{"text":"abc"}',
        JSON.stringify({
          text: 'abcdef',
          label: [
            [0, 3, '甲'],
            [2, 4, '乙'],
          ],
        }),
      ].join('\n'),
    )
    await expectRejected({ path }, path, 2, /spans \[0, 3\) 甲 and \[2, 4\) 乙 overlap/)
  })

  it('wrong shapes: no text, a bad label, non-integer offsets, a type with white space', async () => {
    await expectRejected({ path: file('f.jsonl', '{"title": "x"}') }, 'f.jsonl', 1, /missing "text"/)
    await expectRejected({ path: file('g.jsonl', '[1, 2]') }, 'g.jsonl', 1, /expected a JSON object/)
    await expectRejected(
      { path: file('h.jsonl', '{"text": "abc", "label": [[0, 1]]}') },
      'h.jsonl',
      1,
      /bad label/,
    )
    await expectRejected(
      { path: file('i.jsonl', '{"text": "abc", "label": [[0, 1.5, "x"]]}') },
      'i.jsonl',
      1,
      /bad span/,
    )
    await expectRejected(
      { path: file('j.jsonl', '{"text": "abc"}\n{"text": "abc", "label": [[0, 1, "两 个"]]}') },
      'j.jsonl',
      2,
      /white space/,
    )
  })

  it('an empty file', async () => {
    await expectRejected({ path: file('k.jsonl', '') }, 'k.jsonl', 1, /no titles/)
  })
})

describe('text and CSV', () => {
  it('a 10 MB line is refused without reading it whole', async () => {
    const path = file(
      'big.txt',
      Buffer.concat([Buffer.from('第一行\n'), Buffer.alloc(10 << 20, 0x61), Buffer.from('\n第三行\n')]),
    )
    await expectRejected({ path }, path, 2, new RegExp(`line longer than ${MAX_LINE_BYTES} bytes`))
    const last = file('big-last.txt', Buffer.concat([Buffer.from('第一行\n'), Buffer.alloc(10 << 20, 0x61)]))
    await expectRejected({ path: last }, last, 2, /line longer than/)
  })

  it('invalid UTF-8 in a text file (e.g. a GBK file)', async () => {
    const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]) // 你好 in GBK
    const path = file('gbk.txt', Buffer.concat([Buffer.from('ok\nok\n'), gbk, Buffer.from('\n')]))
    await expectRejected({ path }, path, 3, /invalid UTF-8/)
  })

  it('an empty text file', async () => {
    await expectRejected({ path: file('empty.txt', '') }, 'empty.txt', 1, /no titles/)
  })

  it('a CSV without a title column', async () => {
    const path = file('a.csv', 'id,name,price\n1,手机,9\n')
    await expectRejected({ path }, path, 1, /no column named "title" or "text"/)
    await expectRejected({ path, column: '商品' }, path, 1, /no column named "商品"/)
  })

  it('a CSV with an unclosed quote names the line where the field started', async () => {
    const path = file('b.csv', 'id,title\n1,ok\n2,"never closed\n3,more\n4,still\n')
    await expectRejected({ path }, path, 3, /unclosed quoted field/)
  })

  it('a CSV with a stray quote inside an unquoted field, and a row too short for the title column', async () => {
    await expectRejected(
      { path: file('c.csv', 'title\nab"c\n') },
      'c.csv',
      2,
      /a quote inside an unquoted field/,
    )
    await expectRejected({ path: file('d.csv', 'id,x,title\n1,2,ok\n3\n') }, 'd.csv', 3, /row has 1 fields/)
  })

  it('an empty CSV, and one with only a header', async () => {
    await expectRejected({ path: file('e.csv', '') }, 'e.csv', 1, /no titles/)
    await expectRejected({ path: file('f.csv', 'id,title\n') }, 'f.csv', 1, /no titles/)
  })
})

describe('all or nothing', () => {
  it('an import that fails at its very last title changes nothing (no titles, spans, types or import record)', async () => {
    const lines: string[] = []
    for (let i = 0; i < 2000; i++)
      lines.push(
        JSON.stringify({
          text: `标题${i}😀ＡＢＣ`,
          label: [
            [0, 2, `新类型${i % 50}`],
            [3, 4, '品牌'],
          ],
        }),
      )
    lines.push(JSON.stringify({ text: 'abc', label: [[1, 9, '品牌']] }))
    const path = file('last.jsonl', lines.join('\n') + '\n')
    await expectRejected({ path, origin: 'weak', split: 'train' }, path, 2001, /outside the title/)
  })

  it('a seed folder whose last line is broken changes nothing', async () => {
    const n = 500
    const chars =
      Array.from({ length: n }, () => '新 品 a')
        .concat(['坏 行'])
        .join('\n') + '\n'
    const tags =
      Array.from({ length: n }, (_, i) => `B-类${i % 7} I-类${i % 7} O`)
        .concat(['O I-类1'])
        .join('\n') + '\n'
    const d = seed({ 'input.seq.char': chars, 'output.seq.bioattr': tags })
    await expectRejected({ path: d }, 'output.seq.bioattr', n + 1, /stray tag/)
  })

  it('a missing file or a folder given for a file format', async () => {
    await expectRejected({ path: join(dir, 'nope.jsonl') }, 'nope.jsonl', 0, /no such file/)
    await expectRejected({ path: dir, format: 'jsonl' }, basename(dir), 0, /is a directory/)
  })
})

describe('files are closed after a failed import', () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length

  it.skipIf(process.platform !== 'linux')(
    'a seed import that fails (in the reader or at commit) leaves none of its files open (needs /proc)',
    async () => {
      const lines = 20_000 // more than one read buffer, so the readers are mid-file when the error comes
      const badTag = seed({
        'input.seq.char': 'a b\n'.repeat(lines),
        'output.seq.bioattr': 'O I-x\n' + 'O O\n'.repeat(lines - 1),
      })
      const longType = `B-${'长'.repeat(101)}`
      const badType = seed({
        'input.seq.char': 'a b\n'.repeat(lines),
        'output.seq.bioattr': `${longType} O\n` + 'O O\n'.repeat(lines - 1),
      })
      const before = openFds()
      for (let i = 0; i < 3; i++) {
        await expect(importInto(projectPath, { path: badTag })).rejects.toThrow(/stray tag I-x/)
        await expect(importInto(projectPath, { path: badType })).rejects.toThrow(
          /input\.seq\.char:1: entity type name longer than 100/,
        )
      }
      await new Promise((r) => setTimeout(r, 50))
      expect(openFds()).toBeLessThanOrEqual(before)
    },
  )
})
