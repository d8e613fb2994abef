// The renderer's one way to the services: the Electron preload (window.studio) when present,
// otherwise HTTP + WebSocket to `ner-studio serve` with the token from the page URL's fragment
// (`#token=…`): kept in sessionStorage, removed from the address bar, sent as a header on every
// request and as a WebSocket subprotocol (src-main/server/guard.ts) — never a cookie or query string.
// Every request also names the project this window shows (src-main/shared/session.ts); a refusal
// for showing another one, and a server that comes back, make the window reload as if the project
// had changed. In browser mode `connection` says when the server stopped answering.
import { reactive } from 'vue'
import type { DialogKind, ArgsOf, EventName, Events, RequestName, ResultOf, StudioClient, WireResult } from '../../../src-main/shared/api'
import { NO_PROJECT, PROJECT_HEADER } from '../../../src-main/shared/session'

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

type Listener = (payload: unknown) => void

/**
 * Who sends a request, sent with it: the change events a request causes carry it. The editor's
 * own edits go as EDITOR_CLIENT, so it skips their echo (it already shows what the reply said);
 * everything else this window sends goes as WINDOW_CLIENT and is re-read like another's change.
 */
const WINDOW = `w${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`
export const WINDOW_CLIENT = WINDOW
export const EDITOR_CLIENT = `${WINDOW}-editor`

/** One transport: send a request as `client`, listen to events. */
interface Transport {
  send(name: RequestName, args: unknown, client: string): Promise<unknown>
  on: StudioClient['on']
}

/** The session of the project this window shows; undefined until it has asked which one is open. */
let shown: string | undefined
/** A reload was asked for and the window has not adopted the open project since. */
let resyncing = false

/** The project store calls this in the same step as it drops the old project's title and list. */
export function showProject(session: string | null): void {
  shown = session ?? NO_PROJECT
  resyncing = false
}

/** Browser mode: whether the server stopped answering, and why (shown as a banner with Reconnect). */
export const connection = reactive({ lost: false, why: '', retrying: false })

const listeners = new Map<string, Set<Listener>>()
function dispatch(event: string, payload: unknown): void {
  for (const l of listeners.get(event) ?? []) l(payload)
}
/**
 * Reload everything, as when another window opens a project (the window missed or outlived it).
 * Once until the window has adopted what is open: requests refused meanwhile do not ask again.
 */
const resync = (): void => {
  if (resyncing) return
  resyncing = true
  dispatch('project.changed', { what: 'project' })
}

/**
 * The one place a WireResult becomes a value or an ApiError (both transports). A refusal for
 * showing another project than the open one reloads the window.
 */
function unwrap<T>(body: WireResult<T>): T {
  if (!body.ok) {
    if (body.error.code === 'stale_project') resync()
    throw new ApiError(body.error.code, body.error.message)
  }
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

type HttpClient = Transport & { upload(file: File): Promise<string>; download(path: string): Promise<void>; reconnect(): Promise<void> }

const GONE = "The studio's server stopped responding"
const NEW_TOKEN = "The studio's server answers but does not accept this window's access token (was it restarted?): open the URL it printed"

function httpClient(): HttpClient {
  const token = takeToken()
  const auth = { authorization: `Bearer ${token}` }
  let ws: WebSocket | null = null
  let retry: ReturnType<typeof setTimeout> | undefined
  const lose = (why: string): void => {
    connection.lost = true
    connection.why = why
  }
  /** Back after a loss: everything the window shows may be out of date. */
  const restored = (): void => {
    if (!connection.lost) return
    connection.lost = false
    connection.why = ''
    resyncing = false
    resync()
  }
  const connect = (): void => {
    clearTimeout(retry)
    if (ws && ws.readyState <= WebSocket.OPEN) return
    const sock = (ws = new WebSocket(`ws://${window.location.host}/ws`, ['ner-studio', `token.${token}`]))
    sock.onopen = restored
    sock.onmessage = (m) => {
      const { event, payload } = JSON.parse(String(m.data)) as { event: string; payload: unknown }
      dispatch(event, payload)
    }
    sock.onclose = () => {
      if (ws !== sock) return
      if (!connection.lost) lose(GONE)
      retry = setTimeout(connect, 2000)
    }
  }
  connect()
  const post = async (name: string, body: string, client = WINDOW_CLIENT): Promise<WireResult<never>> => {
    let res: Response
    try {
      res = await fetch(`/api/${name}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-studio-client': client,
          ...auth,
          ...(shown === undefined ? {} : { [PROJECT_HEADER]: shown }),
        },
        body,
      })
    } catch {
      lose(GONE)
      throw new ApiError('offline', `${GONE}; the request may not have reached it`)
    }
    if (res.status === 401) lose(NEW_TOKEN)
    return (await res.json()) as WireResult<never>
  }
  return {
    async reconnect() {
      connection.retrying = true
      try {
        const body = await post('app.info', '').catch(() => null)
        if (!body?.ok) return
        connect()
        restored()
      } finally {
        connection.retrying = false
      }
    },
    async send(name, args, client) {
      return unwrap(await post(name, args === undefined ? '' : JSON.stringify(args), client))
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

function preloadClient(): Transport {
  const p = window.studio!
  return {
    send: async (name, args, client) => unwrap((await p.call(name, args, shown, client)) as WireResult<never>),
    on(name, listener) {
      // Local resyncs reach the same listeners as the preload's events.
      let set = listeners.get(name)
      if (!set) listeners.set(name, (set = new Set()))
      set.add(listener as Listener)
      const off = p.on(name, listener)
      return () => {
        set.delete(listener as Listener)
        off()
      }
    },
  }
}

export const shell: 'electron' | 'server' = window.studio ? 'electron' : 'server'
const client = window.studio ? preloadClient() : httpClient()

export function call<K extends RequestName>(name: K, ...args: ArgsOf<K> extends void ? [] : [ArgsOf<K>]): Promise<ResultOf<K>> {
  return client.send(name, args[0], WINDOW_CLIENT) as Promise<ResultOf<K>>
}

/** A request of the editor's own (its change events name EDITOR_CLIENT: the editor skips their echo). */
export function editorCall<K extends RequestName>(name: K, ...args: ArgsOf<K> extends void ? [] : [ArgsOf<K>]): Promise<ResultOf<K>> {
  return client.send(name, args[0], EDITOR_CLIENT) as Promise<ResultOf<K>>
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

/** Try the server again now (the banner's Reconnect); the window reloads when it answers. */
export function reconnect(): Promise<void> {
  return 'reconnect' in client ? (client as HttpClient).reconnect() : Promise.resolve()
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
