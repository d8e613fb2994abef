// `serve --root DIR`: projects, imports, dictionaries, exports and uploads only below DIR, with
// symlinks resolved (a link inside DIR pointing out is refused).
import { request } from 'node:http'
import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../../src-main/server/http'
import { makeProject, writeJsonl } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

function post(port: number, token: string, path: string, body: string): Promise<{ ok: boolean; result?: never; error?: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${token}` } },
      (res) => {
        let s = ''
        res.setEncoding('utf8').on('data', (d: string) => (s += d))
        res.on('end', () => resolve(JSON.parse(s)))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('confined mode (serve --root)', () => {
  let dir: string
  let root: string
  let server: RunningServer
  const api = (name: string, args: unknown): ReturnType<typeof post> => post(server.port, server.token, `/api/${name}`, JSON.stringify(args))

  beforeAll(async () => {
    dir = tmpDir()
    root = join(dir, 'root')
    mkdirSync(root)
    mkdirSync(join(dir, 'outside'))
    const projectPath = await makeProject(root, [{ text: '华为手机', label: [[0, 2, '品牌']] }])
    writeJsonl(join(dir, 'outside', 'titles.jsonl'), [{ text: '小米充电器' }])
    writeJsonl(join(root, 'inside.jsonl'), [{ text: '苹果手机壳' }])
    symlinkSync(join(dir, 'outside'), join(root, 'link-out'))
    symlinkSync(join(dir, 'outside', 'titles.jsonl'), join(root, 'titles-link.jsonl'))
    server = await startServer({ projectPath, root, rendererDir: root })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('refuses imports, exports and projects outside the folder, symlinks included, and changes nothing', async () => {
    const before = (await api('project.stats', undefined)).result as unknown as { titles: number }
    expect(before.titles).toBe(1)
    for (const [name, args] of <[string, unknown][]>[
      ['import.run', { path: join(dir, 'outside', 'titles.jsonl') }],
      ['import.run', { path: join(root, 'titles-link.jsonl') }],
      ['import.run', { path: '../outside/titles.jsonl' }],
      ['import.run', { path: '/etc/passwd' }],
      ['export.run', { format: 'jsonl', out: join(dir, 'outside', 'out.jsonl') }],
      ['export.run', { format: 'jsonl', out: join(root, 'link-out', 'out.jsonl') }],
      ['project.create', { path: join(dir, 'outside', 'new.sqlite') }],
      ['project.open', { path: join(root, 'link-out', 'x.sqlite') }],
      ['dicts.import', { path: join(dir, 'outside', 'titles.jsonl'), type: '品牌' }],
    ]) {
      const r = await api(name, args)
      expect(r.ok, `${name} ${JSON.stringify(args)}`).toBe(false)
      expect(r.error?.message).toMatch(/outside the folder this server is confined to/)
    }
    expect(existsSync(join(dir, 'outside', 'out.jsonl'))).toBe(false)
    expect(existsSync(join(dir, 'outside', 'new.sqlite'))).toBe(false)
    expect(((await api('project.stats', undefined)).result as unknown as { titles: number }).titles).toBe(before.titles)
  })

  it('accepts paths below the folder (relative ones from it), and stores uploads there', async () => {
    const imported = await api('import.run', { path: 'inside.jsonl' })
    expect(imported).toMatchObject({ ok: true, result: { titles: 1 } })
    const exported = await api('export.run', { format: 'jsonl', out: join(root, 'out.jsonl') })
    expect(exported.ok).toBe(true)
    expect(existsSync(join(root, 'out.jsonl'))).toBe(true)
    const up = await post(server.port, server.token, '/upload?name=up.jsonl', '{"text":"小米充电器","label":[]}\n')
    const path = (up.result as unknown as { path: string }).path
    expect(path.startsWith(root + '/')).toBe(true)
    expect(await api('import.run', { path })).toMatchObject({ ok: true, result: { titles: 1 } })
  })
})
