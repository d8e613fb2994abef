// The review stream's queue sources on a real project file: disagreements with a run (the list
// filter's titles, most disagreeing first), the list's filter, an Evaluate cell, the Pre-annotate queue;
// a run's suggestions for a title; and accepting a suggestion as an ordinary, undoable span edit.
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { Studio } from '../../../../src-main/services/studio'
import { markSuggestions } from '../../../../src-main/shared/review'
import { tmpDir } from '../../../helpers/tmp'

let studio: Studio
let ids: number[]
let run: number

type P = { start: number; end: number; type: string; confidence: number }
const b = (start: number, end: number, confidence = 0.9): P => ({ start, end, type: '品牌', confidence })
const c = (start: number, end: number, confidence = 0.9): P => ({ start, end, type: '品类', confidence })

/**
 * Five titles: stored (non-model) spans and run's predictions per title.
 *   t0: gold 品牌 0-2          pred 品牌 0-2                  → agrees (0)
 *   t1: weak 品牌 0-2          pred 品牌 0-2, 品类 2-4        → 1 (品类 missing)
 *   t2: gold 品牌 0-2, 品类 2-4 pred 品牌 0-3               → 3 (pred 0-3 extra, both stored missing)
 *   t3: weak 品牌 0-2 + model  pred 品类 0-2               → 2 (a model span is not "stored gold/weak")
 *   t4: gold 品牌 0-2          (no prediction)             → not listed
 */
async function setup(): Promise<void> {
  const dir = tmpDir()
  studio = new Studio({ shell: 'server', version: 'test', dataDir: dir })
  await studio.handle('project.create', { path: join(dir, 'p.sqlite') })
  const p = studio.current()!
  const brand = p.ensureType('品牌')
  const cat = p.ensureType('品类')
  const ins = p.db.prepare('INSERT INTO titles (text, length, split, status, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
  const texts = ['华为手机壳', '小米电视机', '苹果耳机套', '红色外套长', '回力女鞋子']
  ids = texts.map((t, i) => Number(ins.run(t, 5, i === 2 ? 'dev' : 'train', 'unreviewed', 'test', 0, 0).lastInsertRowid))
  run = Number(p.db.prepare("INSERT INTO runs (preset, config, status, created_at) VALUES ('bilstm-crf', '{}', 'done', 0)").run().lastInsertRowid)
  const span = p.db.prepare('INSERT INTO spans (title_id, start, end, type_id, origin, run_id, confidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0)')
  span.run(ids[0], 0, 2, brand, 'gold', null, null)
  span.run(ids[1], 0, 2, brand, 'weak', null, null)
  span.run(ids[2], 0, 2, brand, 'gold', null, null)
  span.run(ids[2], 2, 4, cat, 'gold', null, null)
  span.run(ids[3], 0, 2, brand, 'weak', null, null)
  span.run(ids[3], 3, 5, cat, 'model', run, 0.5)
  span.run(ids[4], 0, 2, brand, 'gold', null, null)
  const pred = p.db.prepare('INSERT INTO predictions (run_id, title_id, spans) VALUES (?, ?, ?)')
  pred.run(run, ids[0], JSON.stringify([b(0, 2)]))
  pred.run(run, ids[1], JSON.stringify([b(0, 2, 0.8), c(2, 4, 0.4)]))
  pred.run(run, ids[2], JSON.stringify([b(0, 3, 0.7)]))
  pred.run(run, ids[3], JSON.stringify([c(0, 2, 0.6)]))
}

describe('review queue: disagreements with a run', () => {
  beforeEach(setup)

  it('lists the titles whose stored spans differ from the predictions, most disagreeing first', async () => {
    const q = await studio.handle('review.queue', { kind: 'disagreements', runId: run })
    expect(q.ids).toEqual([ids[2], ids[3], ids[1]])
    expect(q.differences).toEqual([3, 2, 1])
    expect(q.total).toBe(3)
    expect(q.runId).toBe(run)
    expect(q.label).toContain(`run ${run}`)
  })

  it('holds exactly the titles of the list filter "disagrees with run", in another order', async () => {
    const q = await studio.handle('review.queue', { kind: 'disagreements', runId: run })
    const list = await studio.handle('titles.list', { disagreesWith: run })
    expect([...q.ids].sort((x, y) => x - y)).toEqual(list.items.map((t) => t.id))
  })

  it('stays within a filter (here: the train split), and follows edits', async () => {
    expect((await studio.handle('review.queue', { kind: 'disagreements', runId: run, query: { split: 'train' } })).ids).toEqual([ids[3], ids[1]])
    // Labelling what the run predicted removes a title's only difference: it leaves the queue.
    await studio.handle('spans.create', { titleId: ids[1]!, start: 2, end: 4, type: '品类' })
    expect((await studio.handle('review.queue', { kind: 'disagreements', runId: run })).ids).toEqual([ids[2], ids[3]])
    await studio.handle('history.undo', undefined)
    expect((await studio.handle('review.queue', { kind: 'disagreements', runId: run })).ids).toEqual([ids[2], ids[3], ids[1]])
  })

  it('refuses an unknown run and a source it does not know', async () => {
    await expect(studio.handle('review.queue', { kind: 'disagreements', runId: 99 })).rejects.toMatchObject({ code: 'not_found' })
    await expect(studio.handle('review.queue', { kind: 'nope' } as never)).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('nope') })
    await expect(studio.handle('review.queue', { kind: 'cell', runId: run, split: 'x' as never, cell: {} })).rejects.toMatchObject({ code: 'bad_request' })
    await expect(studio.handle('review.queue', { kind: 'filter', query: { split: 'x' as never } })).rejects.toMatchObject({ code: 'bad_request' })
  })
})

