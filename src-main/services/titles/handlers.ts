import type { titlesRequests } from '../../shared/api'
import type { Handlers } from '../context'
import { bulkTitles, resplit } from './bulk'

export const titlesHandlers: Handlers<typeof titlesRequests> = {
  'titles.list': (q, cx) => cx.project().listTitles(q ?? {}),
  'titles.get': ({ id }, cx) => cx.project().getTitle(id),
  'titles.setStatus': ({ ids, status }, cx) => cx.changed('titles', cx.writable().setStatus(ids, status), ids),
  'titles.counts': (q, cx) => cx.project().countTitles(q ?? {}),
  'titles.neighbor': (a, cx) => cx.project().neighbor(a),
  'titles.bulk': (req, cx) => {
    const r = bulkTitles(req.dryRun ? cx.project() : cx.writable(), req)
    return r.applied ? cx.changed('deleteTitles' in req.action ? 'project' : 'titles', r) : r
  },
  'titles.resplit': (req, cx) => {
    const r = resplit(req.dryRun ? cx.project() : cx.writable(), req)
    return r.applied ? cx.changed('titles', r) : r
  },
}
