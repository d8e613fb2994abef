// The headless transport of the contract: HTTP for requests, WebSocket for events, the built
// renderer as static files (public: they hold no data). Binds 127.0.0.1 only; every API, upload,
// download and WebSocket request must carry the random token — see guard.ts for where and how.
// Every response says `nosniff`; a stop ends half-open connections instead of waiting on them.

import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, extname, join, normalize, resolve, sep } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { WebSocketServer, type WebSocket } from 'ws'
import { isRequestName, type WireResult } from '../shared/api'
import { CSP, MIME } from '../shared/page'
import { StudioError, toWire } from '../shared/errors'
import { PROJECT_HEADER } from '../shared/session'
import { Studio } from '../services/studio'
import { appVersion } from '../services/version'
import { confineArgs, confinedPath } from './confine'
import { DEFAULT_MAX_UPLOAD, MAX_JSON_BODY, WS_PROTOCOL, declaredTooLarge, decodePath, hasToken, hostOk, originOk } from './guard'

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
  /** Confined mode: every path a request names must lie below this folder (see confine.ts). */
  root?: string
  /** Largest accepted `/upload` in bytes (default DEFAULT_MAX_UPLOAD, 1 GiB). */
  maxUpload?: number
}

export interface RunningServer {
  url: string
  port: number
  token: string
  studio: Studio
  close(): Promise<void>
}

/** How long a stop waits for requests in progress before it cuts their connections. */
const STOP_GRACE_MS = 2000
/** How long the rest of a refused (413) body is read and discarded before its connection is cut. */
const DISCARD_MS = 5000

