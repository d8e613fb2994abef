// The sandboxed preload: exposes ONE frozen object, window.studio, typed by the contract.
// It forwards known request names only and unwraps the WireResult into a value or an Error.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { EVENT_NAMES, isRequestName, type DialogKind, type EventName, type Events, type WireResult } from '../shared/api'

const api = Object.freeze({
  /** `shown`: the session of the project the window shows (shared/session.ts). */
  async call(name: string, args?: unknown, shown?: string): Promise<unknown> {
    if (!isRequestName(name)) throw new Error(`unknown request "${name}"`)
    const r = (await ipcRenderer.invoke('studio:call', name, args, shown)) as WireResult<unknown>
    if (r.ok) return r.result
    const err = new Error(r.error.message) as Error & { code: string }
    err.code = r.error.code
    throw err
  },
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
    if (!(EVENT_NAMES as readonly string[]).includes(name)) throw new Error(`unknown event "${name}"`)
    const fn = (_e: IpcRendererEvent, n: string, payload: Events[E]): void => {
      if (n === name) listener(payload)
    }
    ipcRenderer.on('studio:event', fn)
    return () => {
      ipcRenderer.removeListener('studio:event', fn)
    }
  },
  shell: 'electron' as const,
  openFileDialog: (kind: DialogKind): Promise<string | null> =>
    ipcRenderer.invoke('studio:dialog', kind) as Promise<string | null>,
})

contextBridge.exposeInMainWorld('studio', api)
