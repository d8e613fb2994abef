import type { reviewRequests } from '../../shared/api'
import type { Handlers } from '../context'
import { reviewQueue, suggestions } from './queue'

export const reviewHandlers: Handlers<typeof reviewRequests> = {
  'review.queue': (source, cx) => reviewQueue(cx.project().db, source),
  'review.suggestions': ({ runId, titleId }, cx) => suggestions(cx.project().db, runId, titleId),
}
