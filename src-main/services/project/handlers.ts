import { existsSync } from 'node:fs'
import type { HistoryResult, projectRequests } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import type { Context, Handlers } from '../context'

export const projectHandlers: Handlers<typeof projectRequests> = {
  'project.current': (_, cx) => cx.current()?.info() ?? null,
  'project.open': ({ path }, cx) => cx.open(path, false),
  'project.create': ({ path }, cx) => {
    if (existsSync(path)) throw new StudioError('conflict', `${path} already exists`)
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