describe('review queue: other sources', () => {
  beforeEach(setup)

  it("the list's filter, in the list's order; its run (disagreesWith) gives the suggestions", async () => {
    expect(await studio.handle('review.queue', { kind: 'filter', query: { split: 'train' } })).toMatchObject({ ids: [ids[0], ids[1], ids[3], ids[4]], total: 4, runId: null })
    expect((await studio.handle('review.queue', { kind: 'filter', query: { disagreesWith: run } })).runId).toBe(run)
  })

  it('uncertain (default order, least confident span): unreviewed titles with model spans of the run', async () => {
    expect(await studio.handle('review.queue', { kind: 'uncertain', runId: run })).toMatchObject({ ids: [ids[3]], total: 1, runId: run, label: `least confident span first (run ${run})` })
  })

  it("an Evaluate cell: the drill-down's titles", async () => {
    // Predicted 品类 where the stored span says 品牌 (t3, train): the confusion cell gold 品牌 → pred 品类.
    const q = await studio.handle('review.queue', { kind: 'cell', runId: run, split: 'train', cell: { gold: '品牌', pred: '品类' } })
    const drill = await studio.handle('eval.titles', { runId: run, split: 'train', cell: { gold: '品牌', pred: '品类' } })
    expect(q.ids).toEqual(drill.titles.map((t) => t.id))
    expect(q.ids).toContain(ids[3])
  })
})

describe('suggestions', () => {
  beforeEach(setup)

  it("are the run's stored prediction for the title, with confidences, by start", async () => {
    expect(await studio.handle('review.suggestions', { runId: run, titleId: ids[1]! })).toEqual([b(0, 2, 0.8), c(2, 4, 0.4)])
  })

  it("fall back to the title's model spans of the run when no prediction is stored", async () => {
    studio.current()!.db.prepare('DELETE FROM predictions WHERE title_id = ?').run(ids[3])
    expect(await studio.handle('review.suggestions', { runId: run, titleId: ids[3]! })).toEqual([c(3, 5, 0.5)])
    expect(await studio.handle('review.suggestions', { runId: run, titleId: ids[4]! })).toEqual([])
  })

  it('are marked against the stored spans: gold, same (weak), clash, new', async () => {
    const t1 = await studio.handle('titles.get', { id: ids[1]! })
    const m1 = markSuggestions(await studio.handle('review.suggestions', { runId: run, titleId: ids[1]! }), t1.spans)
    expect(m1.map((s) => s.state)).toEqual(['same', 'new'])
    expect(m1[0]!.spanId).toBe(t1.spans[0]!.id)
    const t2 = await studio.handle('titles.get', { id: ids[2]! })
    expect(markSuggestions([b(0, 2), b(0, 3), c(5, 6)], t2.spans).map((s) => s.state)).toEqual(['gold', 'clash', 'new'])
  })

  it('refuse an unknown run or title', async () => {
    await expect(studio.handle('review.suggestions', { runId: 99, titleId: ids[0]! })).rejects.toMatchObject({ code: 'not_found' })
    await expect(studio.handle('review.suggestions', { runId: run, titleId: 999 })).rejects.toMatchObject({ code: 'not_found' })
  })
})
