// The renderer's one way to the services: the Electron preload (window.studio) when present,
// otherwise HTTP + WebSocket to `ner-studio serve` with the token from the page URL.
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

function httpClient(): StudioClient & { upload(file: File): Promise<string> } {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem('ner-studio-token', fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.toString())
  }
  const token = fromUrl ?? sessionStorage.getItem('ner-studio-token') ?? ''
  const listeners = new Map<string, Set<Listener>>()
  let ws: WebSocket | null = null
  const connect = (): void => {
    ws = new WebSocket(`ws://${window.location.host}/ws?token=${encodeURIComponent(token)}`)
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
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: args.length ? JSON.stringify(args[0]) : '',
      })
      const body = (await res.json()) as WireResult<never>
      if (!body.ok) throw new ApiError(body.error.code, body.error.message)
      return body.result
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
        headers: { authorization: `Bearer ${token}` },
        body: file,
      })
      const body = (await res.json()) as WireResult<{ path: string }>
      if (!body.ok) throw new ApiError(body.error.code, body.error.message)
      return body.result.path
    },
  }
}

function preloadClient(): StudioClient {
  const p = window.studio!
  return {
    async call(name, ...args) {
      try {
        return (await p.call(name, args[0])) as never
      } catch (e) {
        throw new ApiError((e as { code?: string }).code ?? 'internal', (e as Error).message)
      }
    },
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
  return (client as ReturnType<typeof httpClient>).upload(file)
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
