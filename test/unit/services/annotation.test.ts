// The annotation desk's service operations, on real SQLite files in a temporary folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importInto } from '../../../src-main/services/io/import'
import { Project } from '../../../src-main/services/project/project'
import { Studio } from '../../../src-main/services/studio'
import { labelOccurrences } from '../../../src-main/services/spans/occurrences'

let dir: string
let path: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ner-desk-'))
  path = join(dir, 'p.sqlite')
  Project.open(path, { create: true }).close()
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function seed(lines: object[], split: 'train' | 'dev' = 'train', origin: 'gold' | 'weak' = 'weak'): Promise<void> {
  const f = join(dir, `in-${Math.random().toString(36).slice(2)}.jsonl`)
  writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
  await importInto(path, { path: f, format: 'jsonl', split, origin })
}

function addRun(p: Project, predictions: Record<number, { start: number; end: number; type: string }[]>): number {
  const id = Number(
    p.db
      .prepare(`INSERT INTO runs (preset, config, status, created_at) VALUES ('t', '{}', 'done', 0)`)
      .run().lastInsertRowid,
  )
  const ins = p.db.prepare('INSERT INTO predictions (run_id, title_id, spans) VALUES (?, ?, ?)')
  for (const [titleId, spans] of Object.entries(predictions)) ins.run(id, Number(titleId), JSON.stringify(spans))
  return id
}

describe('title filters, counts and neighbours', () => {
  beforeEach(async () => {
    await seed([
      { text: '苹果手机壳', label: [[0, 2, '品牌']] },
      { text: '华为手机', label: [[0, 2, '品牌'], [2, 4, '产品']] },
      { text: '纯棉T恤', label: [] },
    ])
    await seed([{ text: '苹果平板', label: [[0, 2, '品牌']] }], 'dev', 'gold')
  })

  it('counts each facet with the other filters applied', () => {
    const p = Project.open(path)
    const c = p.countTitles({ split: 'train', origins: true })
    expect(c.total).toBe(3)
    expect(c.bySplit).toEqual({ train: 3, dev: 1, test: 0, none: 0 })
    expect(c.byStatus).toEqual({ unreviewed: 3, reviewed: 0 })
    expect(c.byOrigin).toEqual({ gold: 0, weak: 2, dictionary: 0, model: 0 })
    expect(p.countTitles({ split: 'train' }).byOrigin).toBeNull()
    const c2 = p.countTitles({ search: '苹果', origins: true })
    expect(c2.total).toBe(2)
    expect(c2.byOrigin!.gold).toBe(1)
    // Split and status facets: each with the other applied.
    p.setStatus([1], 'reviewed')
    const c3 = p.countTitles({ split: 'train', status: 'reviewed' })
    expect(c3).toMatchObject({ total: 1, bySplit: { train: 1, dev: 0 }, byStatus: { reviewed: 1, unreviewed: 2 } })
    const c4 = p.countTitles({ status: 'unreviewed', origin: 'weak' })
    expect(c4).toMatchObject({ total: 1, bySplit: { train: 1, dev: 0 }, byStatus: { reviewed: 1, unreviewed: 1 } })
    p.close()
  })

  it('finds the next and previous title, and the next unreviewed one, with its index', () => {
    const p = Project.open(path)
    const ids = p.listTitles({}).items.map((t) => t.id)
    expect(p.neighbor({ id: ids[0]!, direction: 'next' })).toEqual({ id: ids[1], index: 1 })
    expect(p.neighbor({ id: ids[0]!, direction: 'prev' })).toEqual({ id: null, index: -1 })
    p.setStatus([ids[1]!], 'reviewed')
    expect(p.neighbor({ id: ids[0]!, direction: 'next', unreviewed: true })).toEqual({ id: ids[2], index: 2 })
    expect(p.neighbor({ id: ids[0]!, direction: 'next', query: { search: '苹果' } })).toEqual({ id: ids[3], index: 1 })
    p.close()
  })

  it('"disagrees with run X" lists titles whose spans differ from X\'s predictions, and none without runs', () => {
    const p = Project.open(path)
    const ids = p.listTitles({}).items.map((t) => t.id)
    expect(p.listTitles({ disagreesWith: 1 }).total).toBe(0)
    const run = addRun(p, {
      [ids[0]!]: [{ start: 0, end: 2, type: '品牌' }], // agrees
      [ids[1]!]: [{ start: 0, end: 2, type: '品牌' }], // misses 产品 → disagrees
      [ids[2]!]: [{ start: 0, end: 2, type: '材质' }], // predicts a span the title lacks → disagrees
      // ids[3] has no prediction → not listed
    })
    expect(p.listTitles({ disagreesWith: run }).items.map((t) => t.id)).toEqual([ids[1], ids[2]])
    expect(p.countTitles({ disagreesWith: run }).total).toBe(2)
    // Fixing the title to match the run removes it from the list.
    const s = p.getTitle(ids[1]!).spans.find((x) => x.type === '产品')!
    p.deleteSpan(s.id)
    expect(p.listTitles({ disagreesWith: run }).items.map((t) => t.id)).toEqual([ids[2]])
    expect(p.listTitles({ disagreesWith: run + 1 }).total).toBe(0)
    p.close()
  })
})

