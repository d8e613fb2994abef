// The Pre-annotate queue's orders read from a run's stored predictions, on a real project file:
// 'sequence' (1 − P(ŷ | x) of the whole predicted path) and 'mnlp' (−log P(ŷ | x) / characters)
// rank EVERY unreviewed title the run pre-annotated — a title the model gave no span included,
// which 'least-confident' (by the least confident span) cannot see. The editor's review stream and
// `ner-studio queue --order` read the same orders.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { Project } from '../../../../src-main/services/project/project'
import { cmdQueue } from '../../../../src-main/cli/review'
import { preannotateQueue } from '../../../../src-main/services/runs/evaluation'
import { savePredictions } from '../../../../src-main/services/runs/records'
import { Studio } from '../../../../src-main/services/studio'
import { SCHEMA_VERSION } from '../../../../src-main/store/schema'
import { tmpDir } from '../../../helpers/tmp'

let studio: Studio
let file: string
let run: number
const ids: Record<string, number> = {}

/**
 * Six train titles and the run's predictions (log P of the path, model spans):
 *   short:    4 chars, log P −0.8, a model span (0.9)        mnlp −0.2
 *   long:    12 chars, log P −1.8, a model span (0.95)       mnlp −0.15
 *   nospan:   6 chars, log P −1.2, no span                   mnlp −0.2
 *   sure:     5 chars, log P −0.05, a model span (0.3)        mnlp −0.01
 *   reviewed: 5 chars, log P −5, reviewed                    → in no queue
 *   scored:   5 chars, prediction without log P (eval.run)   → not in these orders
 */
beforeEach(async () => {
  const dir = tmpDir()
  file = join(dir, 'p.sqlite')
  studio = new Studio({ shell: 'server', version: 'test', dataDir: dir })
  await studio.handle('project.create', { path: file })
  const p = studio.current()!
  const brand = p.ensureType('品牌')
  const ins = p.db.prepare("INSERT INTO titles (text, length, split, status, source, created_at, updated_at) VALUES (?, ?, 'train', ?, 'test', 0, 0)")
  const texts: [string, string, string][] = [
    ['short', '华为手机', 'unreviewed'],
    ['long', '小米电视机超薄款四十三寸', 'unreviewed'],
    ['nospan', '红色外套长款', 'unreviewed'],
    ['sure', '回力女鞋子', 'unreviewed'],
    ['reviewed', '苹果耳机套', 'reviewed'],
    ['scored', '联想笔记本', 'unreviewed'],
  ]
  for (const [k, t, st] of texts) ids[k] = Number(ins.run(t, Array.from(t).length, st).lastInsertRowid)
  run = Number(p.db.prepare("INSERT INTO runs (preset, config, status, created_at) VALUES ('bilstm-crf', '{}', 'done', 0)").run().lastInsertRowid)
  const span = p.db.prepare("INSERT INTO spans (title_id, start, end, type_id, origin, run_id, confidence, created_at) VALUES (?, 0, 2, ?, 'model', ?, ?, 0)")
  const b = (confidence: number) => [{ start: 0, end: 2, type: '品牌', confidence }]
  for (const [k, c] of [['short', 0.9], ['long', 0.95], ['sure', 0.3], ['reviewed', 0.5], ['scored', 0.1]] as const) span.run(ids[k], brand, run, c)
  savePredictions(p.db, run, [
    { titleId: ids.short!, spans: b(0.9), uncertainty: 1, logProb: -0.8 },
    { titleId: ids.long!, spans: b(0.95), uncertainty: 2, logProb: -1.8 },
    { titleId: ids.nospan!, spans: [], uncertainty: 1.5, logProb: -1.2 },
    { titleId: ids.sure!, spans: b(0.3), uncertainty: 0.1, logProb: -0.05 },
    { titleId: ids.reviewed!, spans: b(0.5), uncertainty: 3, logProb: -5 },
    { titleId: ids.scored!, spans: b(0.1) },
  ])
})

const order = (o: 'sequence' | 'mnlp' | 'least-confident') => preannotateQueue(studio.current()!.db, { runId: run, order: o, limit: 100 })

