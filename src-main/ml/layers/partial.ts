/**
 * Partial-label likelihoods: a title whose labels are incomplete (weak spans on an unreviewed
 * title) constrains only some characters; the rest are UNKNOWN, not O. The evidence is a
 * log-prior per position and tag, `[B, L, T]`:
 *   0      the tag is consistent with what was observed,
 *   −1e4   it is not (numerically probability 0 after exp; finite, so no NaN at a masked column),
 *   log ρ  a soft preference (an unknown character is probably O: its non-O tags get log ρ, ρ ≤ 1).
 * The likelihood of the observation is the total weight of the tag paths consistent with it:
 *
 *   CRF      log p(obs | x) = log Σ_y q(y) exp(score(y)) − log Z
 *            = logPartition(emissions + prior) − logPartition(emissions)
 *            (the constrained forward algorithm is the ordinary one on shifted emissions, so the
 *            CRF's own recursions and forward–backward gradient are reused as they are);
 *   softmax  log p(obs_t | x) = logsumexp_j(log softmax_t(j) + prior_t(j)), per character.
 * When every character is observed (one tag at 0, the rest −1e4) both equal the ordinary
 * log-likelihood of that tag path.
 */
import * as tf from '@tensorflow/tfjs'
import type { CRF } from './crf/layer'

/** Log-prior of a tag that contradicts the observation. */
export const IMPOSSIBLE = -1e4

/** Partial-label CRF log-likelihood per title `[B]`. `prior` is `[B, L, T]` (padding rows: anything). */
export function partialCrfLogLikelihood(crf: CRF, emissions: tf.Tensor3D, prior: tf.Tensor3D, lengths: readonly number[]): tf.Tensor1D {
  return tf.tidy(() => tf.sub(crf.logPartition(tf.add(emissions, prior), lengths), crf.logPartition(emissions, lengths)))
}

/** Partial-label per-character log-likelihood `[N]` of a softmax head: logits and prior `[N, C]`. */
export function partialSoftmaxLogLikelihood(logits: tf.Tensor2D, prior: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.logSumExp(tf.add(tf.logSoftmax(logits), prior), 1))
}
