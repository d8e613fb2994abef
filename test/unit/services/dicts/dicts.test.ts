// Weak labelling with gazetteers: longest match over code points, gold never overwritten, no
// overlaps, scoping, precision estimates, promotion, whole-or-nothing gazetteer imports, and the
// migration that adds the dictionary tables to a schema-1 project file.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Matcher } from '../../../../src-main/shared/matcher'
import { StudioError } from '../../../../src-main/shared/errors'
import { Project } from '../../../../src-main/services/project/project'
import {
  createDictionary,
  deleteDictionary,
  importGazetteer,
  listDictionaries,
  promoteSpans,
} from '../../../../src-main/services/dicts/dicts'
import { applyDictionaries } from '../../../../src-main/services/dicts/apply'
import { MIGRATIONS, SCHEMA_VERSION } from '../../../../src-main/store/schema'
import { dumpProject, makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'

const cps = (s: string): string[] => Array.from(s)
function matcher(terms: [string, string][]): Matcher {
  const m = new Matcher()
  for (const [t, type] of terms) m.add(t, { type, dict: 1 })
  return m
}
const spans = (m: Matcher, text: string): [number, number, string][] =>
  m.match(cps(text)).map((x) => [x.start, x.end, x.hit.type])

describe('Matcher: longest match, left to right, over code points', () => {
  it('prefers the longest term at a position and never returns overlapping matches', () => {
    const m = matcher([
      ['ab', 'X'],
      ['abc', 'Y'],
      ['bcd', 'Z'],
      ['d', 'W'],
    ])
    // abc wins at 0; bcd (overlapping it) is never considered; d at 3.
    expect(spans(m, 'abcd')).toEqual([
      [0, 3, 'Y'],
      [3, 4, 'W'],
    ])
    expect(spans(m, 'xabx')).toEqual([[1, 3, 'X']])
    expect(spans(m, 'xbcdx')).toEqual([[1, 4, 'Z']])
  })

  it('nested terms: the outer one wins; an unfinished longer path falls back to the last hit', () => {
    const m = matcher([
      ['华为', '品牌'],
      ['华为手机', '品类'],
      ['华为手机壳套装', '品类'],
    ])
    expect(spans(m, '买华为手机壳')).toEqual([[1, 5, '品类']])
    expect(spans(m, '华为平板')).toEqual([[0, 2, '品牌']])
  })

  it('offsets are code points: emoji and full-width characters count one each', () => {
    const m = matcher([
      ['ＡＢＣ', '品牌'],
      ['😀手机', '品类'],
    ])
    expect(spans(m, '😀😀手机ＡＢＣ')).toEqual([
      [1, 4, '品类'],
      [4, 7, '品牌'],
    ])
  })

  it('the first hit added for a term wins; the empty term is refused', () => {
    const m = new Matcher()
    expect(m.add('苹果', { type: '品牌', dict: 1 })).toBe(true)
    expect(m.add('苹果', { type: '水果', dict: 2 })).toBe(false)
    expect(m.add('', { type: 'x', dict: 1 })).toBe(false)
    expect(m.size).toBe(1)
    expect(m.match(cps('苹果'))[0]!.hit).toEqual({ type: '品牌', dict: 1 })
  })
})

async function setup(titles: Parameters<typeof makeProject>[1], opts: Parameters<typeof makeProject>[2] = {}): Promise<{ dir: string; p: Project }> {
  const dir = tmpDir()
  const path = await makeProject(dir, titles, opts)
  return { dir, p: Project.open(path) }
}
function dic(dir: string, name: string, body: string | Buffer): string {
  const f = join(dir, name)
  writeFileSync(f, body)
  return f
}
const spansOf = (p: Project, id: number): [number, number, string, string][] =>
  p.spansOf(id).map((s) => [s.start, s.end, s.type, s.origin])

describe('applying dictionaries', () => {
  it('adds dictionary spans by longest match, never over gold, skipping overlaps, counting what it did', async () => {
    const { dir, p } = await setup([
      { text: '华为手机壳', label: [[0, 2, '品牌']] }, // gold 华为
      { text: '苹果手机和华为', label: [] },
      { text: '没有词', label: [] },
    ])
    const brands = await importGazetteer(p, { path: dic(dir, 'b.dic', '华为\n苹果\n'), type: '品牌' })
    const cats = await importGazetteer(p, { path: dic(dir, 'c.dic', '手机\n华为手机\n'), type: '品类' })
    const r = applyDictionaries(p, { dictionaryIds: [brands.dictionary.id, cats.dictionary.id] })
    // Title 1: 华为手机 (longest, 品类) overlaps gold 华为 → skipped. Title 2: 苹果, 手机, 华为 added.
    expect(spansOf(p, 1)).toEqual([[0, 2, '品牌', 'gold']])
    expect(spansOf(p, 2)).toEqual([
      [0, 2, '品牌', 'dictionary'],
      [2, 4, '品类', 'dictionary'],
      [5, 7, '品牌', 'dictionary'],
    ])
    expect(r).toMatchObject({ titlesScanned: 3, titlesTouched: 1, spansAdded: 3, skippedOverlap: 1, alreadyPresent: 0, removed: 0 })
    // Again: everything is there already; nothing doubles.
    expect(applyDictionaries(p, { dictionaryIds: [brands.dictionary.id, cats.dictionary.id] })).toMatchObject({
      spansAdded: 0,
      alreadyPresent: 3,
      skippedOverlap: 1,
    })
    const list = listDictionaries(p.db)
    expect(list.find((d) => d.name === 'b')).toMatchObject({ terms: 2, spans: 2, type: '品牌' })
    expect(list.find((d) => d.name === 'c')).toMatchObject({ terms: 2, spans: 1, type: '品类' })
    p.close()
  })

  it('never touches gold and keeps every span flat, whatever the dictionaries hold', async () => {
    const { dir, p } = await setup([{ text: 'abcdefgh', label: [[2, 4, 'G']] }])
    const d = await importGazetteer(p, { path: dic(dir, 'x.dic', 'a\tT\nbc\tT\ncd\tT\nabcdefgh\tT\nefg\tT\nfgh\tT\nh\tT\n'), name: 'x' })
    applyDictionaries(p, { dictionaryIds: [d.dictionary.id] })
    const s = p.spansOf(1)
    expect(s.find((x) => x.origin === 'gold')).toMatchObject({ start: 2, end: 4, type: 'G' })
    for (let i = 1; i < s.length; i++) expect(s[i]!.start).toBeGreaterThanOrEqual(s[i - 1]!.end)
    // abcdefgh (longest at 0) overlaps gold: skipped whole, and matching resumes after it.
    expect(s.map((x) => [x.start, x.end])).toEqual([[2, 4]])
    p.close()
  })

  it('is scoped: unreviewed titles by default, one split when asked; replace removes its own earlier spans only', async () => {
    const { dir, p } = await setup([{ text: '华为A' }, { text: '华为B' }, { text: '华为C' }], { split: 'train' })
    p.db.prepare(`UPDATE titles SET split = 'dev' WHERE id = 3`).run()
    p.setStatus([2], 'reviewed')
    const d = await importGazetteer(p, { path: dic(dir, 'b.dic', '华为\n'), type: '品牌' })
    expect(applyDictionaries(p, { dictionaryIds: [d.dictionary.id], split: 'train' })).toMatchObject({
      titlesScanned: 1,
      spansAdded: 1,
    })
    expect(p.spansOf(2)).toEqual([])
    expect(p.spansOf(3)).toEqual([])
    expect(applyDictionaries(p, { dictionaryIds: [d.dictionary.id], scope: 'all' })).toMatchObject({
      titlesScanned: 3,
      spansAdded: 2,
      alreadyPresent: 1,
    })
    // A person confirms title 1's span (it becomes gold); a weak span in title 3 stays too.
    p.updateSpan({ id: p.spansOf(1)[0]!.id, type: '品牌' })
    const r = applyDictionaries(p, { dictionaryIds: [d.dictionary.id], scope: 'all', replace: true, split: 'train' })
    // Replace removed title 2's dictionary span (train), not title 1's confirmed one nor title 3's (dev).
    expect(r).toMatchObject({ removed: 1, spansAdded: 1, alreadyPresent: 1 })
    expect(spansOf(p, 1)).toEqual([[0, 2, '品牌', 'gold']])
    expect(spansOf(p, 3)).toEqual([[0, 2, '品牌', 'dictionary']])
    expect(() => applyDictionaries(p, { dictionaryIds: [] })).toThrow(StudioError)
    expect(() => applyDictionaries(p, { dictionaryIds: [99] })).toThrow(/no dictionary/)
    expect(() => applyDictionaries(p, { dictionaryIds: [d.dictionary.id], split: 'x' as never })).toThrow(/split/)
    p.close()
  })

  it('minLength leaves out short terms; deleting a dictionary can take its spans with it', async () => {
    const { dir, p } = await setup([{ text: '赞华为' }])
    const d = await importGazetteer(p, { path: dic(dir, 'b.dic', '赞\n华为\n'), type: '品牌' })
    expect(applyDictionaries(p, { dictionaryIds: [d.dictionary.id], minLength: 2 })).toMatchObject({ spansAdded: 1 })
    expect(spansOf(p, 1)).toEqual([[1, 3, '品牌', 'dictionary']])
    expect(deleteDictionary(p.db, d.dictionary.id, true)).toEqual({ removedSpans: 1 })
    expect(p.spansOf(1)).toEqual([])
    expect(listDictionaries(p.db)).toEqual([])
    p.close()
  })
})

describe('dictionary quality and promotion', () => {
  it('estimates precision and recall against reviewed titles only (same start, end and type counts)', async () => {
    const { dir, p } = await setup([
      { text: '华为手机', label: [[0, 2, '品牌']] }, // match 华为 correct
      { text: '苹果很甜', label: [] }, // match 苹果: wrong (no gold)
      { text: '小米华为', label: [[0, 2, '品牌'], [2, 4, '品类']] }, // 华为 typed wrong; 小米 missed
      { text: '华为', label: [[0, 2, '品牌']] }, // unreviewed: not counted
    ])
    p.setStatus([1, 2, 3], 'reviewed')
    const d = await importGazetteer(p, { path: dic(dir, 'b.dic', '华为\n苹果\n'), type: '品牌' })
    expect(d.dictionary.quality).toEqual({
      reviewedTitles: 3,
      matches: 3,
      correct: 1,
      precision: 1 / 3,
      support: 2,
      recall: 1 / 2,
      inSample: null, // imported, and none of its spans confirmed: an out-of-sample estimate
    })
    // Measured as applying with minLength 3 would label: no term is that long.
    expect(listDictionaries(p.db, undefined, 3)[0]!.quality).toMatchObject({ matches: 0, correct: 0, support: 2, recall: 0 })
    expect(() => listDictionaries(p.db, undefined, 0)).toThrow(/minLength/)
    const empty = createDictionary(p.db, 'empty', null)
    expect(empty.quality).toMatchObject({ matches: 0, precision: null, support: 0, recall: null })
    p.close()
  })

  it('promotes the texts of gold spans of a type in reviewed titles: new terms only, with counts', async () => {
    const { p } = await setup([
      { text: '华为手机', label: [[0, 2, '品牌']] },
      { text: '小米华为', label: [[0, 2, '品牌'], [2, 4, '品牌']] },
      { text: 'OPPO手机', label: [[0, 4, '品牌']] }, // not reviewed
    ])
    p.setStatus([1, 2], 'reviewed')
    const d = createDictionary(p.db, 'brands', '品牌')
    p.db.prepare(`INSERT INTO dictionary_terms VALUES (?, '小米', '品牌')`).run(d.id)
    expect(promoteSpans(p.db, { dictionaryId: d.id, type: '品牌' })).toEqual({ candidates: 2, added: 1, present: 1 })
    expect(promoteSpans(p.db, { dictionaryId: d.id, type: '品牌' })).toEqual({ candidates: 2, added: 0, present: 2 })
    expect(listDictionaries(p.db)[0]).toMatchObject({ terms: 2 })
    expect(() => promoteSpans(p.db, { dictionaryId: d.id, type: '品类' })).toThrow(/holds 品牌 terms/)
    const mixed = createDictionary(p.db, 'mixed', null)
    expect(promoteSpans(p.db, { dictionaryId: mixed.id, type: '品牌', split: 'none' })).toMatchObject({ added: 2 })
    // scored on the titles its terms came from: in-sample, and said so
    expect(listDictionaries(p.db)[0]!.quality).toMatchObject({ precision: 1, inSample: expect.stringMatching(/promoted from these reviewed titles/) })
    p.close()
  })

  it("calls an imported dictionary's scores in-sample only where a person confirmed its own spans", async () => {
    const { dir, p } = await setup([{ text: '华为手机' }, { text: '小米电视' }, { text: '苹果平板' }])
    const { dictionary } = await importGazetteer(p, { path: dic(dir, 'brand.dic', '华为\n小米\n'), type: '品牌' })
    applyDictionaries(p, { dictionaryIds: [dictionary.id] })
    p.setStatus([3], 'reviewed') // a title it did not label
    expect(listDictionaries(p.db)[0]!.quality.inSample).toBeNull()
    const made = p.spansOf(1)[0]!
    expect(made.origin).toBe('dictionary')
    expect(p.updateSpan({ id: made.id }).origin).toBe('gold') // a person confirms it
    p.setStatus([1], 'reviewed')
    expect(listDictionaries(p.db)[0]!.quality.inSample).toMatch(/^1 of these reviewed titles hold its own spans/)
    p.close()
  })
})

describe('gazetteer import', () => {
  it('reads one term per line with a file type, or term<TAB>type; trims, skips blanks, counts duplicates', async () => {
    const { dir, p } = await setup([{ text: 'x' }])
    const a = await importGazetteer(p, { path: dic(dir, 'brand.dic', '\ufeff华为\r\n 苹果 \r\n\r\n华为\n小米\t品类\n'), type: '品牌' })
    expect(a).toMatchObject({ terms: 3, duplicates: 1 })
    expect(a.dictionary).toMatchObject({ name: 'brand', type: '品牌', terms: 3 })
    expect(a.dictionary.types.sort()).toEqual(['品牌', '品类'])
    const b = await importGazetteer(p, { path: dic(dir, 'mixed.tsv', '华为\t品牌\n手机\t品类\n'), name: '混合' })
    expect(b.dictionary).toMatchObject({ name: '混合', type: null, terms: 2 })
    await expect(importGazetteer(p, { path: dic(dir, 'brand.dic', '一\n'), type: '品牌' })).rejects.toMatchObject({ code: 'conflict' })
    const u = await importGazetteer(p, { path: dic(dir, 'brand.dic', '一\n二\n'), type: '品牌', update: true })
    expect(u.dictionary).toMatchObject({ id: a.dictionary.id, terms: 2 })
    p.close()
  })

  it('bad input names the file and line and leaves the project unchanged', async () => {
    const { dir, p } = await setup([{ text: '华为手机', label: [[0, 2, '品牌']] }])
    await importGazetteer(p, { path: dic(dir, 'ok.dic', '华为\n'), type: '品牌' })
    const before = dumpProject(p.path)
    const cases: [string, string | Buffer, string | undefined, RegExp][] = [
      ['notype.dic', '华为\t品牌\n手机\n', undefined, /notype\.dic:2: no type/],
      ['tabs.dic', '华为\n苹果\t品牌\textra\n', '品牌', /tabs\.dic:2: more than one TAB/],
      ['empty.dic', 'a\n\t品牌\n', '品牌', /empty\.dic:2: empty term/],
      ['badtype.dic', '华为\t品 牌\n', undefined, /badtype\.dic:1: .*white space/],
      ['latin1.dic', Buffer.concat([Buffer.from('华为\n苹果\n'), Buffer.from([0x66, 0xe9, 0x0a])]), '品牌', /latin1\.dic:3: invalid UTF-8/],
      ['long.dic', `ok\n${'长'.repeat(101)}\n`, '品牌', /long\.dic:2: term longer than 100/],
    ]
    for (const [name, body, type, msg] of cases) {
      const err = await importGazetteer(p, { path: dic(dir, name, body), ...(type ? { type } : {}) }).catch((e: unknown) => e)
      expect(err, name).toMatchObject({ code: 'invalid_input' })
      expect((err as Error).message, name).toMatch(msg)
    }
    await expect(importGazetteer(p, { path: join(dir, 'missing.dic'), type: '品牌' })).rejects.toThrow()
    await expect(importGazetteer(p, { path: dic(dir, 'ok2.dic', 'a\n'), type: 'bad type' })).rejects.toMatchObject({ code: 'bad_request' })
    expect(dumpProject(p.path)).toEqual(before)
    p.close()
  })
})

describe('migration 2', () => {
  it('adds the dictionary tables to a schema-1 project file and keeps its data', () => {
    const dir = tmpDir()
    const path = join(dir, 'v1.sqlite')
    const raw = new Database(path)
    raw.exec(MIGRATIONS[0]!)
    raw.pragma('application_id = 1313165907')
    raw.pragma('user_version = 1')
    raw.prepare(`INSERT INTO titles (text, length, created_at, updated_at) VALUES ('华为手机', 4, 0, 0)`).run()
    raw.close()
    const p = Project.open(path)
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2)
    expect(p.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(p.getTitle(1).text).toBe('华为手机')
    const d = createDictionary(p.db, 'd', '品牌')
    p.db.prepare(`INSERT INTO dictionary_terms VALUES (?, '华为', '品牌')`).run(d.id)
    expect(applyDictionaries(p, { dictionaryIds: [d.id] })).toMatchObject({ spansAdded: 1 })
    p.close()
  })
})
