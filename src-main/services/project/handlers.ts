import { existsSync } from 'node:fs'
import type { projectRequests } from '../../shared/api'
import { StudioError } from '../../shared/errors'
import type { Handlers } from '../context'

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
  'history.undo': (_, cx) => {
    const r = cx.writable().undo()
    return cx.changed('spans', r, r.titleIds)
  },
  'history.redo': (_, cx) => {
    const r = cx.writable().redo()
    return cx.changed('spans', r, r.titleIds)
  },
}
