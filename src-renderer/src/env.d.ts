/// <reference types="vite/client" />
import type { DialogKind, EventName, Events, WireResult } from '../../src-main/shared/api'

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

/** What the Electron preload exposes (absent in browser mode). */
export interface PreloadApi {
  /** The request's WireResult, as the main process sent it (the client unwraps it); `shown`: the
   *  session of the project the window shows (shared/session.ts); `client`: who sends it. */
  call(name: string, args: unknown, shown: string | undefined, client: string): Promise<WireResult<unknown>>
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void
  shell: 'electron'
  openFileDialog(kind: DialogKind): Promise<string | null>
}

declare global {
  interface Window {
    studio?: PreloadApi
  }
}
