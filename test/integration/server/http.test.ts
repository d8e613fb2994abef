// The headless server: loopback only, a token on every request, Host and Origin checks, events on a WebSocket.
import { request } from 'node:http'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../../src-main/server/http'
import type { Events, ImportProgress } from '../../../src-main/shared/api'
import { makeProject } from '../../helpers/project'
import { writeSyntheticJsonl } from '../../helpers/synthetic'
import { tmpDir } from '../../helpers/tmp'
import { waitFor } from '../../helpers/wait'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: <T = { ok: boolean; result?: unknown; error?: { code: string; message: string } }>() => T
}

/** One HTTP request with full control of the headers (fetch would not let us forge Host). */
function http(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...opts.headers },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (d: string) => (body += d))
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) }),
        )
      },
    )
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    req.end()
  })
}

type WsEvent = { event: string; payload: Partial<ImportProgress> & Partial<Events['project.changed']> }

describe('startServer', () => {
  let dir: string
  let server: RunningServer
  let port: number
  let token: string
  const api = (name: string, args?: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    http(port, `/api/${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      ...(args === undefined ? {} : { body: JSON.stringify(args) }),
    })

  // startServer makes an upload folder in the temp dir and (so far) never removes it: clean up ours.
  const uploadDirs = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('ner-studio-upload-'))
  let ownUploadDir: string | null = null

  beforeAll(async () => {
    dir = tmpDir()
    const projectPath = await makeProject(dir, [
      {
        text: '华为手机😀',
        label: [
          [0, 2, '品牌'],
          [2, 4, '品类'],
        ],
      },
      { text: 'ＡＢＣ１２３', label: [] },
    ])
    const rendererDir = join(dir, 'renderer')
    mkdirSync(rendererDir)
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>NER Studio test</title>')
    writeFileSync(join(rendererDir, 'app.js'), 'console.log(1)')
    const uploadsBefore = uploadDirs()
    server = await startServer({ projectPath, rendererDir })
    const appeared = uploadDirs().filter((d) => !uploadsBefore.includes(d))
    ownUploadDir = appeared.length === 1 ? appeared[0]! : null // never guess among other processes' folders
    port = server.port
    token = server.token
  })
  afterAll(async () => {
    await server?.close()
    if (ownUploadDir) rmSync(join(tmpdir(), ownUploadDir), { recursive: true, force: true })
  })

  it('binds 127.0.0.1 only and prints a URL carrying a long random token', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${port}/#token=${token}`)
    expect(token).toMatch(/^[0-9a-f]{48}$/)
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)
    if (external) {
      await expect(http(port, '/', { host: external.address })).rejects.toThrow(/ECONNREFUSED/)
    }
    await expect(http(port, '/', { host: '::1', headers: { host: `localhost:${port}` } })).rejects.toThrow(
      /ECONNREFUSED|EADDRNOTAVAIL/,
    )
  })

  it('answers 401 to API, upload and download requests without the Bearer token; pages are public', async () => {
    const none = await http(port, '/api/project.current', { method: 'POST' })
    expect(none.status).toBe(401)
    expect(none.json().error?.code).toBe('unauthorized')
    const wrongSameLength = token.replace(/.$/, (c) => (c === '0' ? '1' : '0'))
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${wrongSameLength}` },
      { authorization: 'Bearer x' },
      { authorization: token }, // not a Bearer header
    ]) {
      expect((await http(port, '/api/project.current', { method: 'POST', headers })).status).toBe(401)
    }
    // The token in a query string is not accepted anywhere (it would land in logs).
    expect((await http(port, `/api/project.current?token=${token}`, { method: 'POST' })).status).toBe(401)
    expect((await http(port, `/upload?name=a.txt&token=${token}`, { method: 'POST', body: 'x' })).status).toBe(401)
    expect((await http(port, `/download?path=/etc/passwd&token=${token}`)).status).toBe(401)
    // The built renderer holds no data: served without a token.
    expect((await http(port, '/')).body).toContain('NER Studio test')
    expect((await http(port, '/app.js')).body).toBe('console.log(1)')
  })

  it('never sets a cookie, and a cookie holding the right token grants nothing', async () => {
    for (const path of ['/', `/?token=${token}`, `/#token=${token}`, '/app.js']) {
      expect((await http(port, path)).headers['set-cookie'], path).toBeUndefined()
    }
    expect((await api('project.current')).headers['set-cookie']).toBeUndefined()
    for (const cookie of [`ner_studio_token_${port}=${token}`, `token=${token}`]) {
      const r = await http(port, '/api/project.current', { method: 'POST', headers: { cookie } })
      expect(r.status).toBe(401)
      expect(r.headers['set-cookie']).toBeUndefined()
    }
  })

  it('answers 403 to a foreign Host header (DNS rebinding), even with the right token', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `127.0.0.2:${port}`,
    ]) {
      const r = await api('project.current', undefined, { host })
      expect(r.status, host).toBe(403)
    }
    expect((await api('project.current', undefined, { host: `localhost:${port}` })).status).toBe(200)
  })

  it('answers 403 to a cross-origin POST, even with the right token', async () => {
    const r = await api(
      'spans.create',
      { titleId: 2, start: 0, end: 3, type: '品牌' },
      { origin: 'http://evil.example' },
    )
    expect(r.status).toBe(403)
    expect(r.json().error?.message).toMatch(/cross-origin/)
    expect((await api('project.current', undefined, { origin: `http://localhost:${port + 1}` })).status).toBe(
      403,
    )
    // Nothing was created.
    expect(
      (await api('titles.get', { id: 2 })).json<{ result: { spans: unknown[] } }>().result.spans,
    ).toEqual([])
    expect((await api('project.current', undefined, { origin: `http://127.0.0.1:${port}` })).status).toBe(200)
  })

  it('serves requests with a Bearer token', async () => {
    const r = await api('project.stats')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/application\/json/)
    expect(r.json<{ ok: true; result: { titles: number; spans: number } }>()).toMatchObject({
      ok: true,
      result: { titles: 2, spans: 2 },
    })
  })

  it('does not serve files outside the renderer folder', async () => {
    for (const path of ['/..%2f..%2f..%2fetc%2fpasswd', '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/hostname']) {
      const r = await http(port, path)
      expect(r.status).toBe(200)
      expect(r.body).toContain('NER Studio test')
    }
  })

  it('answers bad_request to unknown requests and bad JSON, 405 to GET on the API', async () => {
    const unknown = await api('no.such.request', {})
    expect(unknown.status).toBe(200)
    expect(unknown.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(unknown.json().error?.message).toMatch(/unknown request "no.such.request"/)
    const badJson = await http(port, '/api/titles.get', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: '{id: 1',
    })
    expect(badJson.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(
      (await http(port, '/api/project.current', { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(405)
    expect((await api('titles.get', { id: 99 })).json()).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    })
  })

  describe('WebSocket events', () => {
    const wsUrl = (q = ''): string => `ws://127.0.0.1:${port}/ws${q}`

    const protocols = (): string[] => ['ner-studio', `token.${token}`]

    function refused(url: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<number> {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(url, protocols, { headers })
        ws.on('open', () => {
          ws.close()
          reject(new Error('the WebSocket was accepted'))
        })
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        ws.on('error', () => resolve(-1))
      })
    }

    function connect(
      url: string,
      headers: Record<string, string> = {},
      protocols: string[] = [],
    ): Promise<{ ws: WebSocket; events: WsEvent[] }> {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(url, protocols, { headers })
        const events: WsEvent[] = []
        ws.on('message', (d) => events.push(JSON.parse(String(d))))
        ws.on('open', () => resolve({ ws, events }))
        ws.on('error', reject)
      })
    }

    it('refuses a WebSocket without a token, with a wrong one, in the query or a cookie, or with a foreign Host', async () => {
      expect(await refused(wsUrl())).toBe(401)
      expect(await refused(wsUrl(), {}, ['ner-studio', 'token.nope'])).toBe(401)
      expect(await refused(wsUrl(`?token=${token}`))).toBe(401)
      expect(await refused(wsUrl(), { cookie: `ner_studio_token_${port}=${token}` })).toBe(401)
      expect(await refused(wsUrl(), { host: `evil.example:${port}` }, protocols())).toBe(403)
      expect(await refused(`ws://127.0.0.1:${port}/other`, {}, protocols())).toBe(403)
    })

    it('refuses a WebSocket from a page of another origin, even with the right token', async () => {
      for (const origin of [`http://127.0.0.1:${port + 1}`, 'http://evil.example', 'null']) {
        expect(await refused(wsUrl(), { origin }, protocols()), origin).toBe(403)
      }
      const { ws } = await connect(wsUrl(), { origin: `http://127.0.0.1:${port}` }, protocols())
      // The server answers with the protocol name, never echoing the token.
      expect(ws.protocol).toBe('ner-studio')
      ws.close()
    })

    it('with the token, receives project.changed after an edit', async () => {
      const { ws, events } = await connect(wsUrl(), {}, protocols())
      try {
        const r = await api('spans.create', { titleId: 2, start: 0, end: 3, type: '品牌' })
        expect(r.json()).toMatchObject({ ok: true, result: { titleId: 2, start: 0, end: 3 } })
        const e = await waitFor(() => events.find((x) => x.event === 'project.changed'), 'a project.changed event')
        expect(e.payload).toEqual({ what: 'spans', titleIds: [2] })
        // A page names itself in x-studio-client: the events its edits cause carry that name.
        const created = r.json<{ result: { id: number } }>()
        expect((await api('spans.delete', { id: created.result.id }, { 'x-studio-client': 'w1-editor' })).json()).toMatchObject({ ok: true })
        const mine = await waitFor(() => events.find((x) => x.event === 'project.changed' && x.payload.client !== undefined), 'a project.changed event naming its client')
        expect(mine.payload).toEqual({ what: 'spans', titleIds: [2], client: 'w1-editor' })
      } finally {
        ws.close()
      }
    })

    it('with the Bearer header, receives import.progress during an import, then project.changed', async () => {
      const { ws, events } = await connect(wsUrl(), { authorization: `Bearer ${token}` })
      try {
        const big = join(dir, 'big.jsonl')
        writeSyntheticJsonl(big, 60_000)
        const r = await api('import.run', { path: big, origin: 'weak' })
        expect(r.json()).toMatchObject({ ok: true, result: { titles: 60_000, spans: 180_000 } })
        await waitFor(() => events.find((x) => x.event === 'project.changed' && x.payload.what === 'project'), "a project.changed event with what 'project'")
        const progress = events
          .filter((x) => x.event === 'import.progress')
          .map((x) => x.payload as ImportProgress)
        expect(progress.length).toBeGreaterThanOrEqual(2)
        // At least one arrived mid-way, and they only go forward.
        expect(progress.some((p) => p.titles > 0 && p.titles < 60_000)).toBe(true)
        for (let i = 1; i < progress.length; i++)
          expect(progress[i]!.bytesRead).toBeGreaterThanOrEqual(progress[i - 1]!.bytesRead)
        expect(progress.at(-1)).toMatchObject({ file: 'big.jsonl', titles: 60_000, spans: 180_000 })
        expect(progress.at(-1)!.bytesRead).toBe(progress.at(-1)!.bytesTotal)
      } finally {
        ws.close()
      }
    })
  })
})