describe('Pre-annotate queue: sequence-level orders', () => {
  it("'sequence': every pre-annotated unreviewed title by P(ŷ | x), least probable first — the no-span title included", () => {
    const q = order('sequence')
    expect(q.items.map((i) => i.id)).toEqual([ids.long, ids.nospan, ids.short, ids.sure])
    expect(q.total).toBe(4)
    expect(q.items.map((i) => i.logProb)).toEqual([-1.8, -1.2, -0.8, -0.05])
    const nospan = q.items.find((i) => i.id === ids.nospan)!
    expect(nospan).toMatchObject({ modelSpans: 0, spans: [] })
    // the span order cannot see it: no model span
    expect(order('least-confident').items.map((i) => i.id)).toEqual([ids.scored, ids.sure, ids.short, ids.long])
  })

  it("'mnlp': by −log P(ŷ | x) / characters (code points), highest first; ties by id", () => {
    // short −0.8/4 = −0.2, nospan −1.2/6 = −0.2 (tie: lower id first), long −1.8/12 = −0.15, sure −0.01
    expect(order('mnlp').items.map((i) => i.id)).toEqual([ids.short, ids.nospan, ids.long, ids.sure])
  })

  it('through the studio request, paged; a title reviewed meanwhile leaves the queue; both need a run id', async () => {
    const page = (await studio.handle('preannotate.queue', { runId: run, order: 'sequence', limit: 2, offset: 1 })) as { items: { id: number }[]; total: number }
    expect(page.items.map((i) => i.id)).toEqual([ids.nospan, ids.short])
    studio.current()!.db.prepare("UPDATE titles SET status = 'reviewed' WHERE id = ?").run(ids.long)
    expect(order('sequence').items.map((i) => i.id)).toEqual([ids.nospan, ids.short, ids.sure])
    for (const o of ['sequence', 'mnlp'] as const) expect(() => preannotateQueue(studio.current()!.db, { order: o })).toThrow(/needs a run id/)
  })

  it('migration 7 adds predictions.log_prob to a project file of version 6, keeping its predictions', async () => {
    studio.close()
    const raw = new Database(file)
    raw.exec('ALTER TABLE predictions DROP COLUMN log_prob')
    raw.pragma('user_version = 6')
    raw.close()
    const p = Project.open(file)
    try {
      expect(p.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      const rows = p.db.prepare('SELECT title_id, uncertainty, log_prob FROM predictions WHERE run_id = ? ORDER BY title_id').all(run) as { log_prob: number | null; uncertainty: number | null }[]
      expect(rows).toHaveLength(6)
      expect(rows.every((r) => r.log_prob === null)).toBe(true)
      expect(rows.filter((r) => r.uncertainty !== null)).toHaveLength(5)
      // predictions from before the migration have no path probability: the orders list none of them
      expect(preannotateQueue(p.db, { runId: run, order: 'sequence' }).total).toBe(0)
    } finally {
      p.close()
    }
  })
})

describe('the orders wherever the queue is read', () => {
  it("the editor's review stream takes the order: same titles as the queue, named by it", async () => {
    for (const o of ['sequence', 'mnlp', 'least-confident'] as const) {
      const stream = await studio.handle('review.queue', { kind: 'uncertain', runId: run, order: o })
      expect(stream.ids).toEqual(order(o).items.map((i) => i.id))
      expect(stream).toMatchObject({ total: order(o).total, runId: run })
    }
    expect((await studio.handle('review.queue', { kind: 'uncertain', runId: run, order: 'mnlp' })).label).toBe(`least probable per character first (run ${run})`)
    // without an order: least confident span first, as before
    expect((await studio.handle('review.queue', { kind: 'uncertain', runId: run })).ids).toEqual(order('least-confident').items.map((i) => i.id))
    await expect(studio.handle('review.queue', { kind: 'uncertain', order: 'sequence' })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('needs a run id') })
  })

  it('`ner-studio queue --order`: the same order on the command line; a missing --run or an unknown order is a usage error', () => {
    studio.close()
    const lines: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')))
    try {
      cmdQueue([file, '--run', String(run), '--order', 'mnlp'])
      expect(lines[0]).toBe(`4 unreviewed titles run ${run} pre-annotated, least probable per character first:`)
      const shown = lines.slice(1).map((l) => Number(/^\s*(\d+)/.exec(l)![1]))
      expect(shown).toEqual([ids.short, ids.nospan, ids.long, ids.sure])
      expect(lines[1]).toContain('log P -0.800')
      lines.length = 0
      cmdQueue([file, '--run', String(run), '--order', 'sequence', '--json'])
      expect((JSON.parse(lines.join('\n')) as { items: { id: number }[] }).items.map((i) => i.id)).toEqual([ids.long, ids.nospan, ids.short, ids.sure])
    } finally {
      log.mockRestore()
    }
    expect(() => cmdQueue([file, '--order', 'sequence'])).toThrow(/--order sequence reads one run's predictions: give --run/)
    expect(() => cmdQueue([file, '--run', String(run), '--order', 'newest'])).toThrow(/--order must be one of least-confident, entropy, sequence, mnlp/)
  })
})
