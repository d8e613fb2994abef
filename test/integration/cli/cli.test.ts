// The CLI, run from source as a separate process: imports of the shared data, exports, errors, usage.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { DING_TRAIN, SEED_TRAIN } from '../../helpers/paths'
import { runCli } from '../../helpers/cli'
import { tmpDir } from '../../helpers/tmp'

interface StatsJson {
  titles: number
  spans: number
  types: { name: string; total: number }[]
  bySplit: Record<string, number>
  byOrigin: Record<string, number>
}

async function statsJson(project: string): Promise<StatsJson> {
  const r = await runCli(['stats', project, '--json'])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as StatsJson
}

describe('ner-studio import / export / stats', () => {
  let dir: string
  beforeAll(() => {
    dir = tmpDir()
  })

  it.skipIf(!existsSync(SEED_TRAIN))(
    'imports the seed sample: 10,000 titles, 27,940 spans, 431 types; exports attributes CSV (needs ../shared/data/seed-sample/train)',
    async () => {
      const project = join(dir, 'seed.sqlite')
      expect(existsSync(project)).toBe(false)
      const r = await runCli(['import', project, SEED_TRAIN, '--split', 'train', '--origin', 'weak'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(
        /^imported 10000 titles and 27940 spans \(431 new entity types\) from .* \[seed\] in [\d.]+ s\n$/,
      )
      expect(r.stderr).toBe('') // no progress bar when stderr is not a terminal
      const s = await statsJson(project)
      expect(s).toMatchObject({
        titles: 10_000,
        spans: 27_940,
        bySplit: { train: 10_000 },
        byOrigin: { weak: 27_940, gold: 0 },
      })
      expect(s.types).toHaveLength(431)
      expect(s.types.slice(0, 2).map((t) => t.name)).toEqual(['品牌', '品类'])

      const out = join(dir, 'attrs.csv')
      const e = await runCli(['export', project, '--format', 'attributes-csv', '--out', out, '--bom'])
      expect(e.code, e.stderr).toBe(0)
      expect(e.stdout).toBe(`exported 10000 titles and 27940 spans to ${out} [attributes-csv]\n`)
      const text = readFileSync(out, 'utf8')
      expect(text.startsWith('\ufeffid,title,品牌,品类,')).toBe(true)
      expect(text.split('\r\n').filter(Boolean)).toHaveLength(10_001)

      const human = await runCli(['stats', project])
      expect(human.code).toBe(0)
      expect(human.stdout).toContain(': 10000 titles, 27940 spans, 431 entity types, 0 runs')
      expect(human.stdout).toContain('… and 401 more (--json lists all)')
    },
  )

  it.skipIf(!existsSync(DING_TRAIN))(
    'imports ding2019 BIOES CoNLL: 3,989 titles, 12,110 spans of HP and HC (needs ../shared/data/ecommerce-ding2019)',
    async () => {
      const project = join(dir, 'ding.sqlite')
      const r = await runCli(['import', project, DING_TRAIN])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/imported 3989 titles and 12110 spans \(2 new entity types\) .*\[conll\]/)
      const s = await statsJson(project)
      expect(s).toMatchObject({ titles: 3989, spans: 12_110 })
      expect(s.types.map((t) => t.name).sort()).toEqual(['HC', 'HP'])
    },
  )

  it('a malformed file: exit 1, one line on stderr naming file:line, the project unchanged', async () => {
    const project = join(dir, 'small.sqlite')
    const good = join(dir, 'good.jsonl')
    writeFileSync(
      good,
      ['{"text":"华为手机😀","label":[[0,2,"品牌"],[2,4,"品类"]]}', '{"text":"ＡＢＣ１２３"}'].join('\n'),
    )
    expect((await runCli(['import', project, good])).code).toBe(0)
    const before = await statsJson(project)
    expect(before).toMatchObject({ titles: 2, spans: 2 })

    const bad = join(dir, 'bad.conll')
    writeFileSync(bad, ['a\tB-新类', 'b\tI-新类', '', 'c\tO', 'd\tI-别的', ''].join('\n'))
    const r = await runCli(['import', project, bad])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`ner-studio: ${bad}:5: stray tag I-别的 at character 2 (after O)\n`)
    expect(await statsJson(project)).toEqual(before)

    const utf = join(dir, 'gbk.txt')
    writeFileSync(utf, Buffer.from([0x6f, 0x6b, 0x0a, 0xc4, 0xe3, 0xba, 0xc3, 0x0a]))
    const u = await runCli(['import', project, utf])
    expect(u.code).toBe(1)
    expect(u.stderr).toMatch(
      new RegExp(`^ner-studio: ${utf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: invalid UTF-8[^\n]*\n$`),
    )
    expect(await statsJson(project)).toEqual(before)
  })

  it('failed operations exit 1 with one line: a missing project for stats, a non-project file, a missing input', async () => {
    const missing = await runCli(['stats', join(dir, 'nope.sqlite')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^ner-studio: .*nope\.sqlite: no such project file\n$/)
    const text = join(dir, 'notes.txt')
    writeFileSync(text, 'not a database\n'.repeat(100))
    const notDb = await runCli(['stats', text])
    expect(notDb.code).toBe(1)
    expect(notDb.stderr.split('\n')).toHaveLength(2)
    expect(notDb.stderr).toContain(text)
    const noInput = await runCli(['import', join(dir, 'x.sqlite'), join(dir, 'absent.jsonl')])
    expect(noInput.code).toBe(1)
    expect(noInput.stderr).toMatch(/absent\.jsonl:0: no such file or folder\n$/)
  })

  it('usage errors exit 2 and print the usage', async () => {
    const cases: string[][] = [
      [],
      ['frobnicate'],
      ['import'],
      ['import', join(dir, 'p.sqlite')],
      ['import', join(dir, 'p.sqlite'), 'a', 'b'],
      ['import', join(dir, 'p.sqlite'), 'a.jsonl', '--format', 'xml'],
      ['import', join(dir, 'p.sqlite'), 'a.jsonl', '--split', 'holdout'],
      ['import', join(dir, 'p.sqlite'), 'a.jsonl', '--origin', 'model'],
      ['import', join(dir, 'p.sqlite'), 'a.jsonl', '--bogus'],
      ['export', join(dir, 'p.sqlite'), '--out', 'x.csv'],
      ['export', join(dir, 'p.sqlite'), '--format', 'attributes-csv'],
      ['export', join(dir, 'p.sqlite'), '--format', 'conll', '--out', 'x', '--scheme', 'iob'],
      ['export', join(dir, 'p.sqlite'), '--format', 'conll', '--out', 'x', '--run', 'abc'],
      ['stats'],
    ]
    const results = await Promise.all(cases.map((args) => runCli(args)))
    results.forEach((r, i) => {
      expect(r.code, `ner-studio ${cases[i]!.join(' ')}`).toBe(2)
      expect(r.stdout + r.stderr).toContain('usage: ner-studio <command>')
    })
    expect(existsSync(join(dir, 'p.sqlite'))).toBe(false)
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('usage: ner-studio')
  })
})
