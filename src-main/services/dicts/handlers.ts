import type { dictsRequests } from '../../shared/api'
import type { Handlers } from '../context'
import { applyDictionaries } from './apply'
import { createDictionary, deleteDictionary, importGazetteer, listDictionaries, promoteSpans } from './dicts'

export const dictsHandlers: Handlers<typeof dictsRequests> = {
  'dicts.list': (q, cx) => listDictionaries(cx.project().db, undefined, q?.minLength ?? 1),
  'dicts.import': (req, cx) => {
    const p = cx.writable()
    return cx.importing(req.path, () => importGazetteer(p, req))
  },
  'dicts.create': ({ name, type }, cx) => createDictionary(cx.writable().db, name, type),
  'dicts.delete': ({ id, removeSpans }, cx) => {
    const r = deleteDictionary(cx.writable().db, id, removeSpans ?? false)
    return r.removedSpans ? cx.changed('spans', r) : r
  },
  'dicts.apply': (req, cx) => {
    const r = applyDictionaries(cx.writable(), req)
    if (r.spansAdded || r.removed) {
      cx.changed('types', r)
      cx.changed('spans', r)
    }
    return r
  },
  'dicts.promote': (req, cx) => promoteSpans(cx.writable().db, req),
}
