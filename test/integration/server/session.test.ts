// Over HTTP, a window names the project it shows in the x-studio-project header (shared/session.ts): a
// request for a project that is no longer open is refused and changes nothing.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../../src-main/server/http'
import { PROJECT_HEADER } from '../../../src-main/shared/session'
import { makeProject } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

type Wire = { ok: boolean; result?: { session?: string; status?: string; changed?: number }; error?: { code: string; message: string } }

describe('the project header', () => {
  let server: RunningServer
  let p1: string
  let p2: string
  beforeAll(async () => {
    const dir = tmpDir()
    process.env.NER_STUDIO_HOME = join(dir, 'home')
    p1 = await makeProject(dir, [{ text: '红色苹果手机壳' }], { name: 'one.sqlite' })
    p2 = await makeProject(dir, [{ text: '蓝色连衣裙' }], { name: 'two.sqlite' })
    server = await startServer({ projectPath: p1 })
  })
  afterAll(async () => {
    await server.close()
    delete process.env.NER_STUDIO_HOME
  })

  const api = async (name: string, args?: unknown, shown?: string): Promise<Wire> => {
    const res = await fetch(`http://127.0.0.1:${server.port}/api/${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', ...(shown ? { [PROJECT_HEADER]: shown } : {}) },
      body: args === undefined ? '' : JSON.stringify(args),
    })
    return (await res.json()) as Wire
  }

  it('refuses an edit from a window showing the project another window replaced, and accepts the current one', async () => {
    const first = (await api('project.current')).result!.session!
    expect(first).toMatch(/^[0-9a-f-]{36}$/)
    const second = (await api('project.open', { path: p2 }, first)).result!.session!
    const stale = await api('titles.setStatus', { ids: [1], status: 'reviewed' }, first)
    expect(stale.ok).toBe(false)
    expect(stale.error!.code).toBe('stale_project')
    expect((await api('titles.get', { id: 1 })).result!.status).toBe('unreviewed')
    expect((await api('titles.setStatus', { ids: [1], status: 'reviewed' }, second)).result!.changed).toBe(1)
    // No header (a script): not checked, as before.
    expect((await api('titles.get', { id: 1 })).result!.status).toBe('reviewed')
  })
})
