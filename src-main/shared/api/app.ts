// The app itself: what the shell is, and the desktop menu's commands. PURE TypeScript.
import { event, none } from './contract'
import type { ViewAction } from '../screens'

export interface AppInfo {
  version: string
  /** 'electron' when the desktop shell runs, 'server' for the headless server in a browser. */
  shell: 'electron' | 'server'
  platform: string
  /** Why the desktop shell is not in use, when it is not. */
  note: string | null
}

/** Desktop menu commands the renderer carries out. */
export type MenuAction = 'import' | 'undo' | 'redo' | ViewAction

/** The desktop shell's file dialogs: open a project, pick a file to import, a new project, an export target. */
export type DialogKind = 'project' | 'import' | 'save' | 'export'

export const appRequests = {
  'app.info': none<AppInfo>(),
}

export const appEvents = {
  /** A desktop menu item the renderer carries out (Electron only). */
  'app.menu': event<{ action: MenuAction }>(),
}
