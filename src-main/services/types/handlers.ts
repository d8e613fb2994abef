import type { typesRequests } from '../../shared/api'
import type { Handlers } from '../context'

export const typesHandlers: Handlers<typeof typesRequests> = {
  'types.list': (_, cx) => cx.project().listTypes(),
  'types.create': (a, cx) => cx.changed('types', cx.writable().createType(a)),
  'types.update': (a, cx) => cx.changed('types', cx.writable().updateType(a)),
  'types.merge': ({ from, into }, cx) => cx.changed('types', cx.writable().mergeTypes(from, into)),
  'types.delete': ({ id }, cx) => cx.changed('types', cx.writable().deleteType(id)),
}
