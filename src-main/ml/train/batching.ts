/** Bucketed batching: titles of similar length share a batch (less padding), order seeded. */
import { shuffle, type Rng } from './rng'

/**
 * Batches of indices. With `bucketed`, indices are shuffled, sorted by length (stable, so ties
 * stay shuffled) in chunks of 50 batches, cut into batches, and the batch order shuffled.
 * Without it, a plain shuffle. `rng` null = keep order (evaluation).
 */
export function makeBatches(lengths: readonly number[], batchSize: number, rng: Rng | null, bucketed = true): number[][] {
  const idx = lengths.map((_, i) => i)
  if (rng) shuffle(idx, rng)
  const out: number[][] = []
  const chunk = bucketed ? batchSize * 50 : idx.length
  for (let c = 0; c < idx.length; c += chunk) {
    const part = idx.slice(c, c + chunk)
    if (bucketed) part.sort((a, b) => lengths[a]! - lengths[b]!)
    for (let i = 0; i < part.length; i += batchSize) out.push(part.slice(i, i + batchSize))
  }
  if (rng) shuffle(out, rng)
  return out
}
