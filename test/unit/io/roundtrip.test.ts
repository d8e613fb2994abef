// Round trips through a project, and the exporters' output formats (RFC 4180 CSV, JSONL, runs).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { exportFrom } from '../../../src-main/services/io/export'
import { importInto } from '../../../src-main/services/io/import'
import { Project } from '../../../src-main/services/project/project'
import { readLines } from '../../../src-main/io/lines'
import { parseCsvRecords } from '../../../src-main/io/csv'
import { StudioError } from '../../../src-main/shared/errors'
import { DING_TRAIN, SEED_TRAIN } from '../../helpers/paths'
import { makeProject, writeJsonl, type TitleSpec } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

const SEED_FILES = [
  'input.seq.char',
  'input.seq.word',
  'output.seq.bioattr',
  'output.seq.bio',
  'output.seq.attr',
]

/** Parse CoNLL text into titles of [char, tag] without using the project's reader. */
function conllTitles(text: string): [string, string][][] {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((b) =>
      b
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const i = l.lastIndexOf('\t')
          return [l.slice(0, i), l.slice(i + 1)] as [string, string]
        }),
    )
}

async function csvRecords(path: string): Promise<string[][]> {
  const out: string[][] = []
  for await (const r of parseCsvRecords(readLines(path))) out.push(r.fields)
  return out
}

describe('round trips of the shared data', () => {
  it.skipIf(!existsSync(SEED_TRAIN))(
    'seed-sample folder → project → seed folder reproduces all five files byte for byte (needs ../shared/data/seed-sample/train)',
    async () => {
      const dir = tmpDir()
      const project = await makeProject(dir, [])
      const imp = await importInto(project, { path: SEED_TRAIN, split: 'train', origin: 'weak' })
      expect(imp).toMatchObject({ titles: 10_000, spans: 27_940, typesCreated: 431 })
      const out = join(dir, 'seed-out')
      const exp = await exportFrom(project, { format: 'seed', out })
      expect(exp).toMatchObject({ titles: 10_000, spans: 27_940 })
      expect(readdirSync(out).sort()).toEqual([...SEED_FILES].sort())
      for (const f of SEED_FILES) {
        const a = readFileSync(join(SEED_TRAIN, f))
        const b = readFileSync(join(out, f))
        expect(b.equals(a), `${f} differs`).toBe(true)
      }
    },
  )

  it.skipIf(!existsSync(DING_TRAIN))(
    'ding2019 BIOES CoNLL → project → CoNLL BIOES gives back the same characters and tags (needs ../shared/data/ecommerce-ding2019)',
    async () => {
      const dir = tmpDir()
      const project = await makeProject(dir, [])
      const imp = await importInto(project, { path: DING_TRAIN })
      expect(imp).toMatchObject({ format: 'conll', titles: 3989, spans: 12_110, typesCreated: 2 })
      const out = join(dir, 'out.bieos')
      await exportFrom(project, { format: 'conll', scheme: 'bioes', out })
      const original = readFileSync(DING_TRAIN, 'utf8')
      const exported = readFileSync(out, 'utf8')
      const a = conllTitles(original)
      const b = conllTitles(exported)
      expect(b.length).toBe(3989)
      expect(b.map((t) => t.map(([c]) => c).join(''))).toEqual(a.map((t) => t.map(([c]) => c).join('')))
      // Every tag comes back, except one defect of the data: on line 82 the original has `配 B-HC`
      // followed by `件 B-HC` — a B- that no I-/E- closes, invalid in BIOES. The importer reads both
      // BIO and BIOES, where a lone B- is a one-character entity, so it returns as S-HC.
      const diffs: string[] = []
      a.forEach((t, i) =>
        t.forEach(([c, tag], j) => {
          const got = b[i]![j]![1]
          if (got !== tag) diffs.push(`${c} ${tag}→${got} (next: ${t[j + 1]?.[1]})`)
        }),
      )
      expect(diffs).toEqual(['配 B-HC→S-HC (next: B-HC)'])
      // The file layout (one `char<TAB>tag` per line, a blank line after each title) is the same too.
      const lines = original.split('\n')
      expect(lines[81]).toBe('配\tB-HC')
      lines[81] = '配\tS-HC'
      expect(exported).toBe(lines.join('\n'))
    },
  )
})

