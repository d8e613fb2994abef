// Spans: code-point offsets, flat entities (no overlap), range checks, weak → gold on edit.
import { beforeEach, describe, expect, it } from 'vitest'
import { Project } from '../../../../src-main/services/project/project'
import { StudioError } from '../../../../src-main/shared/errors'
import { cpSlice } from '../../../../src-main/shared/text'
import { makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'
import { BAG_TITLE, EMOJI_TITLE, SHOE_TITLE, TITLES } from '../../../helpers/titles'

function errorOf(fn: () => unknown): StudioError {
  try {
    fn()
  } catch (e) {
    if (e instanceof StudioError) return e
    throw e
  }
  throw new Error('expected a StudioError, nothing was thrown')
}

describe('spans', () => {
  let p: Project
  let dir: string
  beforeEach(async () => {
    dir = tmpDir()
    const path = await makeProject(dir, TITLES)
    p = Project.open(path)
    return () => p.close()
  })
  const history = (): number => (p.db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n
  const spanRows = (): unknown[] => p.db.prepare('SELECT * FROM spans ORDER BY id').all()

  it('stores imported offsets in code points (emoji and full-width characters count as one)', () => {
    const t = p.getTitle(1)
    expect(t.text).toBe(EMOJI_TITLE)
    expect(t.length).toBe(11)
    expect(EMOJI_TITLE.length).toBe(12) // UTF-16 units: the emoji is a surrogate pair
    expect(t.spans.map((s) => [s.start, s.end, s.type, cpSlice(t.text, s.start, s.end)])).toEqual([
      [7, 9, '品牌', '品牌'],
      [9, 11, '品类', '手机'],
    ])
  })

  it('creates a gold span at code-point offsets, after an emoji and over full-width letters', () => {
    const s = p.createSpan({ titleId: 1, start: 1, end: 4, type: '品牌' })
    expect(s).toMatchObject({
      titleId: 1,
      start: 1,
      end: 4,
      type: '品牌',
      origin: 'gold',
      runId: null,
      confidence: null,
    })
    const t = p.getTitle(1)
    expect(t.spans.map((x) => cpSlice(t.text, x.start, x.end))).toEqual(['ＡＢＣ', '品牌', '手机'])
    const emoji = p.createSpan({ titleId: 1, start: 0, end: 1, type: '材质' })
    expect(cpSlice(EMOJI_TITLE, emoji.start, emoji.end)).toBe('😀')
    const digits = p.createSpan({ titleId: 1, start: 4, end: 7, type: '材质' })
    expect(cpSlice(EMOJI_TITLE, digits.start, digits.end)).toBe('１２３')
    // The emoji in the middle of a title: 👟 is character 7 (0-based) of SHOE_TITLE, so 轻 is 8.
    const shoe = p.createSpan({ titleId: 4, start: 8, end: 12, type: '品类' })
    expect(cpSlice(SHOE_TITLE, shoe.start, shoe.end)).toBe('轻便透气')
  })

  it('accepts a span ending at the last code point and refuses one past it (UTF-16 length does not count)', () => {
    p.deleteSpan(p.getTitle(1).spans[1]!.id) // frees [9, 11)
    expect(p.createSpan({ titleId: 1, start: 10, end: 11, type: '品类' }).end).toBe(11)
    const rows = spanRows()
    const e = errorOf(() => p.createSpan({ titleId: 1, start: 10, end: 12, type: '品类' }))
    expect(e.code).toBe('bad_request')
    expect(e.message).toMatch(/ends past the title \(11 characters\)/)
    expect(spanRows()).toEqual(rows)
  })

  it('refuses invalid offsets, unknown titles and unknown types, recording nothing', () => {
    const rows = spanRows()
    const h = history()
    for (const [start, end] of [
      [-1, 2],
      [3, 3],
      [5, 2],
      [1.5, 3],
    ] as const) {
      const e = errorOf(() => p.createSpan({ titleId: 4, start, end, type: '品牌' }))
      expect(e.code).toBe('bad_request')
      expect(e.message).toMatch(/invalid span/)
    }
    expect(errorOf(() => p.createSpan({ titleId: 4, start: 0, end: 100, type: '品牌' })).code).toBe(
      'bad_request',
    )
    expect(errorOf(() => p.createSpan({ titleId: 999, start: 0, end: 1, type: '品牌' })).code).toBe(
      'not_found',
    )
    expect(errorOf(() => p.createSpan({ titleId: 4, start: 0, end: 1, type: '没有' })).code).toBe('not_found')
    expect(spanRows()).toEqual(rows)
    expect(history()).toBe(h)
  })

  it('refuses an overlapping span with a clear error naming the other span; touching spans are fine', () => {
    // BAG_TITLE has 品牌 [0,3), 品类 [3,6), 材质 [13,15).
    const rows = spanRows()
    for (const [start, end] of [
      [2, 4],
      [0, 3],
      [1, 2],
      [12, 14],
      [14, 15],
      [0, 15],
    ] as const) {
      const e = errorOf(() => p.createSpan({ titleId: 3, start, end, type: '品牌' }))
      expect(e.code).toBe('conflict')
      expect(e.message).toMatch(/overlaps the \S+ span \[\d+, \d+\); entities are flat/)
    }
    expect(errorOf(() => p.createSpan({ titleId: 3, start: 2, end: 4, type: '材质' })).message).toContain(
      '[0, 3)',
    )
    expect(spanRows()).toEqual(rows)
    const between = p.createSpan({ titleId: 3, start: 6, end: 13, type: '材质' })
    expect(cpSlice(BAG_TITLE, between.start, between.end)).toBe('男女通用款头层')
  })

  it('updates boundaries and type; an update may not overlap another span or leave the title', () => {
    const [brand, cat] = p.getTitle(3).spans
    const moved = p.updateSpan({ id: cat!.id, start: 3, end: 5 })
    expect(moved).toMatchObject({ id: cat!.id, start: 3, end: 5, type: '品类' })
    const retyped = p.updateSpan({ id: cat!.id, type: '材质' })
    expect(retyped).toMatchObject({ start: 3, end: 5, type: '材质' })
    // Growing into the neighbour is refused; the span stays as it was.
    expect(errorOf(() => p.updateSpan({ id: cat!.id, start: 2 })).code).toBe('conflict')
    expect(errorOf(() => p.updateSpan({ id: brand!.id, end: 16 })).code).toBe('bad_request')
    expect(errorOf(() => p.updateSpan({ id: brand!.id, type: '没有' })).code).toBe('not_found')
    expect(errorOf(() => p.updateSpan({ id: 9999, start: 0 })).code).toBe('not_found')
    expect(p.getTitle(3).spans.map((s) => [s.start, s.end, s.type])).toEqual([
      [0, 3, '品牌'],
      [3, 5, '材质'],
      [13, 15, '材质'],
    ])
  })

  it('touches the title (updated_at) on an edit', () => {
    p.db.prepare('UPDATE titles SET updated_at = 0 WHERE id = 2').run()
    p.createSpan({ titleId: 2, start: 3, end: 9, type: '品类' })
    expect(p.getTitle(2).updatedAt).toBeGreaterThan(0)
  })

  it('makes a weak or model span gold when a person edits it', async () => {
    const weakPath = await makeProject(
      dir,
      [
        {
          text: BAG_TITLE,
          label: [
            [0, 3, '品牌'],
            [3, 6, '品类'],
          ],
        },
      ],
      { name: 'weak.sqlite', origin: 'weak' },
    )
    const w = Project.open(weakPath)
    try {
      const [a, b] = w.getTitle(1).spans
      expect(a!.origin).toBe('weak')
      const edited = w.updateSpan({ id: a!.id, end: 2 })
      expect(edited).toMatchObject({ start: 0, end: 2, origin: 'gold' })
      // Even a no-change "confirm" (type set to its own type) turns it gold.
      expect(w.updateSpan({ id: b!.id, type: '品类' }).origin).toBe('gold')
      // A model span loses its run and confidence when confirmed.
      w.db.exec(
        `INSERT INTO runs (id, preset, config, status, created_at) VALUES (7, 'bilstm', '{}', 'done', 0)`,
      )
      const typeId = (w.db.prepare(`SELECT id FROM entity_types WHERE name = '品类'`).get() as { id: number })
        .id
      const id = Number(
        w.db
          .prepare(
            `INSERT INTO spans (title_id, start, end, type_id, origin, run_id, confidence, created_at) VALUES (1, 10, 12, ?, 'model', 7, 0.42, 0)`,
          )
          .run(typeId).lastInsertRowid,
      )
      expect(w.getTitle(1).spans.find((s) => s.id === id)).toMatchObject({
        origin: 'model',
        runId: 7,
        confidence: 0.42,
      })
      expect(w.updateSpan({ id, start: 11 })).toMatchObject({
        start: 11,
        end: 12,
        origin: 'gold',
        runId: null,
        confidence: null,
      })
      expect(w.stats().byOrigin).toMatchObject({ gold: 3, weak: 0, model: 0 })
    } finally {
      w.close()
    }
  })

  it('deletes a span; deleting it again is not_found', () => {
    const s = p.getTitle(2).spans[0]!
    expect(p.deleteSpan(s.id)).toEqual({ deleted: 1 })
    expect(p.getTitle(2).spans.map((x) => x.id)).not.toContain(s.id)
    expect(errorOf(() => p.deleteSpan(s.id)).code).toBe('not_found')
    expect(p.stats().spans).toBe(6)
  })
})
