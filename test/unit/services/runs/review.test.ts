// Accept / reject of model spans (one span, a title, a type above a threshold), each one undoable
// edit; the low-confidence-first queue; and the drill-down's cell rules on hand-made spans.
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { cellHits } from '../../../../src-main/services/runs/evaluation'
import { Studio } from '../../../../src-main/services/studio'
import { tmpDir } from '../../../helpers/tmp'

let studio: Studio
let titles: number[]

/** Three titles with a gold span each, plus model spans with given confidences. */
async function setup(): Promise<void> {
  const dir = tmpDir()
  studio = new Studio({ shell: 'server', version: 'test', dataDir: dir })
  await studio.handle('project.create', { path: join(dir, 'p.sqlite') })
  const p = studio.current()!
  const brand = p.ensureType('品牌')
  const cat = p.ensureType('品类')
  const ins = p.db.prepare('INSERT INTO titles (text, length, split, status, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
  titles = ['回力女鞋春季新款', '创维智能电视黑色', '小米手机白色'].map((t) => Number(ins.run(t, Array.from(t).length, 'train', 'unreviewed', 'test', 0, 0).lastInsertRowid))
  const run = Number(p.db.prepare("INSERT INTO runs (preset, config, status, created_at) VALUES ('bilstm-crf', '{}', 'done', 0)").run().lastInsertRowid)
  const span = p.db.prepare('INSERT INTO spans (title_id, start, end, type_id, origin, run_id, confidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0)')
  span.run(titles[0], 0, 2, brand, 'gold', null, null)
  span.run(titles[0], 2, 4, cat, 'model', run, 0.9)
  span.run(titles[1], 0, 2, brand, 'model', run, 0.4)
  span.run(titles[1], 2, 6, cat, 'model', run, 0.95)
  span.run(titles[2], 0, 2, brand, 'model', run, 0.7)
  span.run(titles[2], 2, 4, cat, 'model', run, 0.6)
}

const origins = async (id: number): Promise<string[]> =>
  (await studio.handle('titles.get', { id })).spans.map((s) => `${s.start}-${s.end}:${s.type}:${s.origin}`)

describe('pre-annotation review', () => {
  beforeEach(setup)

  it('accepts one span (it becomes gold, run and confidence cleared) and undoes it', async () => {
    const s = (await studio.handle('titles.get', { id: titles[0]! })).spans.find((x) => x.origin === 'model')!
    expect(await studio.handle('preannotate.accept', { spanId: s.id })).toEqual({ changed: 1, titleIds: [titles[0]] })
    const after = (await studio.handle('titles.get', { id: titles[0]! })).spans.find((x) => x.id === s.id)!
    expect(after).toMatchObject({ origin: 'gold', runId: null, confidence: null })
    expect((await studio.handle('history.undo', undefined)).label).toBe('accept model span')
    expect((await studio.handle('titles.get', { id: titles[0]! })).spans.find((x) => x.id === s.id)).toMatchObject({ origin: 'model', confidence: 0.9 })
  })

  it('refuses to accept or reject a gold span', async () => {
    const g = (await studio.handle('titles.get', { id: titles[0]! })).spans.find((x) => x.origin === 'gold')!
    await expect(studio.handle('preannotate.accept', { spanId: g.id })).rejects.toMatchObject({ code: 'bad_request' })
    await expect(studio.handle('preannotate.reject', { spanId: g.id })).rejects.toMatchObject({ code: 'bad_request' })
  })

  it('rejects all model spans of a title as one edit; undo brings them back', async () => {
    const before = await origins(titles[1]!)
    expect((await studio.handle('preannotate.reject', { titleId: titles[1]! })).changed).toBe(2)
    expect(await origins(titles[1]!)).toEqual([])
    await studio.handle('history.undo', undefined)
    expect(await origins(titles[1]!)).toEqual(before)
    await studio.handle('history.redo', undefined)
    expect(await origins(titles[1]!)).toEqual([])
  })

  it('rejects the spans of a type below a threshold; the queue lists the runs with spans waiting', async () => {
    expect(await studio.handle('preannotate.count', { type: '品牌', minConfidence: 0.5, below: true })).toEqual({ spans: 1, titles: 1 })
    const r = await studio.handle('preannotate.reject', { type: '品牌', minConfidence: 0.5, below: true })
    expect(r).toEqual({ changed: 1, titleIds: [titles[1]] })
    expect(await origins(titles[1]!)).toEqual(['2-6:品类:model'])
    expect(await origins(titles[2]!)).toEqual(['0-2:品牌:model', '2-4:品类:model'])
    // Another run's spans waiting are reported whatever run the queue is asked for.
    const q = await studio.handle('preannotate.queue', { runId: 99 })
    expect(q.items).toEqual([])
    expect(q.waiting).toEqual([{ runId: 1, spans: 4, titles: 3 }])
    expect((await studio.handle('history.undo', undefined)).label).toBe('reject model 品牌 spans below 0.5')
    expect((await studio.handle('preannotate.queue', {})).waiting).toEqual([{ runId: 1, spans: 5, titles: 3 }])
  })

  it('accepts every span of one type at or above a threshold, leaving the rest', async () => {
    expect(await studio.handle('preannotate.count', { type: '品类', minConfidence: 0.8 })).toEqual({ spans: 2, titles: 2 })
    const r = await studio.handle('preannotate.accept', { type: '品类', minConfidence: 0.8 })
    expect(r.changed).toBe(2)
    expect(await origins(titles[1]!)).toEqual(['0-2:品牌:model', '2-6:品类:gold'])
    expect(await origins(titles[2]!)).toEqual(['0-2:品牌:model', '2-4:品类:model'])
    await studio.handle('history.undo', undefined)
    expect(await origins(titles[1]!)).toEqual(['0-2:品牌:model', '2-6:品类:model'])
  })

  it('queues unreviewed titles with model spans, least confident first; reviewed ones leave the queue', async () => {
    const q = await studio.handle('preannotate.queue', {})
    expect(q.items.map((i) => i.id)).toEqual([titles[1], titles[2], titles[0]])
    expect(q.items.map((i) => i.minConfidence)).toEqual([0.4, 0.6, 0.9])
    expect(q.items[0]!.spans.map((s) => [s.start, s.end, s.type, s.confidence])).toEqual([[0, 2, '品牌', 0.4], [2, 6, '品类', 0.95]])
    await studio.handle('titles.setStatus', { ids: [titles[1]!], status: 'reviewed' })
    expect((await studio.handle('preannotate.queue', undefined as never)).items.map((i) => i.id)).toEqual([titles[2], titles[0]])
  })
})

describe('Evaluate cells (drill-down rules)', () => {
  const gold = [
    { start: 0, end: 2, type: 'A' },
    { start: 3, end: 5, type: 'B' },
    { start: 6, end: 8, type: 'A' },
    { start: 10, end: 12, type: 'B' },
  ]
  const pred = [
    { start: 0, end: 2, type: 'A' }, // correct
    { start: 3, end: 5, type: 'A' }, // wrong type (gold B)
    { start: 6, end: 9, type: 'A' }, // wrong boundary
    { start: 14, end: 15, type: 'B' }, // spurious
  ]
  const n = (cell: Parameters<typeof cellHits>[2]): number => cellHits(gold, pred, cell).length
  it('counts each cell as ml/eval does', () => {
    expect(n({ bucket: 'missed' })).toBe(1)
    expect(n({ bucket: 'spurious' })).toBe(1)
    expect(n({ bucket: 'wrongType' })).toBe(1)
    expect(n({ bucket: 'wrongBoundary' })).toBe(1)
    expect(n({ bucket: 'wrongBoth' })).toBe(0)
    expect(n({ gold: 'B', pred: 'A' })).toBe(1)
    expect(n({ gold: 'A', pred: 'A' })).toBe(1)
    expect(n({ type: 'A', metric: 'support' })).toBe(2)
    expect(n({ type: 'A', metric: 'predicted' })).toBe(3)
    expect(n({ type: 'A', metric: 'correct' })).toBe(1)
    expect(n({ type: 'B', metric: 'errors' })).toBe(3)
  })
})
