/**
 * Input checks at the CRF layer's boundary, as pytorch-crf's `_validate`: a wrong shape, a title
 * of no characters (pytorch-crf: "mask of the first timestep must all be on") or a tag id out of
 * range is a clear error here, not a NaN or a silent wrong gather deep in the recursions.
 */

/** Emissions `[B, L, T]` of this CRF, with one length per title, each in 1 … L. */
export function checkEmissions(shape: readonly number[], numTags: number, lengths: readonly number[]): void {
  if (shape.length !== 3) throw new Error(`CRF: emissions must have 3 dimensions [batch, length, tags], got [${shape.join(', ')}]`)
  const [B, L, T] = shape as [number, number, number]
  if (T !== numTags) throw new Error(`CRF: expected emissions of ${numTags} tags (last dimension), got ${T}`)
  if (lengths.length !== B) throw new Error(`CRF: ${lengths.length} lengths for a batch of ${B} titles`)
  lengths.forEach((n, b) => {
    if (!Number.isInteger(n) || n < 1 || n > L) {
      throw new Error(`CRF: title ${b} has length ${n}; every title needs 1 … ${L} characters (its first position must be valid)`)
    }
  })
}

/** Gold tags: one row per title, at least its length long, ids integers in 0 … numTags − 1. */
export function checkTags(tags: readonly ArrayLike<number>[], numTags: number, lengths: readonly number[]): void {
  if (tags.length !== lengths.length) throw new Error(`CRF: ${tags.length} tag rows for a batch of ${lengths.length} titles`)
  tags.forEach((y, b) => {
    const n = lengths[b]!
    if (y.length < n) throw new Error(`CRF: title ${b} has ${n} characters but ${y.length} tags`)
    for (let t = 0; t < n; t++) {
      const j = y[t]!
      if (!Number.isInteger(j) || j < 0 || j >= numTags) throw new Error(`CRF: title ${b}, position ${t}: tag id ${j} is not in 0 … ${numTags - 1}`)
    }
  })
}
