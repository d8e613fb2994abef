import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import type { HistoryResult, projectRequests } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import type { Context, Handlers } from '../context'

export const projectHandlers: Handlers<typeof projectRequests> = {
  'project.current': (_, cx) => cx.info(),
  'project.open': ({ path }, cx) => cx.open(absolute(path), false),
  'project.create': ({ path }, cx) => {
    if (existsSync(absolute(path))) throw new StudioError('conflict', `${path} already exists`)
    return cx.open(path, true)
  },
  'project.stats': (_, cx) => cx.project().stats(),
  'project.recent': (_, cx) => cx.recent.list(),
  'project.forget': ({ path }, cx) => cx.recent.forget(path),
  'history.undo': (_, cx) => stepped(cx, cx.writable().undo()),
  'history.redo': (_, cx) => stepped(cx, cx.writable().redo()),
}

/** An undo or redo says what it touched: one change event per kind of row. */
function stepped(cx: Context, r: HistoryResult): HistoryResult {
  for (const what of r.kinds) cx.changed(what, r, what === 'types' ? undefined : r.titleIds)
  return r
}

/**
 * A path a window names must be absolute: relative to what? The studio's working directory is its
 * install folder (npm start), not a place the analyst chose.
 */
function absolute(path: string): string {
  if (typeof path !== 'string' || !isAbsolute(path)) {
    const example = process.platform === 'win32' ? 'C:\\Users\\me\\shop.sqlite' : '/home/me/shop.sqlite'
    throw new StudioError('bad_request', `“${String(path)}” is a relative path: give the full path of the project file (for example ${example})`)
  }
  return path
}
