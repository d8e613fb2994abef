// The headless server against hostile or careless clients: foreign Origins on state-changing routes,
// bodies over the limits (declared and chunked), malformed escapes, nosniff, and a stop while a client
// holds a half-sent request.
import { connect, type Socket } from 'node:net'
import { request } from 'node:http'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../../src-main/server/http'
import { MAX_JSON_BODY } from '../../../src-main/server/guard'
import { makeProject } from '../../helpers/project'
import { spawnCli } from '../../helpers/cli'
import { tmpDir } from '../../helpers/tmp'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * One request whose body is written in `chunks` (chunked transfer unless a content-length header is
 * given); resolves with the answer as soon as it comes, even while the body is still being sent.
 */
function send(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'POST', headers: { host: `127.0.0.1:${port}`, ...opts.headers } },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (d: string) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    const chunks = [...(opts.chunks ?? [])]
    const next = (): void => {
      const c = chunks.shift()
      if (!c) return void req.end()
      if (req.destroyed) return
      req.write(c, (e) => (e ? undefined : next()))
    }
    next()
  })
}

/** Raw bytes to the server; resolves with everything it answered once it closes the connection. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text))
    let got = ''
    s.setEncoding('latin1').on('data', (d: string) => (got += d))
    s.on('end', () => resolve(got))
    s.on('error', reject)
  })
}

describe('server limits and refusals', () => {
  let dir: string
  let server: RunningServer
  let port: number
  const LIMIT = 1 << 20
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${server.token}` })

  beforeAll(async () => {
    dir = tmpDir()
    const projectPath = await makeProject(dir, [{ text: '华为手机', label: [[0, 2, '品牌']] }])
    const rendererDir = join(dir, 'renderer')
    mkdirSync(rendererDir)
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>test</title>')
    server = await startServer({ projectPath, rendererDir, maxUpload: LIMIT })
    port = server.port
  })
  afterAll(async () => {
    await server?.close()
  })

  it('refuses an upload from a page of another origin (403) and stores nothing', async () => {
    const r = await send(port, '/upload?name=evil.txt', {
      headers: { ...auth(), origin: `http://127.0.0.1:${port + 1}` },
      chunks: [Buffer.from('华为\n')],
    })
    expect(r.status).toBe(403)
    expect(r.body).toMatch(/cross-origin/)
    const ok = await send(port, '/upload?name=ok.txt', { headers: { ...auth(), origin: `http://127.0.0.1:${port}` }, chunks: [Buffer.from('华为\n')] })
    expect(ok.status).toBe(200)
    const stored = (JSON.parse(ok.body) as { result: { path: string } }).result.path
    // Only the accepted upload exists in the server's upload folder.
    const uploads = join(stored, '..', '..')
    const names = readdirSync(uploads).flatMap((d) => readdirSync(join(uploads, d)))
    expect(names).toEqual(['ok.txt'])
  })

  it('answers 413 from a declared Content-Length over the upload limit, before reading the body', async () => {
    // The headers alone: the body never comes, so only an answer from the declared length can end this.
    const answer = await raw(
      port,
      `POST /upload?name=big.txt HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nauthorization: Bearer ${server.token}\r\ncontent-length: ${LIMIT + 1}\r\n\r\n`,
    )
    expect(answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(answer).toMatch(/upload over the limit of 1048576 bytes/)
  })

  it('cuts a chunked upload off with 413 once it passes the limit, and keeps no part of it', async () => {
    const chunk = Buffer.alloc(64 << 10, 0x61)
    const r = await send(port, '/upload?name=chunked.txt', { headers: auth(), chunks: Array<Buffer>(40).fill(chunk) })
    expect(r.status).toBe(413)
    expect(r.headers['x-content-type-options']).toBe('nosniff')
    const ok = await send(port, '/upload?name=after.txt', { headers: auth(), chunks: [Buffer.from('x')] })
    const uploads = join((JSON.parse(ok.body) as { result: { path: string } }).result.path, '..', '..')
    const names = readdirSync(uploads).flatMap((d) => readdirSync(join(uploads, d)))
    expect(names).not.toContain('chunked.txt')
  })

  it('answers 413 (not a reset) to a 17 MiB JSON body, declared or chunked', async () => {
    const body = Buffer.alloc(17 << 20, 0x20)
    const declared = await send(port, '/api/project.current', {
      headers: { ...auth(), 'content-type': 'application/json', 'content-length': String(body.length) },
      chunks: [body],
    })
    expect(declared.status).toBe(413)
    expect(JSON.parse(declared.body)).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    const chunked = await send(port, '/api/project.current', {
      headers: { ...auth(), 'content-type': 'application/json' },
      chunks: Array<Buffer>(17).fill(Buffer.alloc(1 << 20, 0x20)),
    })
    expect(chunked.status).toBe(413)
    expect(chunked.body).toContain(`over ${MAX_JSON_BODY} bytes`)
    // The server still answers.
    expect((await send(port, '/api/project.current', { headers: auth() })).status).toBe(200)
  })

  it('answers 400 to malformed percent-encoding, on pages and on the API', async () => {
    for (const path of ['/%E0%A4%A', '/%ZZ', '/api/project.%E0']) {
      const r = await send(port, path, { method: path.startsWith('/api/') ? 'POST' : 'GET', headers: auth() })
      expect(r.status, path).toBe(400)
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/percent-encoding/) } })
    }
  })

  it('says nosniff on every kind of response', async () => {
    const replies = await Promise.all([

      send(port, '/', { method: 'GET' }),
      send(port, '/api/project.current', { headers: auth() }),
      send(port, '/api/project.current'),
      send(port, '/api/project.current', { method: 'GET', headers: auth() }),
      send(port, '/download?path=/etc/passwd', { method: 'GET', headers: auth() }),
      send(port, '/api/project.current', { headers: { host: 'evil.example' } }),
      send(port, '/%ZZ', { method: 'GET' }),
    ])
    expect(replies.map((r) => r.status)).toEqual([200, 200, 401, 405, 404, 403, 400])
    for (const r of replies) expect(r.headers['x-content-type-options']).toBe('nosniff')
  })
})

describe('ner-studio serve', () => {
  it('stops on SIGTERM while a client holds a half-sent request', async () => {
    const dir = tmpDir()
    const projectPath = await makeProject(dir, [{ text: '华为手机', label: [] }])
    const child = spawnCli(['serve', projectPath], { NER_STUDIO_HOME: join(dir, 'home') })
    const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(`${code} ${signal}`)))
    let out = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d
        const m = /Open (http:\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      child.on('exit', () => reject(new Error(`serve exited early: ${out}`)))
    })
    // The printed URL carries the token in its fragment only.
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{48}$/)
    const port = Number(new URL(url).port)
    const held: Socket[] = []
    const hold = (text: string): Promise<void> =>
      new Promise((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.write(text, () => resolve()))
        s.on('error', () => undefined)
        held.push(s)
      })
    await hold(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`) // headers never finished
    await hold(`POST /api/project.current HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: 100\r\n\r\n{`) // body never finished
    child.kill('SIGTERM')
    // Before, this waited for the clients for minutes (the test's timeout); now it exits cleanly.
    expect(await exited).toBe('0 null')
    for (const s of held) s.destroy()
    expect(existsSync(projectPath)).toBe(true)
  }, 30_000)
})