describe('paging and errors', () => {
  it('pages with skipTotal without counting, and refuses unknown spans and titles', async () => {
    await seed(Array.from({ length: 25 }, (_, i) => ({ text: `标题${i}`, label: [] })))
    const p = Project.open(path)
    expect(p.listTitles({ offset: 0, limit: 10 }).total).toBe(25)
    const page = p.listTitles({ offset: 20, limit: 10, skipTotal: true })
    expect(page.total).toBe(-1)
    expect(page.items.map((t) => t.text)).toEqual(['标题20', '标题21', '标题22', '标题23', '标题24'])
    expect(() => labelOccurrences(p, { spanId: 999 })).toThrow(/no span with id 999/)
    expect(() => p.acceptAll(999)).toThrow(/no title with id 999/)
    expect(p.neighbor({ id: 25, direction: 'next' })).toEqual({ id: null, index: -1 })
    expect(p.neighbor({ id: 25, direction: 'prev' })).toEqual({ id: 24, index: 23 })
    expect(p.canUndoRedo()).toEqual({ canUndo: false, canRedo: false })
    p.close()
  })
})

describe('span operations', () => {
  it('accepts all weak spans of a title as gold in one undoable step', async () => {
    await seed([{ text: '华为手机', label: [[0, 2, '品牌'], [2, 4, '产品']] }])
    const p = Project.open(path)
    const id = p.listTitles({}).items[0]!.id
    expect(p.acceptAll(id)).toEqual({ accepted: 2 })
    expect(p.getTitle(id).spans.map((s) => s.origin)).toEqual(['gold', 'gold'])
    expect(p.acceptAll(id)).toEqual({ accepted: 0 })
    const u = p.undo()
    expect(u.label).toBe('accept all spans')
    expect(p.getTitle(id).spans.map((s) => s.origin)).toEqual(['weak', 'weak'])
    p.redo()
    expect(p.getTitle(id).spans.map((s) => s.origin)).toEqual(['gold', 'gold'])
    p.close()
  })

  it('labels every other occurrence across titles in code points, skipping overlaps, as one history entry', async () => {
    await seed([
      { text: '😀苹果手机苹果', label: [[1, 3, '品牌']] },
      { text: '全新ｉＰｈｏｎｅ苹果壳', label: [] },
      { text: '大苹果汁', label: [[0, 2, '修饰']] }, // 苹 is inside a span: skipped
      { text: '香蕉', label: [] },
    ])
    const p = Project.open(path)
    const [a, b, c, d] = p.listTitles({}).items.map((t) => t.id)
    const src = p.getTitle(a!).spans[0]!
    const r = labelOccurrences(p, { spanId: src.id })
    expect(r).toEqual({ created: 2, confirmed: 0, skipped: 1, protected: 0, titleIds: [a, b], applied: true })
    expect(p.getTitle(a!).spans.map((s) => [s.start, s.end, s.type])).toEqual([
      [1, 3, '品牌'],
      [5, 7, '品牌'],
    ])
    // Full-width letters are one code point each: 全新ｉＰｈｏｎｅ is 8 characters.
    expect(p.getTitle(b!).spans.map((s) => [s.start, s.end, s.origin])).toEqual([[8, 10, 'gold']])
    expect(p.getTitle(c!).spans).toHaveLength(1)
    expect(p.getTitle(d!).spans).toHaveLength(0)
    const u = p.undo()
    expect(u.titleIds.sort()).toEqual([a, b].sort())
    expect(p.getTitle(a!).spans).toHaveLength(1)
    expect(p.getTitle(b!).spans).toHaveLength(0)
    p.redo()
    expect(p.getTitle(b!).spans).toHaveLength(1)
    p.close()
  })

  it('creates and moves spans by code point around an emoji, and undo survives reopening the file', async () => {
    await seed([{ text: '🎁礼盒ＡＢ装', label: [] }])
    let p = Project.open(path)
    p.createType({ name: '包装' })
    const id = p.listTitles({}).items[0]!.id
    const s = p.createSpan({ titleId: id, start: 1, end: 3, type: '包装' })
    p.updateSpan({ id: s.id, end: 5 })
    expect(p.getTitle(id).spans[0]).toMatchObject({ start: 1, end: 5 })
    expect(() => p.updateSpan({ id: s.id, end: 7 })).toThrow(/ends past the title/)
    p.close()
    p = Project.open(path)
    p.undo()
    expect(p.getTitle(id).spans[0]).toMatchObject({ start: 1, end: 3 })
    p.close()
  })

  it('merges two types, moving spans, and undo restores both', async () => {
    await seed([{ text: '华为手机', label: [[0, 2, '品牌'], [2, 4, '产品']] }])
    const p = Project.open(path)
    const types = Object.fromEntries(p.listTypes().map((t) => [t.name, t.id]))
    expect(p.mergeTypes(types['产品']!, types['品牌']!)).toEqual({ moved: 1 })
    expect(p.listTypes().map((t) => [t.name, t.spanCount])).toEqual([['品牌', 2]])
    p.undo()
    expect(p.listTypes().map((t) => t.name).sort()).toEqual(['产品', '品牌'].sort())
    p.close()
  })
})

