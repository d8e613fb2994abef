// listTitles filters, paging and counts; stats by split, status, origin and type.
import { join } from 'node:path'
import { beforeAll, afterAll, describe, expect, it } from 'vitest'
import { importInto } from '../../../../src-main/services/io/import'
import { Project } from '../../../../src-main/services/project/project'
import { StudioError } from '../../../../src-main/shared/errors'
import { makeProject, writeJsonl } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'
import { EMOJI_TITLE, TITLES } from '../../../helpers/titles'

describe('listTitles and stats', () => {
  let p: Project
  beforeAll(async () => {
    const dir = tmpDir()
    // 4 gold train titles (ids 1-4), 3 weak dev titles (ids 5-7), 2 unlabelled test titles (ids 8-9).
    const path = await makeProject(dir, TITLES, { split: 'train' })
    await importInto(path, {
      path: writeJsonl(join(dir, 'dev.jsonl'), [
        {
          text: '小米手机红米Note13',
          label: [
            [0, 2, '品牌'],
            [2, 4, '品类'],
            [4, 6, '品牌'],
          ],
        },
        {
          text: '全棉时代纯棉洗脸巾',
          label: [
            [0, 4, '品牌'],
            [4, 6, '材质'],
          ],
        },
        { text: '无标签的标题😀', label: [] },
      ]),
      split: 'dev',
      origin: 'weak',
    })
    await importInto(path, {
      path: writeJsonl(join(dir, 'test.jsonl'), [{ text: '测试标题一' }, { text: '测试标题二 ＡＢＣ' }]),
      split: 'test',
    })
    p = Project.open(path)
    p.setStatus([1, 2, 6], 'reviewed')
  })
  afterAll(() => p.close())

  const ids = (q: Parameters<Project['listTitles']>[0]): number[] => p.listTitles(q).items.map((i) => i.id)

  it('lists every title in id order with span counts', () => {
    const page = p.listTitles()
    expect(page.total).toBe(9)
    expect(page.offset).toBe(0)
    expect(page.items.map((i) => [i.id, i.split, i.status, i.spanCount])).toEqual([
      [1, 'train', 'reviewed', 2],
      [2, 'train', 'reviewed', 2],
      [3, 'train', 'unreviewed', 3],
      [4, 'train', 'unreviewed', 0],
      [5, 'dev', 'unreviewed', 3],
      [6, 'dev', 'reviewed', 2],
      [7, 'dev', 'unreviewed', 0],
      [8, 'test', 'unreviewed', 0],
      [9, 'test', 'unreviewed', 0],
    ])
    expect(page.items[0]!.text).toBe(EMOJI_TITLE)
  })

  it('filters by split, status, type, origin and search, alone and together, with the filtered total', () => {
    expect(ids({ split: 'dev' })).toEqual([5, 6, 7])
    expect(ids({ split: 'none' })).toEqual([])
    expect(ids({ status: 'reviewed' })).toEqual([1, 2, 6])
    expect(ids({ type: '材质' })).toEqual([3, 6])
    expect(ids({ type: '不存在' })).toEqual([])
    expect(ids({ origin: 'weak' })).toEqual([5, 6])
    expect(ids({ origin: 'gold' })).toEqual([1, 2, 3])
    expect(ids({ origin: 'model' })).toEqual([])
    expect(ids({ type: '品牌', origin: 'weak' })).toEqual([5, 6])
    expect(ids({ type: '材质', origin: 'gold', status: 'unreviewed' })).toEqual([3])
    expect(ids({ split: 'train', status: 'unreviewed' })).toEqual([3, 4])
    expect(ids({ search: '手机' })).toEqual([1, 2, 5])
    expect(ids({ search: 'ＡＢＣ' })).toEqual([1, 9])
    // Search is blind to case and to full- versus half-width letters.
    expect(ids({ search: 'abc' })).toEqual([1, 9])
    expect(ids({ search: 'ａＢc' })).toEqual([1, 9])
    expect(ids({ search: '😀' })).toEqual([1, 7])
    expect(ids({ search: '😀', split: 'dev' })).toEqual([7])
    expect(p.listTitles({ search: '手机', split: 'train' }).total).toBe(2)
  })

  it('pages with offset and limit; the total is the filtered count, not the page size', () => {
    const page = p.listTitles({ offset: 2, limit: 3 })
    expect(page).toMatchObject({ total: 9, offset: 2 })
    expect(page.items.map((i) => i.id)).toEqual([3, 4, 5])
    const tail = p.listTitles({ split: 'dev', offset: 2, limit: 10 })
    expect(tail.total).toBe(3)
    expect(tail.items.map((i) => i.id)).toEqual([7])
    expect(p.listTitles({ offset: 100 }).items).toEqual([])
  })

  it('refuses unknown filter values', () => {
    for (const q of [{ split: 'holdout' }, { status: 'done' }, { origin: 'human' }] as never[]) {
      let err: unknown
      try {
        p.listTitles(q)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(StudioError)
      expect((err as StudioError).code).toBe('bad_request')
    }
  })

  it('setStatus counts only titles that change, and an unknown id or status changes nothing', () => {
    const status = (): unknown => p.db.prepare('SELECT id, status FROM titles ORDER BY id').all()
    const before = status()
    const h = (p.db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n
    let err: unknown
    try {
      p.setStatus([3, 4, 999], 'reviewed')
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'not_found' })
    expect(() => p.setStatus([3], 'done' as never)).toThrow(StudioError)
    expect(status()).toEqual(before)
    expect((p.db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n).toBe(h)
    // 1 is already reviewed: only 3 changes, and a no-op records no history.
    expect(p.setStatus([1, 3], 'reviewed')).toEqual({ changed: 1 })
    expect(p.setStatus([1, 3], 'reviewed')).toEqual({ changed: 0 })
    expect((p.db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n).toBe(h + 1)
    p.undo()
    expect(status()).toEqual(before)
  })

  it('counts titles by split and status, spans by origin and by type', () => {
    p.db.exec(`INSERT INTO runs (preset, config, status, created_at) VALUES ('bilstm-crf', '{}', 'done', 0)`)
    const s = p.stats()
    try {
      expect(s.titles).toBe(9)
      expect(s.bySplit).toEqual({ train: 4, dev: 3, test: 2, none: 0 })
      expect(s.byStatus).toEqual({ unreviewed: 6, reviewed: 3 })
      expect(s.bySplitStatus).toEqual([
        { split: 'dev', status: 'reviewed', count: 1 },
        { split: 'dev', status: 'unreviewed', count: 2 },
        { split: 'test', status: 'unreviewed', count: 2 },
        { split: 'train', status: 'reviewed', count: 2 },
        { split: 'train', status: 'unreviewed', count: 2 },
      ])
      expect(s.spans).toBe(12)
      expect(s.byOrigin).toEqual({ gold: 7, weak: 5, dictionary: 0, model: 0 })
      expect(s.types).toEqual([
        { name: '品牌', total: 6, byOrigin: { gold: 3, weak: 3, dictionary: 0, model: 0 } },
        { name: '品类', total: 4, byOrigin: { gold: 3, weak: 1, dictionary: 0, model: 0 } },
        { name: '材质', total: 2, byOrigin: { gold: 1, weak: 1, dictionary: 0, model: 0 } },
      ])
      expect(s.runs).toBe(1)
      // A type without spans is listed with zero counts.
      const t = p.createType({ name: '颜色' })
      expect(p.stats().types.at(-1)).toEqual({
        name: '颜色',
        total: 0,
        byOrigin: { gold: 0, weak: 0, dictionary: 0, model: 0 },
      })
      p.deleteType(t.id)
    } finally {
      p.db.exec('DELETE FROM runs')
    }
  })
})
