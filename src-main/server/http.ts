// The headless transport of the contract: HTTP for requests, WebSocket for events, the built
// renderer as static files. Binds 127.0.0.1 only; every request must carry the random token
// (Authorization: Bearer, ?token= on the first page load, then an HttpOnly SameSite cookie).

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, extname, join, normalize, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { WebSocketServer, type WebSocket } from 'ws'
import { isRequestName, type WireResult } from '../shared/api'
import { StudioError } from '../shared/errors'
import { Studio } from '../services/studio'
import { appVersion } from '../services/version'

export interface ServerOptions {
  projectPath: string | null
  port?: number
  token?: string
  /** Folder of the built renderer (default: found next to the build or in out/renderer). */
  rendererDir?: string
  /** Why the desktop shell is not used (shown in the UI). */
  note?: string | null
  /** Use this Studio instead of making one (Electron does not, tests may). */
  studio?: Studio
}

export interface RunningServer {
  url: string
  port: number
  token: string
  studio: Studio
  close(): Promise<void>
}

const MAX_BODY = 16 << 20
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

export function findRendererDir(): string | null {
  const candidates = [
    process.env.NER_STUDIO_RENDERER_DIR,
    join(__dirname, '..', 'renderer'),
    join(__dirname, '..', '..', 'out', 'renderer'),
    join(process.cwd(), 'out', 'renderer'),
  ]
  for (const c of candidates) if (c && existsSync(join(c, 'index.html'))) return resolve(c)
  return null
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('hex')
  const studio = opts.studio ?? new Studio({ shell: 'server', version: appVersion(), note: opts.note ?? null })
  if (opts.projectPath && !opts.studio) studio.open(opts.projectPath, !existsSync(opts.projectPath))
  const rendererDir = opts.rendererDir ?? findRendererDir()
  const uploadDir = mkdtempSync(join(tmpdir(), 'ner-studio-upload-'))
  let port = 0
  const cookieName = (): string => `ner_studio_token_${port}`

  const tokenOk = (req: IncomingMessage, url: URL): boolean => {
    const given: string[] = []
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ')) given.push(auth.slice(7))
    const q = url.searchParams.get('token')
    if (q) given.push(q)
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, v] = part.trim().split('=')
      if (k === cookieName() && v) given.push(v)
    }
    const want = Buffer.from(token)
    return given.some((g) => {
      const b = Buffer.from(g)
      return b.length === want.length && timingSafeEqual(b, want)
    })
  }
  // DNS-rebinding guard: only our own loopback host names.
  const hostOk = (req: IncomingMessage): boolean => {
    const h = req.headers.host ?? ''
    return h === `127.0.0.1:${port}` || h === `localhost:${port}`
  }

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const json = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(json)
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
      if (!hostOk(req)) return send(res, 403, { ok: false, error: { code: 'unauthorized', message: 'bad Host header' } })
      if (!tokenOk(req, url)) {
        return send(res, 401, { ok: false, error: { code: 'unauthorized', message: 'missing or wrong token: open the URL that `ner-studio serve` printed' } })
      }
      if (url.pathname.startsWith('/api/')) {
        if (req.method !== 'POST') return send(res, 405, { ok: false, error: { code: 'bad_request', message: 'use POST' } })
        const origin = req.headers.origin
        if (origin && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) {
          return send(res, 403, { ok: false, error: { code: 'unauthorized', message: `cross-origin request from ${origin}` } })
        }
        const name = decodeURIComponent(url.pathname.slice(5))
        let result: WireResult<unknown>
        try {
          if (!isRequestName(name)) throw new StudioError('bad_request', `unknown request "${name}"`)
          const body = await readBody(req)
          const args = body.length ? (JSON.parse(body) as unknown) : undefined
          result = { ok: true, result: await studio.handle(name, args as never) }
        } catch (e) {
          result = { ok: false, error: toWire(e) }
        }
        return send(res, 200, result)
      }
      if (url.pathname === '/upload' && req.method === 'POST') {
        // Browser mode has no file dialog onto this machine: the page uploads the file, then imports its path.
        const name = basename(url.searchParams.get('name') ?? 'upload.txt').replace(/[^\p{L}\p{N}._-]/gu, '_')
        const dest = join(mkdtempSync(join(uploadDir, 'f-')), name || 'upload.txt')
        await pipeline(req, createWriteStream(dest))
        return send(res, 200, { ok: true, result: { path: dest } })
      }
      if (url.pathname === '/download' && req.method === 'GET') {
        // Browser mode: fetch what the latest export wrote on the server's machine. Only those files
        // (the Studio remembers them); anything else is 404, whatever the path says.
        const path = url.searchParams.get('path') ?? ''
        if (!path || !studio.wasExported(path) || !existsSync(path) || !statSync(path).isFile()) {
          return send(res, 404, { ok: false, error: { code: 'not_found', message: 'not a file the latest export wrote' } })
        }
        const ascii = basename(path).replace(/[^\x20-\x7e]|["\\]/g, '_')
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(basename(path))}`,
          'content-length': String(statSync(path).size),
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        })
        return void (await pipeline(createReadStream(path), res))
      }
      if (req.method !== 'GET') return send(res, 405, { ok: false, error: { code: 'bad_request', message: 'method not allowed' } })
      return serveStatic(req, res, url)
    })().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: toWire(e) })
      else res.destroy()
    })
  })

  const serveStatic = (_req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const headers: Record<string, string> = {
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    }
    if (url.searchParams.get('token')) {
      headers['set-cookie'] = `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`
    }
    if (!rendererDir) {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' })
      res.end('<!doctype html><meta charset="utf-8"><p>The renderer is not built. Run <code>npm run build</code> and restart.</p>')
      return
    }
    let rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '')
    if (rel === '' || rel.endsWith(sep)) rel = 'index.html'
    const file = resolve(rendererDir, rel)
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      // Single-page app: unknown paths get the index.
      const index = join(rendererDir, 'index.html')
      res.writeHead(200, { ...headers, 'content-type': MIME['.html']! })
      res.end(readFileSync(index))
      return
    }
    res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' })
    res.end(readFileSync(file))
  }

  const wss = new WebSocketServer({ noServer: true })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    if (url.pathname !== '/ws' || !hostOk(req) || !tokenOk(req, url)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
    })
  })
  const unsubscribe = studio.on((event, payload) => {
    const msg = JSON.stringify({ event, payload })
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg)
  })

  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok())
  })
  port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    studio,
    close: async () => {
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      await new Promise<void>((ok) => server.close(() => ok()))
      rmSync(uploadDir, { recursive: true, force: true })
      // A training job is cancelled (and waited for) before its project closes.
      if (!opts.studio) await studio.shutdown()
    },
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        fail(new StudioError('bad_request', 'request body too large'))
        req.destroy()
        return
      }
      parts.push(c)
    })
    req.on('end', () => ok(Buffer.concat(parts).toString('utf8')))
    req.on('error', fail)
  })
}

export function toWire(e: unknown): { code: StudioError['code']; message: string } {
  if (e instanceof StudioError) return { code: e.code, message: e.message }
  if (e instanceof SyntaxError) return { code: 'bad_request', message: `bad JSON: ${e.message}` }
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) }
}
