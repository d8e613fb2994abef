import type { spansRequests } from '../../shared/api'
import type { Handlers } from '../context'
import { labelOccurrences } from './occurrences'

export const spansHandlers: Handlers<typeof spansRequests> = {
  'spans.create': (a, cx) => {
    const s = cx.writable().createSpan(a)
    return cx.changed('spans', s, [s.titleId])
  },
  'spans.update': (a, cx) => {
    const s = cx.writable().updateSpan(a)
    return cx.changed('spans', s, [s.titleId])
  },
  'spans.delete': ({ id }, cx) => {
    const p = cx.writable()
    const titleId = p.titleOfSpan(id)
    return cx.changed('spans', p.deleteSpan(id), [titleId])
  },
  'spans.acceptAll': ({ titleId }, cx) => cx.changed('spans', cx.writable().acceptAll(titleId), [titleId]),
  'spans.labelOccurrences': (req, cx) => {
    const r = labelOccurrences(req.dryRun ? cx.project() : cx.writable(), req)
    return r.applied ? cx.changed('spans', r, r.titleIds) : r
  },
}
