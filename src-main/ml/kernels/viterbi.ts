/**
 * Exact batched Viterbi on typed arrays (the CRF's decode kernel).
 *
 * Inputs: emissions `[B, L, T]` row-major (one read of the tensor per batch), transitions `[T, T]`
 * (`trans[i·T + j]`: tag i then tag j), start and end scores `[T]`; forbidden transitions, first
 * and last tags are −∞ (the BIO/BIOES constraints). Scores accumulate in float64.
 *
 * The result is the same path as a full argmax scan that visits previous tags best-first (delta
 * decreasing, then index increasing) and keeps the first best: ties go to the previous tag with the
 * larger delta, then the smaller index; where every score is −∞ the tag is 0.
 *
 * Per step, next tags (columns) are of two kinds:
 * - few-predecessor columns (≤ FEW finite transitions into them, e.g. `I-X` after `B-X`/`I-X`):
 *   their predecessors are enumerated directly;
 * - the others are scanned over a candidate set, visited best-first, each column dropping out once
 *   delta[i] + max_i' trans[i', j] cannot beat its best (the exact pruning bound). The candidate set
 *   is only the previous tags that can matter: a lower bound lb_j on each column's best comes from
 *   a few of the best previous tags, and a tag with delta[i] < min_j (lb_j − colMax_j) can win no
 *   column, so only the rest are sorted and scanned.
 */

/** Columns with at most this many finite transitions into them are enumerated directly. */
const FEW = 4
/** Previous tags (the best by delta) that seed the lower bounds. */
const SEEDS = 4

/** What a batch's decode needs from the transitions, computed once per batch. */
export interface ViterbiPlan {
  T: number
  trans: Float32Array
  start: Float32Array
  end: Float32Array
  /** Largest transition into each column (−∞ where none is allowed). */
  colMax: Float64Array
  /** Columns scanned with pruning. */
  wide: Int32Array
  /** Few-predecessor columns, and their predecessors: `few[k]`'s are `preds[predStart[k] … predStart[k+1]-1]`. */
  few: Int32Array
  predStart: Int32Array
  preds: Int32Array
  /** Rows with a finite transition into every wide column (the lower bounds' seeds). */
  seedRows: Int32Array
}

export function viterbiPlan(trans: Float32Array, start: Float32Array, end: Float32Array, T: number): ViterbiPlan {
  if (trans.length !== T * T || start.length !== T || end.length !== T) throw new Error(`viterbi: transitions must be [${T}, ${T}] and start/end [${T}]`)
  const colMax = new Float64Array(T).fill(-Infinity)
  const finiteIn = new Int32Array(T)
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      const v = trans[i * T + j]!
      if (v > colMax[j]!) colMax[j] = v
      if (v > -Infinity) finiteIn[j]!++
    }
  }
  const wide: number[] = []
  const few: number[] = []
  const predStart = [0]
  const preds: number[] = []
  for (let j = 0; j < T; j++) {
    if (finiteIn[j]! > FEW) {
      wide.push(j)
      continue
    }
    few.push(j)
    for (let i = 0; i < T; i++) if (trans[i * T + j]! > -Infinity) preds.push(i)
    predStart.push(preds.length)
  }
  const seedRows: number[] = []
  for (let i = 0; i < T; i++) if (wide.every((j) => trans[i * T + j]! > -Infinity)) seedRows.push(i)
  return {
    T,
    trans,
    start,
    end,
    colMax,
    wide: Int32Array.from(wide),
    few: Int32Array.from(few),
    predStart: Int32Array.from(predStart),
    preds: Int32Array.from(preds),
    seedRows: Int32Array.from(seedRows),
  }
}

/** Best tag path of each title: `em` is `[B, L, T]`, title b has `lengths[b]` (1 … L) valid positions. */
export function viterbiBatch(plan: ViterbiPlan, em: Float32Array, B: number, L: number, lengths: readonly number[]): number[][] {
  const T = plan.T
  if (em.length !== B * L * T) throw new Error(`viterbi: emissions have ${em.length} values, expected ${B}×${L}×${T}`)
  const s = new Scratch(T, L)
  const out: number[][] = []
  for (let b = 0; b < B; b++) {
    const len = lengths[b]!
    if (!(len >= 1 && len <= L)) throw new Error(`viterbi: title ${b} has length ${len}, expected 1 … ${L}`)
    out.push(decodeOne(plan, em, b * L * T, len, s))
  }
  return out
}

/** Buffers reused across the titles of a batch. */
class Scratch {
  delta: Float64Array
  next: Float64Array
  back: Int32Array
  best: Float64Array
  arg: Int32Array
  active: Int32Array
  cand: number[] = []
  seeds: Int32Array
  constructor(T: number, L: number) {
    this.delta = new Float64Array(T)
    this.next = new Float64Array(T)
    this.back = new Int32Array(L * T)
    this.best = new Float64Array(T)
    this.arg = new Int32Array(T)
    this.active = new Int32Array(T)
    this.seeds = new Int32Array(SEEDS)
  }
}

