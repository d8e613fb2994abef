// `ner-studio titles | split | imports` as a separate process on a real project file.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../helpers/cli'
import { makeProject } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'
import { Project } from '../../../src-main/services/project/project'

function splits(path: string): Record<string, number> {
  const p = Project.open(path, { readonly: true })
  try {
    return p.countTitles({}).bySplit
  } finally {
    p.close()
  }
}

describe('ner-studio titles / split / imports', () => {
  it('marks a filter reviewed, re-splits reproducibly, lists and undoes an import', async () => {
    const dir = tmpDir()
    const titles = Array.from({ length: 50 }, (_, i) => ({ text: `${i % 2 ? '苹果' : '华为'}手机${i}`, label: [[0, 2, '品牌']] as [number, number, string][] }))
    const path = await makeProject(dir, titles, { split: 'train', origin: 'weak' })

    let r = await runCli(['titles', path, '--search', '苹果', '--mark', 'reviewed'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('mark 25 titles reviewed; 25 titles matched (one undo step)\n')

    r = await runCli(['split', path, '--from', 'train', '--dev', '0.1', '--test', '0.2', '--seed', '1', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ titles: 50, dev: 5, test: 10, applied: true })
    expect(splits(path)).toMatchObject({ train: 35, dev: 5, test: 10 })

    r = await runCli(['titles', path, '--split', 'dev', '--delete', '--dry-run'])
    expect(r.stdout).toBe('would delete 5 titles (5 spans); 5 titles match\n')
    expect(splits(path).dev).toBe(5)

    r = await runCli(['imports', path, '--json'])
    const list = JSON.parse(r.stdout) as { id: number; titles: number; reviewed: number }[]
    expect(list).toMatchObject([{ id: 1, titles: 50, reviewed: 25 }])
    r = await runCli(['imports', path, '--undo', '1'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ner-studio: 25 of the 50 titles of import 1 were reviewed since; undo with force/)
    r = await runCli(['imports', path, '--undo', '1', '--force'])
    expect(r.stdout).toBe('undid import 1: deleted 50 titles and 50 spans\n')

    r = await runCli(['titles', path, '--mark', 'done'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--mark must be one of unreviewed, reviewed/)
    r = await runCli(['split', join(dir, 'p.sqlite'), '--from', 'train'])
    expect(r.code).toBe(2)
  })
})
