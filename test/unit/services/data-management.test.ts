// Data management on the desk, on real SQLite files: bulk actions over a filter or ids as
// one undo step, the seeded re-split, imports listed and undone, format sniffing, the import preview.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { importInto } from '../../../src-main/services/io/import'
import { listImports, previewImport, undoImport } from '../../../src-main/services/io/imports'
import { bulkTitles, resplit } from '../../../src-main/services/titles/bulk'
import { labelOccurrences } from '../../../src-main/services/spans/occurrences'
import { sniffFormat } from '../../../src-main/io/sniff'
import { Project } from '../../../src-main/services/project/project'
import { Studio } from '../../../src-main/services/studio'
import { dumpProject, makeProject, writeJsonl } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

let dir: string
let path: string

const TITLES = [
  { text: '苹果手机壳', label: [[0, 2, '品牌']] as [number, number, string][] },
  { text: '华为手机', label: [[0, 2, '品牌']] as [number, number, string][] },
  { text: '红色连衣裙', label: [] },
  { text: '苹果数据线', label: [[0, 2, '品牌'], [2, 5, '品类']] as [number, number, string][] },
]

beforeEach(async () => {
  dir = tmpDir('ner-data-')
  path = await makeProject(dir, TITLES, { origin: 'weak', split: 'train' })
})

function withProject<T>(fn: (p: Project) => T): T {
  const p = Project.open(path)
  try {
    return fn(p)
  } finally {
    p.close()
  }
}

describe('bulk actions on a filter or a selection', () => {
  it('marks every title of a filter reviewed in one undo step, and a dry run changes nothing', () => {
    withProject((p) => {
      const before = dumpProject(path)
      const dry = bulkTitles(p, { target: { query: { search: '苹果' } }, action: { mark: 'reviewed' }, dryRun: true })
      expect(dry).toMatchObject({ titles: 2, changed: 2, applied: false, label: 'mark 2 titles reviewed' })
      expect(dumpProject(path)).toEqual(before)
      const r = bulkTitles(p, { target: { query: { search: '苹果', offset: 1, limit: 1 } }, action: { mark: 'reviewed' } })
      expect(r).toMatchObject({ titles: 2, changed: 2, applied: true })
      expect(p.countTitles({}).byStatus).toMatchObject({ reviewed: 2, unreviewed: 2 })
      const u = p.undo()
      expect(u.label).toBe('mark 2 titles reviewed')
      expect(p.countTitles({}).byStatus).toMatchObject({ reviewed: 0, unreviewed: 4 })
      p.redo()
      expect(p.countTitles({ status: 'reviewed' }).total).toBe(2)
    })
  })

  it('moves chosen ids to a split; titles already there are not counted as changed', () => {
    withProject((p) => {
      const r = bulkTitles(p, { target: { ids: [1, 2] }, action: { moveTo: 'dev' } })
      expect(r).toMatchObject({ titles: 2, changed: 2, applied: true })
      expect(bulkTitles(p, { target: { ids: [1, 2, 3] }, action: { moveTo: 'dev' } })).toMatchObject({ changed: 1 })
      expect(p.countTitles({}).bySplit).toMatchObject({ train: 1, dev: 3 })
      p.undo()
      p.undo()
      expect(p.countTitles({}).bySplit).toMatchObject({ train: 4, dev: 0 })
      expect(() => bulkTitles(p, { target: { ids: [99] }, action: { moveTo: 'dev' } })).toThrow(/no title with id 99/)
    })
  })

  it('deletes titles with their spans and predictions; undo restores every row as it was', () => {
    withProject((p) => {
      const run = Number(p.db.prepare(`INSERT INTO runs (preset, config, status, created_at) VALUES ('t', '{}', 'done', 0)`).run().lastInsertRowid)
      p.db.prepare('INSERT INTO predictions (run_id, title_id, spans) VALUES (?, 1, ?)').run(run, '[]')
      const before = dumpProject(path)
      const r = bulkTitles(p, { target: { query: { type: '品牌' } }, action: { deleteTitles: true } })
      expect(r).toMatchObject({ titles: 3, changed: 3, spans: 4, applied: true, label: 'delete 3 titles' })
      expect(p.listTitles({}).items.map((t) => t.text)).toEqual(['红色连衣裙'])
      expect(p.db.prepare('SELECT count(*) AS n FROM predictions').get()).toEqual({ n: 0 })
      p.undo()
      const after = dumpProject(path)
      expect({ ...after, history: [] }).toEqual({ ...before, history: [] })
    })
  })

  it('deletes the spans of one origin only', () => {
    withProject((p) => {
      p.createSpan({ titleId: 3, start: 0, end: 2, type: '品牌' }) // gold
      const r = bulkTitles(p, { target: { query: {} }, action: { deleteSpans: 'weak' } })
      expect(r).toMatchObject({ titles: 4, changed: 3, spans: 4, label: 'delete 4 weak spans in 3 titles' })
      expect(p.stats().byOrigin).toMatchObject({ weak: 0, gold: 1 })
      p.undo()
      expect(p.stats().byOrigin).toMatchObject({ weak: 4, gold: 1 })
    })
  })

  it('refuses unknown actions, splits and origins with a clear message', () => {
    withProject((p) => {
      expect(() => bulkTitles(p, { target: { query: {} }, action: { moveTo: 'holdout' as never } })).toThrow(/unknown split "holdout"/)
      expect(() => bulkTitles(p, { target: { query: {} }, action: { deleteSpans: 'x' as never } })).toThrow(/unknown origin "x"/)
      expect(() => bulkTitles(p, { target: { query: {} }, action: {} as never })).toThrow(/an action is/)
    })
  })
})

