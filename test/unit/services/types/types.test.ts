// Entity types: create, rename, recolour, hotkeys, merge (spans move), delete (spans go).
import { beforeEach, describe, expect, it } from 'vitest'
import { Project } from '../../../../src-main/services/project/project'
import { colorFor } from '../../../../src-main/services/types/palette'
import { StudioError } from '../../../../src-main/shared/errors'
import { makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'
import { TITLES } from '../../../helpers/titles'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof StudioError) return e.code
    throw e
  }
  throw new Error('expected a StudioError, nothing was thrown')
}

function historyCount(p: Project): number {
  return (p.db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n
}

describe('entity types', () => {
  let p: Project
  beforeEach(async () => {
    const path = await makeProject(tmpDir(), TITLES)
    p = Project.open(path)
    return () => p.close()
  })

  const byName = (name: string) => p.listTypes().find((t) => t.name === name)

  it('lists imported types, most spans first, with span counts and default hotkeys', () => {
    const types = p.listTypes()
    expect(types.map((t) => [t.name, t.spanCount])).toEqual([
      ['品牌', 3],
      ['品类', 3],
      ['材质', 1],
    ])
    // The importer hands 1, 2, 3 … to the most frequent types when none had a hotkey.
    expect(types.map((t) => t.hotkey)).toEqual(['1', '2', '3'])
    for (const t of types) expect(t.color).toMatch(/^#[0-9a-f]{6}$/)
  })

  it('creates a type with a palette colour, a lower-cased hotkey and a description', () => {
    const t = p.createType({ name: '  颜色 ', hotkey: 'C', description: 'colour words' })
    expect(t).toMatchObject({ name: '颜色', hotkey: 'c', description: 'colour words', spanCount: 0 })
    expect(t.color).toBe(colorFor(3))
    expect(byName('颜色')).toEqual(t)
    const red = p.createType({ name: '型号', color: '#FF0000' })
    expect(red.color).toBe('#ff0000')
    expect(red.hotkey).toBeNull()
  })

  it('refuses a duplicate name, a bad name, a bad colour and a bad hotkey, recording nothing', () => {
    const before = p.listTypes()
    const h = historyCount(p)
    expect(codeOf(() => p.createType({ name: '品牌' }))).toBe('conflict')
    expect(() => p.createType({ name: '品牌' })).toThrow(/already exists/)
    expect(codeOf(() => p.createType({ name: '' }))).toBe('bad_request')
    expect(codeOf(() => p.createType({ name: '两 个' }))).toBe('bad_request')
    expect(codeOf(() => p.createType({ name: 'x'.repeat(101) }))).toBe('bad_request')
    expect(codeOf(() => p.createType({ name: 'ok', color: 'red' }))).toBe('bad_request')
    expect(codeOf(() => p.createType({ name: 'ok', hotkey: 'abc' }))).toBe('bad_request')
    expect(codeOf(() => p.createType({ name: 'ok', hotkey: ']' }))).toBe('bad_request')
    expect(p.listTypes()).toEqual(before)
    expect(historyCount(p)).toBe(h)
  })

  it('refuses a hotkey another type holds, on create and on update (case-insensitively)', () => {
    expect(codeOf(() => p.createType({ name: '颜色', hotkey: '1' }))).toBe('conflict')
    expect(() => p.createType({ name: '颜色', hotkey: '1' })).toThrow(
      /hotkey "1" is already used by entity type "品牌"/,
    )
    const c = p.createType({ name: '颜色', hotkey: 'q' })
    expect(codeOf(() => p.updateType({ id: byName('品类')!.id, hotkey: 'Q' }))).toBe('conflict')
    expect(byName('品类')!.hotkey).toBe('2')
    // A type may keep its own hotkey; clearing frees it for another.
    expect(p.updateType({ id: c.id, hotkey: 'q', description: 'same key' }).hotkey).toBe('q')
    expect(p.updateType({ id: c.id, hotkey: null }).hotkey).toBeNull()
    expect(p.updateType({ id: byName('品类')!.id, hotkey: 'q' }).hotkey).toBe('q')
  })

  it('takes two-key chords (g then b) and refuses one that a single key starts, or that starts one', () => {
    const gb = p.createType({ name: '颜色', hotkey: 'GB' })
    expect(gb.hotkey).toBe('gb')
    expect(() => p.createType({ name: '型号', hotkey: 'g' })).toThrow(/"g" clashes with "g b" of entity type "颜色"/)
    expect(codeOf(() => p.createType({ name: '型号', hotkey: '1x' }))).toBe('conflict')
    expect(p.createType({ name: '型号', hotkey: 'gc' }).hotkey).toBe('gc')
    expect(codeOf(() => p.updateType({ id: gb.id, hotkey: 'gc' }))).toBe('conflict')
    expect(byName('颜色')!.hotkey).toBe('gb')
  })

  it('renames and recolours a type; its spans follow the new name', () => {
    const id = byName('品类')!.id
    const t = p.updateType({ id, name: '产品词', color: '#00AA11' })
    expect(t).toMatchObject({ id, name: '产品词', color: '#00aa11', spanCount: 3 })
    const title = p.getTitle(1)
    expect(title.spans.map((s) => s.type)).toEqual(['品牌', '产品词'])
    expect(byName('品类')).toBeUndefined()
  })

  it('refuses renaming onto an existing name (suggesting a merge) and unknown ids', () => {
    expect(() => p.updateType({ id: byName('品类')!.id, name: '品牌' })).toThrow(/merge/)
    expect(codeOf(() => p.updateType({ id: byName('品类')!.id, name: '品牌' }))).toBe('conflict')
    expect(codeOf(() => p.updateType({ id: 9999, name: 'x' }))).toBe('not_found')
    expect(codeOf(() => p.updateType({ id: byName('品类')!.id, color: '#12345' }))).toBe('bad_request')
  })

  it('merges one type into another: every span moves, the source type is gone', () => {
    const from = byName('材质')!
    const into = byName('品类')!
    const spanIds = (
      p.db.prepare('SELECT id FROM spans WHERE type_id = ?').all(from.id) as { id: number }[]
    ).map((r) => r.id)
    expect(p.mergeTypes(from.id, into.id)).toEqual({ moved: 1 })
    expect(byName('材质')).toBeUndefined()
    expect(byName('品类')!.spanCount).toBe(4)
    for (const id of spanIds) {
      expect(
        (p.db.prepare('SELECT type_id FROM spans WHERE id = ?').get(id) as { type_id: number }).type_id,
      ).toBe(into.id)
    }
    expect(p.getTitle(3).spans.map((s) => s.type)).toEqual(['品牌', '品类', '品类'])
    expect(p.stats().spans).toBe(7)
  })

  it('refuses merging a type into itself or into an unknown type', () => {
    const id = byName('品牌')!.id
    expect(codeOf(() => p.mergeTypes(id, id))).toBe('bad_request')
    expect(codeOf(() => p.mergeTypes(id, 9999))).toBe('not_found')
    expect(codeOf(() => p.mergeTypes(9999, id))).toBe('not_found')
    expect(byName('品牌')!.spanCount).toBe(3)
  })

  it('deletes a type with its spans and reports how many went', () => {
    const id = byName('品牌')!.id
    expect(p.deleteType(id)).toEqual({ deletedSpans: 3 })
    expect(byName('品牌')).toBeUndefined()
    expect(p.stats().spans).toBe(4)
    expect(p.getTitle(1).spans.map((s) => s.type)).toEqual(['品类'])
    expect(codeOf(() => p.deleteType(id))).toBe('not_found')
    // A type without spans deletes with a count of 0.
    const empty = p.createType({ name: '空' })
    expect(p.deleteType(empty.id)).toEqual({ deletedSpans: 0 })
  })
})
