// The sandboxed preload: exposes ONE frozen object, window.studio, typed by the contract.
// It passes requests through as they are: the main process checks the name, and the renderer's
// client unwraps the WireResult (one check, one unwrap on the desktop path).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { isEventName, type DialogKind, type EventName, type Events, type WireResult } from '../shared/api'

const api = Object.freeze({
  /** `shown`: the session of the project the window shows (shared/session.ts); `client`: who sends it. */
  call: (name: string, args: unknown, shown: string | undefined, client: string): Promise<WireResult<unknown>> =>
    ipcRenderer.invoke('studio:call', name, args, shown, client) as Promise<WireResult<unknown>>,
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
    if (!isEventName(name)) throw new Error(`unknown event "${name}"`)
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
