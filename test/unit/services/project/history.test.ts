// Undo / redo of every kind of edit, redo-stack truncation, and history that survives reopening.
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { importInto } from '../../../../src-main/services/io/import'
import { Project } from '../../../../src-main/services/project/project'
import { makeProject, writeJsonl } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'
import { TITLES } from '../../../helpers/titles'

/** What an edit may change and undo must restore (updated_at is a clock, not content). */
function state(p: Project): unknown {
  return {
    spans: p.db.prepare('SELECT * FROM spans ORDER BY id').all(),
    types: p.db.prepare('SELECT * FROM entity_types ORDER BY id').all(),
    titles: p.db.prepare('SELECT id, text, status FROM titles ORDER BY id').all(),
  }
}

describe('undo / redo', () => {
  let p: Project
  let path: string
  beforeEach(async () => {
    path = await makeProject(tmpDir(), TITLES, { origin: 'weak' })
    p = Project.open(path)
    return () => p.close()
  })
  const typeId = (name: string): number => p.listTypes().find((t) => t.name === name)!.id

  it('has nothing to undo or redo in a freshly imported project (imports are not edits)', () => {
    expect(p.canUndoRedo()).toEqual({ canUndo: false, canRedo: false })
    const before = state(p)
    expect(p.undo()).toEqual({ label: null, titleIds: [], kinds: [], canUndo: false, canRedo: false })
    expect(p.redo()).toEqual({ label: null, titleIds: [], kinds: [], canUndo: false, canRedo: false })
    expect(state(p)).toEqual(before)
  })

  const edits: [string, (p: Project) => unknown, RegExp, number[]][] = [
    [
      'span create',
      (p) => p.createSpan({ titleId: 4, start: 0, end: 2, type: '品牌' }),
      /^create span 品牌$/,
      [4],
    ],
    [
      'span update (boundary, type, weak → gold)',
      (p) => p.updateSpan({ id: p.getTitle(3).spans[1]!.id, end: 5, type: '材质' }),
      /^edit span 材质$/,
      [3],
    ],
    ['span delete', (p) => p.deleteSpan(p.getTitle(1).spans[0]!.id), /^delete span$/, [1]],
    ['status', (p) => p.setStatus([1, 2, 3], 'reviewed'), /^mark 3 title\(s\) reviewed$/, [1, 2, 3]],
    [
      'type create',
      (p) => p.createType({ name: '颜色', hotkey: 'c', color: '#123456' }),
      /^create type 颜色$/,
      [],
    ],
    [
      'type update',
      (p) =>
        p.updateType({
          id: p.listTypes().find((t) => t.name === '品类')!.id,
          name: '产品',
          color: '#abcdef',
          hotkey: 'x',
          description: 'd',
        }),
      /^edit type 产品$/,
      [],
    ],
    [
      'type merge',
      (p) => {
        const ts = p.listTypes()
        return p.mergeTypes(ts.find((t) => t.name === '品类')!.id, ts.find((t) => t.name === '品牌')!.id)
      },
      /^merge type 品类 into 品牌$/,
      [1, 2, 3],
    ],
    [
      'type delete',
      (p) => p.deleteType(p.listTypes().find((t) => t.name === '品牌')!.id),
      /^delete type 品牌$/,
      [1, 2, 3],
    ],
  ]

  for (const [what, edit, label, titleIds] of edits) {
    it(`undoes and redoes a ${what}`, () => {
      const s0 = state(p)
      edit(p)
      const s1 = state(p)
      expect(s1).not.toEqual(s0)
      expect(p.canUndoRedo()).toEqual({ canUndo: true, canRedo: false })

      const u = p.undo()
      expect(u.label).toMatch(label)
      expect([...u.titleIds].sort()).toEqual(titleIds)
      expect(u).toMatchObject({ canUndo: false, canRedo: true })
      expect(state(p)).toEqual(s0)

      const r = p.redo()
      expect(r.label).toMatch(label)
      expect(r).toMatchObject({ canUndo: true, canRedo: false })
      expect(state(p)).toEqual(s1)

      // And once more, to be sure redo left a proper undo entry.
      p.undo()
      expect(state(p)).toEqual(s0)
    })
  }

  it('restores a deleted type with its id, colour, hotkey and its spans with their ids and weak origin', () => {
    const before = state(p)
    const brand = p.listTypes().find((t) => t.name === '品牌')!
    p.deleteType(brand.id)
    p.undo()
    expect(state(p)).toEqual(before)
    const restored = p.listTypes().find((t) => t.name === '品牌')!
    expect(restored).toEqual(brand)
    expect(p.getTitle(1).spans.map((s) => s.origin)).toEqual(['weak', 'weak'])
  })

  it('undoes several edits in reverse order, then redoes them in order', () => {
    const s0 = state(p)
    p.createSpan({ titleId: 4, start: 0, end: 2, type: '品牌' })
    const s1 = state(p)
    p.setStatus([4], 'reviewed')
    const s2 = state(p)
    p.createType({ name: '颜色' })
    const s3 = state(p)
    expect(p.undo().label).toBe('create type 颜色')
    expect(state(p)).toEqual(s2)
    expect(p.undo().label).toBe('mark 1 title(s) reviewed')
    expect(state(p)).toEqual(s1)
    expect(p.undo().label).toBe('create span 品牌')
    expect(state(p)).toEqual(s0)
    expect(p.undo().label).toBeNull()
    expect(p.redo().label).toBe('create span 品牌')
    expect(p.redo().label).toBe('mark 1 title(s) reviewed')
    expect(p.redo().label).toBe('create type 颜色')
    expect(state(p)).toEqual(s3)
    expect(p.redo()).toMatchObject({ label: null, canUndo: true, canRedo: false })
  })

  it('a new edit after an undo throws the redo stack away', () => {
    p.createSpan({ titleId: 4, start: 0, end: 2, type: '品牌' }) // A
    p.createSpan({ titleId: 4, start: 2, end: 4, type: '品类' }) // B
    p.undo() // B undone, on the redo stack
    p.undo() // A undone too
    expect(p.canUndoRedo()).toEqual({ canUndo: false, canRedo: true })
    p.createSpan({ titleId: 4, start: 5, end: 7, type: '材质' }) // C
    expect(p.canUndoRedo()).toEqual({ canUndo: true, canRedo: false })
    const afterC = state(p)
    expect(p.redo().label).toBeNull()
    expect(state(p)).toEqual(afterC)
    expect(p.undo().label).toBe('create span 材质')
    expect(p.undo().label).toBeNull() // A and B are gone from history
    expect(p.getTitle(4).spans).toEqual([])
    expect((p.db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n).toBe(1)
  })

  it('a failed edit does not clear the redo stack or add an entry', () => {
    p.createSpan({ titleId: 4, start: 0, end: 2, type: '品牌' })
    p.undo()
    expect(() => p.createSpan({ titleId: 1, start: 7, end: 8, type: '品牌' })).toThrow(/overlaps/)
    expect(p.canUndoRedo()).toEqual({ canUndo: false, canRedo: true })
    expect(p.redo().label).toBe('create span 品牌')
  })

  it('an undo that no longer applies (an import re-created the deleted type) is a conflict and changes nothing', async () => {
    p.deleteType(typeId('材质'))
    p.close()
    const dir = tmpDir()
    await importInto(path, {
      path: writeJsonl(join(dir, 'again.jsonl'), [{ text: '纯棉T恤', label: [[0, 2, '材质']] }]),
    })
    p = Project.open(path)
    const before = state(p)
    let err: unknown
    try {
      p.undo()
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^cannot undo "delete type 材质"/),
    })
    expect(state(p)).toEqual(before)
    expect(p.canUndoRedo()).toEqual({ canUndo: true, canRedo: false })
  })

  it('keeps the last 10,000 edits: older ones are dropped, the newest stay undoable', () => {
    const s0 = state(p)
    for (let i = 0; i < 10_010; i++) p.setStatus([4], i % 2 === 0 ? 'reviewed' : 'unreviewed')
    const h = p.db.prepare('SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM history').get() as {
      n: number
      lo: number
      hi: number
    }
    expect(h.n).toBe(10_000)
    expect(h.hi - h.lo).toBe(9_999)
    expect(p.undo().label).toBe('mark 1 title(s) unreviewed')
    expect(p.undo().label).toBe('mark 1 title(s) reviewed')
    expect(state(p)).toEqual(s0) // an even number of toggles undone: back to unreviewed
  })

  it('keeps undo and redo across closing and reopening the file', () => {
    const s0 = state(p)
    p.createSpan({ titleId: 4, start: 0, end: 2, type: '品牌' })
    p.mergeTypes(typeId('材质'), typeId('品类'))
    const s2 = state(p)
    p.close()

    p = Project.open(path)
    expect(p.canUndoRedo()).toEqual({ canUndo: true, canRedo: false })
    expect(p.undo().label).toBe('merge type 材质 into 品类')
    p.close()

    p = Project.open(path)
    expect(p.canUndoRedo()).toEqual({ canUndo: true, canRedo: true })
    expect(p.undo().label).toBe('create span 品牌')
    expect(state(p)).toEqual(s0)
    p.close()

    p = Project.open(path)
    p.redo()
    p.redo()
    expect(state(p)).toEqual(s2)
  })
})
