// Windows follow one project (shared/session.ts): a request naming the project its window shows is
// refused when another project — or another opening of the same one — is open now, and nothing
// changes; requests that name none (scripts) and project-free requests go through.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProjectInfo, RequestName } from '../../../src-main/shared/api'
import { StudioError } from '../../../src-main/shared/errors'
import { NO_PROJECT, PROJECT_FREE_REQUESTS, staleReason } from '../../../src-main/shared/session'
import { Studio } from '../../../src-main/services/studio'
import { Project } from '../../../src-main/services/project/project'
import { makeProject } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

async function refusal(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p
  } catch (e) {
    if (e instanceof StudioError) return e
    throw e
  }
  throw new Error('expected a refusal, the call succeeded')
}

/** Review status of every title, read straight from the file (not through the Studio). */
function statuses(path: string): string[] {
  const p = Project.open(path, { readonly: true })
  try {
    return p.listTitles({ limit: 100 }).items.map((t) => t.status)
  } finally {
    p.close()
  }
}

describe('a window that shows another project than the open one', () => {
  let studio: Studio | null = null
  afterEach(() => {
    studio?.close()
    studio = null
  })

  async function twoProjects(): Promise<{ s: Studio; p1: string; p2: string; first: ProjectInfo }> {
    const dir = tmpDir()
    const p1 = await makeProject(dir, [{ text: '红色苹果手机壳', label: [[0, 2, '颜色']] }, { text: '男士皮鞋' }], { name: 'one.sqlite' })
    const p2 = await makeProject(dir, [{ text: '蓝色连衣裙', label: [[0, 2, '颜色']] }, { text: '儿童书包' }], { name: 'two.sqlite' })
    const s = (studio = new Studio({ shell: 'server', version: 't', dataDir: join(dir, 'home'), watchMs: 0 }))
    const first = await s.handle('project.open', { path: p1 })
    return { s, p1, p2, first }
  }

  it('is refused (stale_project) for every edit and read of the project, and neither project changes', async () => {
    const { s, p1, p2, first } = await twoProjects()
    const a = { shown: first.session }
    // Window B opens the other project (project-free: B may name what it showed).
    const second = await s.handle('project.open', { path: p2 }, { shown: first.session })
    expect(second.session).not.toBe(first.session)
    const b = { shown: second.session }

    // Window A still shows title 1 of the first project and presses Enter.
    const e = await refusal(s.handle('titles.setStatus', { ids: [1], status: 'reviewed' }, a))
    expect(e.code).toBe('stale_project')
    expect(e.message).toContain('“two”')
    expect(e.message).toContain('nothing was changed')
    expect((await refusal(s.handle('spans.create', { titleId: 1, start: 2, end: 4, type: '颜色' }, a))).code).toBe('stale_project')
    expect((await refusal(s.handle('spans.delete', { id: 1 }, a))).code).toBe('stale_project')
    expect((await refusal(s.handle('history.undo', undefined as never, a))).code).toBe('stale_project')
    expect((await refusal(s.handle('titles.bulk', { action: { mark: 'reviewed' }, filter: {} } as never, a))).code).toBe('stale_project')
    expect((await refusal(s.handle('titles.get', { id: 1 }, a))).code).toBe('stale_project')
    expect(statuses(p2)).toEqual(['unreviewed', 'unreviewed'])
    expect((await s.handle('titles.get', { id: 1 }, b)).spans).toHaveLength(1)

    // What A needs to catch up is answered: which project is open now.
    expect((await s.handle('project.current', undefined as never, a))?.session).toBe(second.session)
    // B's own edit (and a script's, which names no window) lands.
    await s.handle('titles.setStatus', { ids: [2], status: 'reviewed' }, b)
    await s.handle('titles.setStatus', { ids: [1], status: 'reviewed' })
    expect(statuses(p2)).toEqual(['reviewed', 'reviewed'])
    s.close()
    expect(statuses(p1)).toEqual(['unreviewed', 'unreviewed'])
  })

  it('reopening the same file is a new session: the old one is refused', async () => {
    const { s, p1, first } = await twoProjects()
    const again = await s.handle('project.open', { path: p1 })
    expect(again.path).toBe(first.path)
    expect(again.session).not.toBe(first.session)
    expect((await refusal(s.handle('titles.setStatus', { ids: [1], status: 'reviewed' }, { shown: first.session }))).code).toBe('stale_project')
    await s.handle('titles.setStatus', { ids: [1], status: 'reviewed' }, { shown: again.session })
  })

  it('a window that shows no project is refused while one is open, and told when none is', async () => {
    const { s } = await twoProjects()
    expect((await refusal(s.handle('types.list', undefined as never, { shown: NO_PROJECT }))).code).toBe('stale_project')
    s.close()
    const e = await refusal(s.handle('types.list', undefined as never, { shown: 'an-old-session' }))
    expect(e.code).toBe('stale_project')
    expect(e.message).toContain('no project is open')
  })
})

describe('staleReason', () => {
  it('lets project-free requests and unnamed windows through', () => {
    const open = { session: 's2', name: 'two' }
    for (const n of PROJECT_FREE_REQUESTS) expect(staleReason(n, 's1', open)).toBeNull()
    expect(staleReason('titles.get' as RequestName, undefined, open)).toBeNull()
    expect(staleReason('titles.get', 's2', open)).toBeNull()
    expect(staleReason('titles.get', 's1', open)).toMatch(/“two” was opened since/)
    expect(staleReason('titles.get', NO_PROJECT, null)).toBeNull()
  })
})

describe('project paths a window names', () => {
  let studio: Studio | null = null
  afterEach(() => studio?.close())

  it('a relative path is refused with a message naming it (it would land in the install folder), and nothing is created', async () => {
    const dir = tmpDir()
    studio = new Studio({ shell: 'server', version: 't', dataDir: join(dir, 'home'), watchMs: 0 })
    for (const name of ['project.open', 'project.create'] as const) {
      const e = await refusal(studio.handle(name, { path: 'shop-relative-test.sqlite' }))
      expect(e.code).toBe('bad_request')
      expect(e.message).toContain('“shop-relative-test.sqlite” is a relative path')
    }
    expect(existsSync(join(process.cwd(), 'shop-relative-test.sqlite'))).toBe(false)
    expect(studio.info()).toBeNull()
  })
})