function decodeOne(p: ViterbiPlan, em: Float32Array, offset: number, len: number, s: Scratch): number[] {
  const { T, start, end } = p
  let delta = s.delta
  let next = s.next
  for (let j = 0; j < T; j++) delta[j] = start[j]! + em[offset + j]!
  for (let t = 1; t < len; t++) {
    step(p, delta, s)
    const base = offset + t * T
    const bk = t * T
    for (let j = 0; j < T; j++) {
      next[j] = s.best[j]! + em[base + j]!
      s.back[bk + j] = s.arg[j]!
    }
    const tmp = delta
    delta = next
    next = tmp
  }
  return bestPath(delta, end, s.back, T, len)
}

/**
 * The end of Viterbi: the best last tag (final scores + end transitions; ties to the smaller
 * index) and the path read back through the back-pointers (`back[t·T + j]` = best tag at t−1).
 */
export function bestPath(delta: ArrayLike<number>, end: ArrayLike<number>, back: ArrayLike<number>, T: number, len: number): number[] {
  let best = -Infinity
  let arg = 0
  for (let j = 0; j < T; j++) {
    const v = delta[j]! + end[j]!
    if (v > best) {
      best = v
      arg = j
    }
  }
  const path = new Array<number>(len)
  path[len - 1] = arg
  for (let t = len - 1; t >= 1; t--) path[t - 1] = back[t * T + path[t]!]!
  return path
}

/** One step: s.best[j] = max_i d[i] + trans[i, j] and s.arg[j] its previous tag (ties as above). */
function step(p: ViterbiPlan, d: Float64Array, s: Scratch): void {
  const { T, trans, colMax, wide, few, predStart, preds } = p
  const best = s.best
  const arg = s.arg
  // few-predecessor columns: direct
  for (let k = 0; k < few.length; k++) {
    const j = few[k]!
    let bv = -Infinity
    let ba = 0
    for (let q = predStart[k]!; q < predStart[k + 1]!; q++) {
      const i = preds[q]!
      const v = d[i]! + trans[i * T + j]!
      if (v > bv || (v === bv && v > -Infinity && (d[i]! > d[ba]! || (d[i] === d[ba] && i < ba)))) {
        bv = v
        ba = i
      }
    }
    best[j] = bv
    arg[j] = ba
  }
  if (wide.length === 0) return
  const threshold = candidateThreshold(p, d, s)
  const cand = s.cand
  cand.length = 0
  for (let i = 0; i < T; i++) if (d[i]! >= threshold) cand.push(i)
  cand.sort((x, y) => d[y]! - d[x]! || x - y)
  const active = s.active
  let nAct = wide.length
  for (let a = 0; a < nAct; a++) {
    const j = wide[a]!
    active[a] = j
    best[j] = -Infinity
    arg[j] = 0
  }
  for (let k = 0; k < cand.length && nAct > 0; k++) {
    const i = cand[k]!
    const di = d[i]!
    const row = i * T
    let w = 0
    for (let a = 0; a < nAct; a++) {
      const j = active[a]!
      const bj = best[j]!
      if (di + colMax[j]! <= bj) continue // no later tag (delta ≤ di) can beat it: j is done
      const v = di + trans[row + j]!
      if (v > bj) {
        best[j] = v
        arg[j] = i
      }
      active[w++] = j
    }
    nAct = w
  }
}

/**
 * A delta below which a previous tag wins no wide column: min_j (lb_j − colMax_j), lb_j from the
 * best seed rows, less a margin for float rounding; −∞ where there is no finite bound.
 */
function candidateThreshold(p: ViterbiPlan, d: Float64Array, s: Scratch): number {
  const { T, trans, colMax, wide, seedRows } = p
  const seeds = s.seeds
  let n = 0
  for (let q = 0; q < seedRows.length; q++) {
    const i = seedRows[q]!
    const v = d[i]!
    if (!(v > -Infinity)) continue
    // insertion into the top-SEEDS list (by delta, descending)
    let k: number
    if (n < SEEDS) k = n++
    else if (v <= d[seeds[SEEDS - 1]!]!) continue
    else k = SEEDS - 1
    while (k > 0 && d[seeds[k - 1]!]! < v) {
      seeds[k] = seeds[k - 1]!
      k--
    }
    seeds[k] = i
  }
  if (n === 0) return -Infinity
  let threshold = Infinity
  for (let a = 0; a < wide.length; a++) {
    const j = wide[a]!
    let lb = -Infinity
    for (let k = 0; k < n; k++) {
      const i = seeds[k]!
      const v = d[i]! + trans[i * T + j]!
      if (v > lb) lb = v
    }
    const m = lb - colMax[j]!
    if (m < threshold) threshold = m
  }
  if (!(threshold > -Infinity) || !Number.isFinite(threshold)) return -Infinity
  return threshold - 1e-9 * (1 + Math.abs(threshold))
}