/** A refusal with its HTTP status (413 too large, 400 malformed…). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: StudioError['code'],
    message: string,
  ) {
    super(message)
  }
}
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
  const root = opts.root ? realpathSync(opts.root) : null
  if (opts.projectPath && !opts.studio) {
    const project = root ? confinedPath(root, opts.projectPath) : opts.projectPath
    studio.open(project, !existsSync(project))
  }
  const rendererDir = opts.rendererDir ?? findRendererDir()
  const maxUpload = opts.maxUpload ?? DEFAULT_MAX_UPLOAD
  const uploadDir = mkdtempSync(join(root ?? tmpdir(), root ? '.ner-studio-upload-' : 'ner-studio-upload-'))
  let port = 0

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const json = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(json)
  }
  const refuse = (res: ServerResponse, status: number, code: StudioError['code'], message: string): void => {
    if (status === 413) {
      // The refused body is discarded, not read, and the connection closes after the answer. Closing
      // at once would reset it while the client still sends, and lose the answer: allow a moment.
      res.setHeader('connection', 'close')
      res.req.resume()
      res.once('finish', () => setTimeout(() => res.req.socket.destroy(), DISCARD_MS).unref())
    }
    send(res, status, { ok: false, error: { code, message } })
  }

  const server = createServer((req, res) => {
    res.setHeader('x-content-type-options', 'nosniff')
    void (async () => {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
      const path = decodePath(url.pathname)
      if (path === null) return refuse(res, 400, 'bad_request', 'malformed percent-encoding in the request path')
      if (!hostOk(req, port)) return refuse(res, 403, 'unauthorized', 'bad Host header')
      const guarded = path.startsWith('/api/') || path === '/upload' || path === '/download'
      if (!guarded) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'bad_request', 'method not allowed')
        return serveStatic(res, path)
      }
      if (!hasToken(req, token)) {
        return refuse(res, 401, 'unauthorized', 'missing or wrong token: open the URL that `ner-studio serve` printed')
      }
      if (!originOk(req, port)) return refuse(res, 403, 'unauthorized', `cross-origin request from ${req.headers.origin}`)
      if (path.startsWith('/api/')) {
        if (req.method !== 'POST') return refuse(res, 405, 'bad_request', 'use POST')
        if (declaredTooLarge(req, MAX_JSON_BODY) !== null) return refuse(res, 413, 'bad_request', `request body over ${MAX_JSON_BODY} bytes`)
        const name = path.slice(5)
        let result: WireResult<unknown>
        try {
          if (!isRequestName(name)) throw new StudioError('bad_request', `unknown request "${name}"`)
          const body = await readBody(req, MAX_JSON_BODY)
          const parsed = body.length ? (JSON.parse(body) as unknown) : undefined
          const args = root ? confineArgs(root, name, parsed) : parsed
          const shown = req.headers[PROJECT_HEADER]
          const client = req.headers['x-studio-client']
          const from = { ...(typeof shown === 'string' ? { shown } : {}), ...(typeof client === 'string' ? { client } : {}) }
          result = { ok: true, result: await studio.handle(name, args as never, from) }
        } catch (e) {
          if (e instanceof HttpError) return refuse(res, e.status, e.code, e.message)
          result = { ok: false, error: toWire(e) }
        }
        return send(res, 200, result)
      }
      if (path === '/upload') {
        if (req.method !== 'POST') return refuse(res, 405, 'bad_request', 'use POST')
        if (declaredTooLarge(req, maxUpload) !== null) return refuse(res, 413, 'bad_request', `upload over the limit of ${maxUpload} bytes`)
        // Browser mode has no file dialog onto this machine: the page uploads the file, then imports its path.
        const name = basename(url.searchParams.get('name') ?? 'upload.txt').replace(/[^\p{L}\p{N}._-]/gu, '_')
        const folder = mkdtempSync(join(uploadDir, 'f-'))
        const dest = join(folder, name || 'upload.txt')
        try {
          // Not pipeline(req, …): that would destroy the request, and with it the 413 answer.
          const limiter = limitStream(maxUpload)
          req.on('error', (e) => limiter.destroy(e)).pipe(limiter)
          await pipeline(limiter, createWriteStream(dest))
        } catch (e) {
          rmSync(folder, { recursive: true, force: true })
          if (e instanceof HttpError) return refuse(res, e.status, e.code, e.message)
          throw e
        }
        return send(res, 200, { ok: true, result: { path: dest } })
      }
      // /download — browser mode: fetch what the latest export wrote on the server's machine. Only
      // those files (the Studio remembers them); anything else is 404, whatever the path says.
      if (req.method !== 'GET') return refuse(res, 405, 'bad_request', 'use GET')
      const file = url.searchParams.get('path') ?? ''
      if (!file || !studio.wasExported(file) || !existsSync(file) || !statSync(file).isFile()) {
        return refuse(res, 404, 'not_found', 'not a file the latest export wrote')
      }
      const ascii = basename(file).replace(/[^\x20-\x7e]|["\\]/g, '_')
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(basename(file))}`,
        'content-length': String(statSync(file).size),
        'cache-control': 'no-store',
      })
      return void (await pipeline(createReadStream(file), res))
    })().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: toWire(e) })
      else res.destroy()
    })
  })
  // Node's own headersTimeout/requestTimeout (60 s / 300 s) bound half-sent requests; lower ones would
  // also cut long requests in progress (a 60,000-title import on a busy machine). A stop cuts them all.

  const serveStatic = (res: ServerResponse, path: string): void => {
    const headers: Record<string, string> = {
      'content-security-policy': CSP,
      'referrer-policy': 'no-referrer',
    }
    if (!rendererDir) {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' })
      res.end('<!doctype html><meta charset="utf-8"><p>The renderer is not built. Run <code>npm run build</code> and restart.</p>')
      return
    }
    let rel = normalize(path).replace(/^([/\\])+/, '')
    if (rel === '' || rel.endsWith(sep)) rel = 'index.html'
    const file = resolve(rendererDir, rel)
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      // Single-page app: unknown paths get the index.
      const index = readFileSync(join(rendererDir, 'index.html'))
      res.writeHead(200, { ...headers, 'content-type': MIME['.html']! })
      res.end(index)
      return
    }
    const bytes = readFileSync(file)
    res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' })
    res.end(bytes)
  }

  const wss = new WebSocketServer({
    noServer: true,
    // Answer with our protocol name, never echo the token back.
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const deny = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nx-content-type-options: nosniff\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    }
    if (url.pathname !== '/ws' || !hostOk(req, port)) return deny('403 Forbidden')
    if (!hasToken(req, token, true)) return deny('401 Unauthorized')
    if (!originOk(req, port)) return deny('403 Forbidden')
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
    // The token rides in the fragment: browsers never send it, so no log or Referer sees it.
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    studio,
    close: async () => {
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      const closed = new Promise<void>((ok) => server.close(() => ok()))
      server.closeIdleConnections()
      // Requests in progress get a short grace; half-sent ones and slow clients are then cut.
      const cut = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS)
      await closed
      clearTimeout(cut)
      rmSync(uploadDir, { recursive: true, force: true })
      // A training job is cancelled (and waited for) before its project closes.
      if (!opts.studio) await studio.shutdown()
    },
  }
}

/** Passes bytes through until `limit`, then fails with 413. */
function limitStream(limit: number): Transform {
  let size = 0
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length
      if (size > limit) done(new HttpError(413, 'bad_request', `upload over the limit of ${limit} bytes`))
      else done(null, chunk)
    },
  })
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = []
    let size = 0
    const onData = (c: Buffer): void => {
      size += c.length
      if (size > limit) {
        // Stop collecting; the 413 goes out and the connection closes after it.
        req.off('data', onData)
        fail(new HttpError(413, 'bad_request', `request body over ${limit} bytes`))
        return
      }
      parts.push(c)
    }
    req.on('data', onData)
    req.on('end', () => ok(Buffer.concat(parts).toString('utf8')))
    req.on('error', fail)
  })
}

