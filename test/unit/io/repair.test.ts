// --repair-tags: weak labels made by a model carry stray I- tags. Strict imports refuse them (with
// file and line); a repairing import lets each stray continuation start an entity, and counts them.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { importInto } from '../../../src-main/services/io/import'
import { Project } from '../../../src-main/services/project/project'
import { tagsToSpans } from '../../../src-main/shared/tags'
import { GAIIC_WEAK, hasData } from '../../helpers/paths'
import { makeProject, statsOf } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

describe("tagsToSpans({ mode: 'repair' })", () => {
  it('starts a new entity at a stray I- and reports each position', () => {
    const seen: number[] = []
    const spans = tagsToSpans(['I-A', 'I-A', 'O', 'B-A', 'I-B', 'E-B', 'O'], { mode: 'repair', onRepair: (i) => seen.push(i) })
    expect(spans).toEqual([
      { start: 0, end: 2, type: 'A' },
      { start: 3, end: 4, type: 'A' },
      { start: 4, end: 6, type: 'B' },
    ])
    expect(seen).toEqual([0, 4])
  })
  it('throws without repair', () => {
    expect(() => tagsToSpans(['O', 'I-A'])).toThrow(/stray tag I-A at character 2 \(after O\)/)
  })
})

describe('import with repairTags', () => {
  let dir: string
  let project: string
  beforeEach(async () => {
    dir = tmpDir()
    project = await makeProject(dir, [])
  })

  it('CoNLL with a stray tag: strict import changes nothing, repairing import keeps the entity', async () => {
    const file = join(dir, 'weak.conll')
    writeFileSync(file, '苹\tB-品牌\n果\tI-品牌\n手\tO\n机\tI-品类\n\n华\tB-品牌\n为\tI-品牌\n')
    const before = statsOf(project)
    await expect(importInto(project, { path: file, format: 'conll' })).rejects.toThrow(/weak\.conll:4: stray tag I-品类/)
    expect(statsOf(project)).toEqual(before)
    const r = await importInto(project, { path: file, format: 'conll', origin: 'weak', repairTags: true })
    expect(r).toMatchObject({ titles: 2, spans: 3, repairedTags: 1 })
    const p = Project.open(project, { readonly: true })
    const t = p.getTitle(1)
    p.close()
    expect(t.spans.map((s) => [s.start, s.end, s.type, s.origin])).toEqual([
      [0, 2, '品牌', 'weak'],
      [3, 4, '品类', 'weak'],
    ])
  })

  it.skipIf(!hasData('jd-gaiic2022', 'weak-labels.txt'))(
    'the GAIIC 2022 model-made weak labels import only with repair (needs ../shared/data/jd-gaiic2022)',
    async () => {
      await expect(importInto(project, { path: GAIIC_WEAK, format: 'conll' })).rejects.toThrow(/weak-labels\.txt:\d+: stray tag/)
      const r = await importInto(project, { path: GAIIC_WEAK, format: 'conll', origin: 'weak', repairTags: true })
      expect(r.titles).toBe(10_000)
      expect(r.repairedTags).toBeGreaterThan(0)
    },
  )
})
