// `ner-studio weak-label` and `ner-studio dicts` on ecommerce-ding2019: its train set as weak
// labels, its seven gazetteers applied by longest match (skipped, with the reason, when the shared
// data is absent), and the exit codes for bad input (1, one line naming file:line) and usage (2).
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DictionaryInfo } from '../../../src-main/shared/api'
import { dataPath, DING_TRAIN } from '../../helpers/paths'
import { runCli } from '../../helpers/cli'
import { dumpProject } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

const DICS = dataPath('ecommerce-ding2019', 'dics')
const dicts = (prefix: string): string[] =>
  [1, 2, 3, 4].map((i) => join(DICS, `${prefix}${i}.dic`)).filter((f) => existsSync(f)).flatMap((f) => ['--dict', f])

async function statsOf(project: string): Promise<{ titles: number; byOrigin: Record<string, number> }> {
  const r = await runCli(['stats', project, '--json'])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as { titles: number; byOrigin: Record<string, number> }
}

describe('ner-studio weak-label / dicts', () => {
  it.skipIf(!existsSync(DICS))(
    'ding2019: train as weak labels, then the 4 brand (HP) and 3 product (HC) gazetteers (needs ../shared/data/ecommerce-ding2019)',
    async () => {
      const dir = tmpDir()
      const project = join(dir, 'ding.sqlite')
      let r = await runCli(['import', project, DING_TRAIN, '--format', 'conll', '--split', 'train', '--origin', 'weak'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^imported 3989 titles and 12110 spans/)

      r = await runCli(['weak-label', project, ...dicts('brand'), '--type', 'HP', '--split', 'train'])
      expect(r.code, r.stderr).toBe(0)
      const brand = /labelled (\d+) of 3989 titles: (\d+) dictionary spans added, (\d+) matches skipped .*, (\d+) already there/.exec(r.stdout)
      expect(brand, r.stdout).not.toBeNull()
      const brandAdded = Number(brand![2])
      expect(brandAdded).toBeGreaterThan(10_000)
      expect(r.stdout).toMatch(/dictionary brand1: 10141 terms \(9 duplicate lines\)/)

      r = await runCli(['weak-label', project, ...dicts('product'), '--type', 'HC'])
      expect(r.code, r.stderr).toBe(0)
      const product = /(\d+) dictionary spans added/.exec(r.stdout)!
      const productAdded = Number(product[1])
      expect(productAdded).toBeGreaterThan(500)

      let s = await statsOf(project)
      expect(s.byOrigin).toMatchObject({ weak: 12110, gold: 0, dictionary: brandAdded + productAdded })

      r = await runCli(['dicts', project, '--json'])
      expect(r.code, r.stderr).toBe(0)
      const list = JSON.parse(r.stdout) as DictionaryInfo[]
      expect(list.map((d) => d.name)).toEqual(['brand1', 'brand2', 'brand3', 'brand4', 'product1', 'product2', 'product3'])
      expect(list.reduce((n, d) => n + d.spans, 0)).toBe(brandAdded + productAdded)
      expect(list.filter((d) => d.type === 'HP')).toHaveLength(4)
      r = await runCli(['dicts', project])
      expect(r.stdout).toMatch(/^dictionary\s+type\s+terms\s+spans\s+precision\s+recall/)
      expect(r.stdout).toMatch(/brand1\s+HP\s+10141/)

      // Re-running with --replace swaps each dictionary's spans for fresh ones: the totals stay.
      r = await runCli(['weak-label', project, ...dicts('product'), '--type', 'HC', '--replace'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`${productAdded} dictionary spans added.*${productAdded} previous dictionary spans removed`))
      s = await statsOf(project)
      expect(s.byOrigin.dictionary).toBe(brandAdded + productAdded)
    },
  )

  it('bad gazetteer lines exit 1 with one line naming file:line, and change nothing; usage errors exit 2', async () => {
    const dir = tmpDir()
    const titles = join(dir, 't.txt')
    writeFileSync(titles, '华为手机\n苹果手机\n')
    const project = join(dir, 'p.sqlite')
    expect((await runCli(['import', project, titles])).code).toBe(0)
    const good = join(dir, 'good.dic')
    writeFileSync(good, '华为\t品牌\n')
    const bad = join(dir, 'bad.dic')
    writeFileSync(bad, '华为\t品牌\n苹果\n')
    const before = dumpProject(project)
    let r = await runCli(['weak-label', project, '--dict', good, '--dict', bad])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`ner-studio: ${bad}:2: no type: give the type of the whole file, or write term<TAB>type\n`)
    expect(dumpProject(project)).toEqual(before)
    r = await runCli(['weak-label', project, '--dict', bad, '--type', '品牌'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/labelled 2 of 2 titles: 2 dictionary spans added/)
    for (const args of [
      ['weak-label', project],
      ['weak-label', '--dict', good],
      ['weak-label', project, '--dict', good, '--split', 'nope'],
      ['weak-label', project, '--dict', good, '--min-length', '0'],
      ['weak-label', project, '--dict', good, '--dict', bad, '--name', 'x'],
      ['dicts'],
      ['dicts', project, '--nope'],
    ]) {
      r = await runCli(args)
      expect(r.code, args.join(' ')).toBe(2)
    }
    r = await runCli(['dicts', join(dir, 'missing.sqlite')])
    expect(r.code).toBe(1)
  })
})
