import type { appRequests } from '../../shared/api'
import type { Handlers } from '../context'

export const appHandlers: Handlers<typeof appRequests> = {
  'app.info': (_, cx) => cx.appInfo(),
}