describe('Studio: recent projects and the new requests', () => {
  it('records opened projects in recent.json, newest first, and forgets them on request', async () => {
    const studio = new Studio({ shell: 'server', version: 't', dataDir: dir })
    const other = join(dir, 'q.sqlite')
    await studio.handle('project.open', { path })
    await studio.handle('project.create', { path: other })
    const list = await studio.handle('project.recent', undefined)
    expect(list.map((r) => r.name)).toEqual(['q', 'p'])
    expect(list.every((r) => r.exists)).toBe(true)
    await studio.handle('project.open', { path })
    expect((await studio.handle('project.recent', undefined)).map((r) => r.name)).toEqual(['p', 'q'])
    expect((await studio.handle('project.forget', { path: other })).map((r) => r.name)).toEqual(['p'])
    studio.close()
  })

  it('reads a damaged recent.json as empty and rewrites it', async () => {
    writeFileSync(join(dir, 'recent.json'), '{not json')
    const studio = new Studio({ shell: 'server', version: 't', dataDir: dir })
    expect(await studio.handle('project.recent', undefined)).toEqual([])
    await studio.handle('project.open', { path })
    expect((await studio.handle('project.recent', undefined)).map((r) => r.path)).toEqual([path])
    rmSync(path)
    expect((await studio.handle('project.recent', undefined))[0]!.exists).toBe(false)
    studio.close()
  })

  it('answers titles.counts without an argument and emits project.changed for occurrences', async () => {
    await seed([{ text: '苹果苹果', label: [[0, 2, '品牌']] }])
    const studio = new Studio({ shell: 'server', version: 't', dataDir: dir })
    await studio.handle('project.open', { path })
    expect((await studio.handle('titles.counts', undefined as never)).total).toBe(1)
    const events: unknown[] = []
    studio.on((name, payload) => events.push([name, payload]))
    const t = await studio.handle('titles.get', { id: 1 })
    const r = await studio.handle('spans.labelOccurrences', { spanId: t.spans[0]!.id })
    expect(r.created).toBe(1)
    expect(events).toEqual([['project.changed', { what: 'spans', titleIds: [1] }]])
    studio.close()
  })
})
