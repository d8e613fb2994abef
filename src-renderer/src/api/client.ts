// The renderer's one way to the services: the Electron preload (window.studio) when present,
// otherwise HTTP + WebSocket to `ner-studio serve` with the token from the page URL's fragment
// (`#token=…`): kept in sessionStorage, removed from the address bar, sent as a header on every
// request and as a WebSocket subprotocol (src-main/server/guard.ts) — never a cookie or query string.
import type { DialogKind, ArgsOf, EventName, Events, RequestName, ResultOf, StudioClient, WireResult } from '../../../src-main/shared/api'

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

type Listener = (payload: unknown) => void

/** The one place a WireResult becomes a value or an ApiError (both transports). */
function unwrap<T>(body: WireResult<T>): T {
  if (!body.ok) throw new ApiError(body.error.code, body.error.message)
  return body.result
}

const TOKEN_KEY = 'ner-studio-token'

/** The token from `#token=…` (then stripped from the address bar), else the one this tab kept. */
function takeToken(): string {
  const hash = new URLSearchParams(window.location.hash.slice(1))
  const fromUrl = hash.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    hash.delete('token')
    const rest = hash.toString()
    window.history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''))
  }
  return fromUrl ?? sessionStorage.getItem(TOKEN_KEY) ?? ''
}

type HttpClient = StudioClient & { upload(file: File): Promise<string>; download(path: string): Promise<void> }

function httpClient(): HttpClient {
  const token = takeToken()
  const auth = { authorization: `Bearer ${token}` }
  const listeners = new Map<string, Set<Listener>>()
  let ws: WebSocket | null = null
  const connect = (): void => {
    ws = new WebSocket(`ws://${window.location.host}/ws`, ['ner-studio', `token.${token}`])
    ws.onmessage = (m) => {
      const { event, payload } = JSON.parse(String(m.data)) as { event: string; payload: unknown }
      for (const l of listeners.get(event) ?? []) l(payload)
    }
    ws.onclose = () => setTimeout(connect, 1000)
  }
  connect()
  return {
    async call(name, ...args) {
      const res = await fetch(`/api/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: args.length ? JSON.stringify(args[0]) : '',
      })
      return unwrap((await res.json()) as WireResult<never>)
    },
    on(name, listener) {
      let set = listeners.get(name)
      if (!set) listeners.set(name, (set = new Set()))
      set.add(listener as Listener)
      return () => set.delete(listener as Listener)
    },
    async upload(file: File) {
      const res = await fetch(`/upload?name=${encodeURIComponent(file.name)}`, {
        method: 'POST',
        headers: auth,
        body: file,
      })
      return unwrap((await res.json()) as WireResult<{ path: string }>).path
    },
    async download(path: string) {
      // A link cannot carry the header: fetch with it, then save the Blob under the file's name.
      const res = await fetch(`/download?path=${encodeURIComponent(path)}`, { headers: auth })
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as WireResult<never> | null
        throw new ApiError(body && !body.ok ? body.error.code : 'internal', body && !body.ok ? body.error.message : `download failed (${res.status})`)
      }
      const href = URL.createObjectURL(await res.blob())
      const a = document.createElement('a')
      a.href = href
      a.download = path.split(/[\\/]/).pop() ?? 'export'
      document.body.appendChild(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(href), 60_000)
    },
  }
}

function preloadClient(): StudioClient {
  const p = window.studio!
  return {
    call: async (name, ...args) => unwrap((await p.call(name, args[0])) as WireResult<never>),
    on: (name, listener) => p.on(name, listener),
  }
}

export const shell: 'electron' | 'server' = window.studio ? 'electron' : 'server'
const client = window.studio ? preloadClient() : httpClient()

export function call<K extends RequestName>(name: K, ...args: ArgsOf<K> extends void ? [] : [ArgsOf<K>]): Promise<ResultOf<K>> {
  return client.call(name, ...args)
}

/** Upload a file to the server (browser mode); resolves to its path on the server's machine. */
export function upload(file: File): Promise<string> {
  if (!('upload' in client)) return Promise.reject(new ApiError('bad_request', 'uploads exist in browser mode only'))
  return (client as HttpClient).upload(file)
}

/** Save a file the latest export wrote on the server's machine (browser mode). */
export function download(path: string): Promise<void> {
  if (!('download' in client)) return Promise.reject(new ApiError('bad_request', 'downloads exist in browser mode only'))
  return (client as HttpClient).download(path)
}

/** The desktop shell's native file dialog; null in browser mode or when cancelled. */
export async function fileDialog(kind: DialogKind): Promise<string | null> {
  return window.studio ? window.studio.openFileDialog(kind) : null
}

export function on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
  return client.on(name, listener)
}

/**
 * The file a form refers to: the typed path as it is, or — when only a file was picked (browser
 * mode) — the path the server stored the uploaded file under. `busy` is true while uploading.
 */
export async function pathOrUpload(typed: string, file: File | null, busy: { value: boolean }): Promise<string> {
  const path = typed.trim()
  if (path || !file) return path
  busy.value = true
  try {
    return await upload(file)
  } finally {
    busy.value = false
  }
}
