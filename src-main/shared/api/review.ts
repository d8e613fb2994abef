// The review stream: a queue source's titles in stream order, and a run's suggestions for a title
// (types and markSuggestions: shared/review.ts). PURE TypeScript.
import type { ReviewQueue, ReviewSource, Suggestion } from '../review'
import { req } from './contract'

export const reviewRequests = {
  /** The titles of a queue source in stream order (filter, disagreements with a run, an Evaluate cell, the Pre-annotate queue in an uncertainty order). */
  'review.queue': req<ReviewSource, ReviewQueue>(),
  /** What a run predicted for one title, with confidences: the editor draws them beside the gold. */
  'review.suggestions': req<{ runId: number; titleId: number }, Suggestion[]>(),
}