describe('the seeded re-split', () => {
  it('is reproducible: the same seed gives the same titles in dev and test, another seed others', async () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ text: `标题${i}号` }))
    const a = await makeProject(dir, many, { name: 'a.sqlite', split: 'train' })
    const b = await makeProject(dir, many, { name: 'b.sqlite', split: 'train' })
    const assign = (file: string, seed: number): string[] => {
      const p = Project.open(file)
      try {
        const r = resplit(p, { from: 'train', dev: 0.1, test: 0.15, seed })
        expect(r).toMatchObject({ titles: 200, dev: 20, test: 30, applied: true })
        return p.db.prepare('SELECT split FROM titles ORDER BY id').pluck().all() as string[]
      } finally {
        p.close()
      }
    }
    const one = assign(a, 1)
    expect(assign(b, 1)).toEqual(one)
    expect(one.filter((s) => s === 'dev')).toHaveLength(20)
    const p = Project.open(a)
    try {
      p.undo()
      expect(p.countTitles({}).bySplit).toMatchObject({ train: 200, dev: 0, test: 0 })
      resplit(p, { from: 'train', dev: 0.1, test: 0.15, seed: 2 })
      expect(p.db.prepare('SELECT split FROM titles ORDER BY id').pluck().all()).not.toEqual(one)
      expect(() => resplit(p, { from: 'train', dev: 0.6, test: 0.5, seed: 1 })).toThrow(/below 1/)
    } finally {
      p.close()
    }
  })
})

describe('imports listed and undone', () => {
  it('lists each import and undoes one: its titles go, the others stay', async () => {
    const second = writeJsonl(join(dir, 'second.jsonl'), [{ text: '小米手环', label: [[0, 2, '品牌']] }])
    const s = await importInto(path, { path: second, format: 'jsonl', split: 'dev' })
    expect(s.warnings).toEqual([])
    withProject((p) => {
      const list = listImports(p)
      expect(list.map((i) => [i.id, i.titles, i.spans, i.remaining, i.undoable])).toEqual([
        [2, 1, 1, 1, true],
        [1, 4, 4, 4, true],
      ])
      expect(undoImport(p, { id: 2 })).toEqual({ id: 2, titles: 1, spans: 1 })
      expect(p.info().titles).toBe(4)
      expect(listImports(p)[0]).toMatchObject({ id: 2, remaining: 0, undoable: false })
      expect(listImports(p)[0]!.undoneAt).not.toBeNull()
      expect(() => undoImport(p, { id: 2 })).toThrow(/already undone/)
      expect(() => undoImport(p, { id: 9 })).toThrow(/no import with id 9/)
    })
  })

  it('refuses to delete reviewed titles of an import unless forced', () => {
    withProject((p) => {
      p.setStatus([2], 'reviewed')
      expect(() => undoImport(p, { id: 1 })).toThrow(/1 of the 4 titles of import 1 were reviewed since/)
      expect(p.info().titles).toBe(4)
      expect(undoImport(p, { id: 1, force: true })).toMatchObject({ titles: 4, spans: 4 })
      expect(p.info().titles).toBe(0)
    })
  })

  it('goes through the Studio: imports.list, imports.undo and titles.bulk answer over the contract', async () => {
    const studio = new Studio({ shell: 'server', version: 't', dataDir: dir })
    try {
      studio.open(path, false)
      const events: string[] = []
      studio.on((name, payload) => events.push(`${name}:${(payload as { what?: string }).what ?? ''}`))
      expect(await studio.handle('imports.list', undefined)).toHaveLength(1)
      const dry = await studio.handle('titles.bulk', { target: { query: { split: 'train' } }, action: { moveTo: 'test' }, dryRun: true })
      expect(dry).toMatchObject({ changed: 4, applied: false })
      expect(events).toEqual([])
      await studio.handle('titles.bulk', { target: { query: { split: 'train' } }, action: { moveTo: 'test' } })
      expect(events).toEqual(['project.changed:titles'])
      expect((await studio.handle('titles.counts', {})).bySplit.test).toBe(4)
      await studio.handle('imports.undo', { id: 1 })
      expect((await studio.handle('project.current', undefined))?.titles).toBe(0)
    } finally {
      studio.close()
    }
  })
})

