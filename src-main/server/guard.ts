// Who may talk to the headless server, and how much. The rules, once:
// - The token travels only in headers: `Authorization: Bearer <token>` on HTTP, and on the
//   WebSocket handshake either that header (scripts) or the subprotocol `token.<token>` next to
//   `ner-studio` (browsers cannot set headers there). Never in a cookie, never in a query string
//   (those land in logs and history); the page gets it from the URL fragment, which no request carries.
// - Host must be our own loopback name and port (DNS rebinding). A present Origin must be our own
//   (a page on another local port may not drive us); scripts send none.
// - Bodies are limited and refused from their declared length, before any byte is read.

import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** The subprotocol the page asks for; the server answers with it. */
export const WS_PROTOCOL = 'ner-studio'
/** Prefix of the subprotocol value carrying the token. */
export const WS_TOKEN_PREFIX = 'token.'
/** A JSON request body larger than this is refused (413). */
export const MAX_JSON_BODY = 16 << 20
/** Default limit of one `/upload` (413 above it); `serve --max-upload-mib` changes it. */
export const DEFAULT_MAX_UPLOAD = 1 << 30

function same(given: string, want: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(want)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The subprotocols of a WebSocket handshake, in order. */
export function wsProtocols(req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol']
  return (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).split(',').map((s) => s.trim()).filter(Boolean)
}

/** True when the request carries the token where it may: the Bearer header, or (WebSocket) the subprotocol. */
export function hasToken(req: IncomingMessage, token: string, websocket = false): boolean {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ') && same(auth.slice(7), token)) return true
  if (!websocket) return false
  return wsProtocols(req).some((p) => p.startsWith(WS_TOKEN_PREFIX) && same(p.slice(WS_TOKEN_PREFIX.length), token))
}

/** Our own loopback origins on this port. */
function ownOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
}

export function hostOk(req: IncomingMessage, port: number): boolean {
  return ownOrigins(port).includes(`http://${req.headers.host ?? ''}`)
}

/** A present Origin must be ours ("null" — sandboxed frames, file: pages — is foreign). */
export function originOk(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin
  return origin === undefined || ownOrigins(port).includes(origin)
}

/**
 * The declared body length when it passes `limit`, else null. A length that is not a plain number
 * is refused as over the limit too (Node rejects most of those before we see them).
 */
export function declaredTooLarge(req: IncomingMessage, limit: number): number | null {
  const raw = req.headers['content-length']
  if (raw === undefined) return null
  const n = Number(raw)
  return !Number.isSafeInteger(n) || n > limit ? n : null
}

/** decodeURIComponent that answers null (→ 400) instead of throwing on malformed escapes. */
export function decodePath(s: string): string | null {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}