describe('exporters', () => {
  const titles: TitleSpec[] = [
    {
      text: '😀ＡＢＣ品牌, "旗舰" 手机',
      label: [
        [1, 4, '品牌'],
        [13, 15, '品类'],
      ],
    },
    {
      text: 'Nike耐克\n跑鞋 耐克',
      label: [
        [0, 4, '品牌'],
        [4, 6, '品牌'],
        [7, 9, '品类'],
        [10, 12, '品牌'],
      ],
    },
    { text: ' 前后空格 ', label: [[1, 3, '颜色']] },
    { text: '无实体', label: [] },
  ]
  let dir: string
  let project: string
  beforeAll(async () => {
    dir = tmpDir()
    project = await makeProject(dir, titles.slice(0, 2), { split: 'train' })
    await importInto(project, {
      path: writeJsonl(join(dir, 'more.jsonl'), titles.slice(2)),
      split: 'dev',
      origin: 'weak',
    })
  })

  it('attributes CSV: RFC 4180 quoting, CRLF, one column per type (most spans first), distinct values joined by |', async () => {
    const out = join(dir, 'attrs.csv')
    expect(await exportFrom(project, { format: 'attributes-csv', out })).toMatchObject({
      titles: 4,
      spans: 7,
    })
    const text = readFileSync(out, 'utf8')
    expect(text).toBe(
      [
        'id,title,品牌,品类,颜色',
        '1,"😀ＡＢＣ品牌, ""旗舰"" 手机",ＡＢＣ,手机,',
        '2,"Nike耐克\n跑鞋 耐克",Nike|耐克,跑鞋,',
        '3," 前后空格 ",,,前后',
        '4,无实体,,,',
        '',
      ].join('\r\n'),
    )
    expect(text.charCodeAt(0)).not.toBe(0xfeff)
    // And it parses back to the same cells.
    const recs = await csvRecords(out)
    expect(recs[1]).toEqual(['1', '😀ＡＢＣ品牌, "旗舰" 手机', 'ＡＢＣ', '手机', ''])
    expect(recs[2]).toEqual(['2', 'Nike耐克\n跑鞋 耐克', 'Nike|耐克', '跑鞋', ''])
  })

  it('attributes CSV: a BOM for Excel and another separator when asked; split and origin filters', async () => {
    const out = join(dir, 'attrs-bom.csv')
    await exportFrom(project, { format: 'attributes-csv', out, bom: true, separator: '；', split: 'train' })
    const buf = readFileSync(out)
    expect([...buf.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const text = buf.toString('utf8').slice(1)
    expect(text.split('\r\n')[2]).toBe('2,"Nike耐克\n跑鞋 耐克",Nike；耐克,跑鞋,')
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(3)
    const weak = join(dir, 'attrs-weak.csv')
    expect(
      await exportFrom(project, { format: 'attributes-csv', out: weak, origins: ['weak'] }),
    ).toMatchObject({ titles: 4, spans: 1 })
    expect(readFileSync(weak, 'utf8').split('\r\n')[1]).toBe('1,"😀ＡＢＣ品牌, ""旗舰"" 手机",,,')
  })

  it('JSONL: doccano lines with code-point offsets that import back to the same project content', async () => {
    const out = join(dir, 'out.jsonl')
    expect(await exportFrom(project, { format: 'jsonl', out })).toMatchObject({ titles: 4, spans: 7 })
    const lines = readFileSync(out, 'utf8').split('\n')
    expect(lines.pop()).toBe('')
    expect(lines.map((l) => JSON.parse(l))).toEqual(
      titles.map((t, i) => ({ id: i + 1, text: t.text, label: t.label })),
    )
    const again = await makeProject(dir, [], { name: 'again.sqlite' })
    await importInto(again, { path: out })
    const a = Project.open(project, { readonly: true })
    const b = Project.open(again, { readonly: true })
    try {
      const strip = (p: Project) =>
        [1, 2, 3, 4].map((id) => {
          const t = p.getTitle(id)
          return [t.text, t.length, t.spans.map((s) => [s.start, s.end, s.type])]
        })
      expect(strip(b)).toEqual(strip(a))
    } finally {
      a.close()
      b.close()
    }
  })

  it('CoNLL BIO and BIOES, with the space character written as itself', async () => {
    const out = join(dir, 'out.conll')
    await exportFrom(project, { format: 'conll', out, split: 'dev' })
    expect(readFileSync(out, 'utf8')).toBe(
      [
        ' \tO',
        '前\tB-颜色',
        '后\tI-颜色',
        '空\tO',
        '格\tO',
        ' \tO',
        '',
        '无\tO',
        '实\tO',
        '体\tO',
        '',
        '',
      ].join('\n'),
    )
    const bioes = join(dir, 'out.bioes')
    await exportFrom(project, { format: 'conll', out: bioes, scheme: 'bioes', split: 'dev' })
    expect(readFileSync(bioes, 'utf8').split('\n').slice(1, 3)).toEqual(['前\tB-颜色', '后\tE-颜色'])
  })

  it("exports a run's predictions instead of the stored spans, with columns for predicted types", async () => {
    const p = Project.open(project)
    try {
      p.db
        .prepare(
          `INSERT INTO runs (id, preset, config, status, created_at) VALUES (5, 'bilstm-crf', '{}', 'done', 0)`,
        )
        .run()
      const ins = p.db.prepare('INSERT INTO predictions (run_id, title_id, spans) VALUES (5, ?, ?)')
      ins.run(
        1,
        JSON.stringify([
          { start: 0, end: 1, type: '表情', confidence: 0.9 },
          { start: 4, end: 6, type: '品牌', confidence: 0.8 },
        ]),
      )
      ins.run(4, JSON.stringify([{ start: 0, end: 3, type: '品类', confidence: 0.5 }]))
    } finally {
      p.close()
    }
    const csv = join(dir, 'run.csv')
    expect(await exportFrom(project, { format: 'attributes-csv', out: csv, runId: 5 })).toMatchObject({
      titles: 4,
      spans: 3,
    })
    expect(readFileSync(csv, 'utf8').split('\r\n')).toEqual([
      'id,title,品牌,品类,颜色,表情',
      '1,"😀ＡＢＣ品牌, ""旗舰"" 手机",品牌,,,😀',
      '2,"Nike耐克\n跑鞋 耐克",,,,',
      '3," 前后空格 ",,,,',
      '4,无实体,,无实体,,',
      '',
    ])
    const jsonl = join(dir, 'run.jsonl')
    await exportFrom(project, { format: 'jsonl', out: jsonl, runId: 5, split: 'train' })
    expect(
      readFileSync(jsonl, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).label),
    ).toEqual([
      [
        [0, 1, '表情'],
        [4, 6, '品牌'],
      ],
      [],
    ])
    await expect(exportFrom(project, { format: 'jsonl', out: jsonl, runId: 99 })).rejects.toMatchObject({
      code: 'not_found',
    })
  })

  it('refuses bad requests and leaves no partial or temporary file when writing fails', async () => {
    await expect(exportFrom(project, { format: 'xml' as never, out: join(dir, 'x') })).rejects.toBeInstanceOf(
      StudioError,
    )
    await expect(
      exportFrom(project, { format: 'jsonl', out: join(dir, 'x'), split: 'holdout' as never }),
    ).rejects.toMatchObject({ code: 'bad_request' })
    await expect(
      exportFrom(project, { format: 'jsonl', out: join(dir, 'x'), origins: ['human' as never] }),
    ).rejects.toMatchObject({ code: 'bad_request' })
    // The target is a non-empty folder: the final rename fails.
    const target = join(dir, 'occupied')
    mkdirSync(target)
    writeFileSync(join(target, 'keep.txt'), 'keep')
    await expect(exportFrom(project, { format: 'jsonl', out: target })).rejects.toThrow()
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([])
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('keep')
  })

  it('refuses to write a title with a line break to CoNLL or the seed folder (it would split the title), and writes nothing', async () => {
    const d = tmpDir()
    const p = await makeProject(d, [])
    const csv = join(d, 'multi.csv')
    writeFileSync(csv, 'title\n单行标题\n"第一行\n第二行"\n')
    await importInto(p, { path: csv })
    const conll = join(d, 'out.conll')
    await expect(exportFrom(p, { format: 'conll', out: conll })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/title 2 contains a line break/),
    })
    expect(existsSync(conll)).toBe(false)
    const seedOut = join(d, 'seed-out')
    await expect(exportFrom(p, { format: 'seed', out: seedOut })).rejects.toMatchObject({
      code: 'bad_request',
    })
    expect(existsSync(join(seedOut, 'input.seq.char'))).toBe(false)
    expect(readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([])
    // JSONL and CSV hold it, and it comes back whole.
    const jsonl = join(d, 'out.jsonl')
    await exportFrom(p, { format: 'jsonl', out: jsonl })
    const back = await makeProject(d, [], { name: 'back.sqlite' })
    expect(await importInto(back, { path: jsonl })).toMatchObject({ titles: 2 })
  })

  it.skipIf(!existsSync(SEED_TRAIN))(
    'attributes CSV of the seed sample: 10,000 rows, 品牌 and 品类 the first type columns (needs ../shared/data/seed-sample/train)',
    async () => {
      const d = tmpDir()
      const p = await makeProject(d, [])
      await importInto(p, { path: SEED_TRAIN })
      const out = join(d, 'seed.csv')
      expect(await exportFrom(p, { format: 'attributes-csv', out, bom: true })).toMatchObject({
        titles: 10_000,
        spans: 27_940,
      })
      const recs = await csvRecords(out)
      expect(recs).toHaveLength(10_001)
      const header = recs[0]!
      expect(header.slice(0, 4)).toEqual(['id', 'title', '品牌', '品类'])
      expect(header).toHaveLength(2 + 431)
      expect(new Set(header).size).toBe(header.length)
      for (const r of recs) expect(r).toHaveLength(header.length)
      // Row 1: 啄木鸟钥匙包… has brand 啄木鸟 and category 钥匙包.
      expect(recs[1]!.slice(0, 4)).toEqual(['1', recs[1]![1], '啄木鸟', '钥匙包'])
      expect(recs[1]![1]!.startsWith('啄木鸟钥匙包')).toBe(true)
      const brands = recs.slice(1).filter((r) => r[2] !== '').length
      expect(brands).toBeGreaterThan(5000)
    },
  )
})