describe('imports that cannot shred a file', () => {
  const conll = ['小 B-8', '米 I-8', '手 O', '环 O', '', '苹 B-8', '果 I-8'].join('\n') + '\n'

  it('refuses to guess between CoNLL and text when the first lines carry tags', async () => {
    const txt = join(dir, 'weak.txt')
    writeFileSync(txt, conll)
    expect(() => sniffFormat(txt)).toThrow(/weak\.txt:1: the first lines look like CoNLL .*choose "conll"/)
    const before = dumpProject(path)
    await expect(importInto(path, { path: txt })).rejects.toThrow(/look like CoNLL/)
    expect(dumpProject(path)).toEqual(before)
    // Named like CoNLL it is read as CoNLL; as plain titles it is (still) possible, with a warning.
    const named = join(dir, 'weak.bio')
    writeFileSync(named, conll)
    expect(sniffFormat(named)).toBe('conll')
    const asText = await importInto(path, { path: txt, format: 'text' })
    expect(asText.titles).toBe(6)
    expect(asText.warnings[0]).toMatch(/^6 of 6 titles are one character and a tag .* undo the import and choose conll$/)
    const plain = join(dir, 'titles.txt')
    writeFileSync(plain, '红色连衣裙\n苹果手机壳\n')
    expect(sniffFormat(plain)).toBe('text')
    const jsonNoExt = join(dir, 'data')
    writeFileSync(jsonNoExt, '{"text": "a", "label": []}\n')
    expect(sniffFormat(jsonNoExt)).toBe('jsonl')
  })

  it('warns when a labelled format yields no span at all', async () => {
    const f = join(dir, 'all-o.conll')
    writeFileSync(f, '红 O\n色 O\n')
    const r = await importInto(path, { path: f })
    expect(r.warnings).toEqual([expect.stringMatching(/^no span at all from a labelled format \(conll\)/)])
  })

  it('previews the first titles and spans without writing, with repair and the detected format', async () => {
    const f = join(dir, 'stray.bioes')
    writeFileSync(f, ['苹 I-品牌', '果 E-品牌', '壳 O', '', '华 B-品牌', '为 E-品牌'].join('\n') + '\n')
    const before = dumpProject(path)
    await expect(previewImport({ path: f })).rejects.toThrow(/stray\.bioes:1: .*I-品牌/)
    const pv = await previewImport({ path: f, repairTags: true, limit: 1 })
    expect(pv).toMatchObject({ format: 'conll', detected: true, spans: 1, repairedTags: 1, warnings: [] })
    expect(pv.titles).toEqual([{ text: '苹果壳', source: `${f}:1`, spans: [{ start: 0, end: 2, type: '品牌' }] }])
    expect(dumpProject(path)).toEqual(before)
  })
})

describe('Alt+L: label every occurrence (problem 7)', () => {
  it('confirms identical weak places, leaves reviewed and dev/test titles alone unless asked, previews first', async () => {
    const p2 = await makeProject(
      dir,
      [
        { text: '苹果手机壳', label: [[0, 2, '品牌']] }, // 1: the source (weak)
        { text: '苹果数据线', label: [[0, 2, '品类']] }, // 2: identical weak place → confirmed as 品牌
        { text: '大苹果汁', label: [[0, 2, '修饰']] }, // 3: overlapping weak span of other bounds → skipped
        { text: '新款苹果', label: [] }, // 4: free → created
      ],
      { name: 'occ.sqlite', origin: 'weak', split: 'train' },
    )
    const dev = writeJsonl(join(dir, 'dev.jsonl'), [{ text: '苹果耳机', label: [] }])
    await importInto(p2, { path: dev, format: 'jsonl', split: 'dev' }) // 5: evaluation data
    const p = Project.open(p2)
    try {
      p.setStatus([4], 'reviewed')
      const src = p.getTitle(1).spans[0]!
      const before = dumpProject(p2)
      const preview = labelOccurrences(p, { spanId: src.id, dryRun: true })
      expect(preview).toEqual({ created: 0, confirmed: 1, skipped: 1, protected: 2, titleIds: [2], applied: false })
      expect(dumpProject(p2)).toEqual(before)
      const r = labelOccurrences(p, { spanId: src.id })
      expect(r).toMatchObject({ created: 0, confirmed: 1, protected: 2, applied: true })
      expect(p.getTitle(2).spans.map((s) => [s.start, s.end, s.type, s.origin])).toEqual([[0, 2, '品牌', 'gold']])
      expect(p.getTitle(4).spans).toEqual([])
      expect(p.getTitle(5).spans).toEqual([])
      const all = labelOccurrences(p, { spanId: src.id, includeProtected: true })
      expect(all).toMatchObject({ created: 2, confirmed: 0, protected: 0, titleIds: [4, 5] })
      p.undo()
      p.undo()
      expect(p.getTitle(2).spans.map((s) => [s.type, s.origin])).toEqual([['品类', 'weak']])
    } finally {
      p.close()
    }
  })
})
