/**
 * The CRF's decode inputs and its reference decoder. `decodeScores` turns the CRF's parameters into
 * the kernel's (kernels/viterbi.ts: forbidden transitions, first and last tags at −∞);
 * `viterbi` is the plain pruned scan, one title at a time: the kernel's reference in its tests and
 * benchmark. Both end in the kernel's one `bestPath` (final argmax + backtrace).
 */
import { bestPath, viterbiPlan, type ViterbiPlan } from '../../kernels/viterbi'
import { crfStructure, type CrfStructure } from './constraints'

/** Transitions, start and end scores with what `structure` forbids at −∞ (unchanged without one). */
export function decodeScores(
  structure: CrfStructure | null,
  trans: Float32Array,
  start: Float32Array,
  end: Float32Array,
): { trans: Float32Array; start: Float32Array; end: Float32Array } {
  if (!structure) return { trans, start, end }
  // plain loops: Float32Array.from with a callback boxes every value (a million at 1,001 tags, per batch)
  const masked = (v: Float32Array, allowed: ArrayLike<boolean | number>): Float32Array => {
    const out = new Float32Array(v.length)
    for (let k = 0; k < v.length; k++) out[k] = allowed[k] ? v[k]! : -Infinity
    return out
  }
  return { trans: masked(trans, structure.allowed), start: masked(start, structure.startAllowed), end: masked(end, structure.endAllowed) }
}

/**
 * Decoding under a tag scheme alone (a softmax head's constrained decoding): every transition,
 * first and last tag the scheme allows scores 0, the others −∞, so Viterbi over log-probabilities
 * finds the most probable path that is a well-formed tagging. `wellFormed` tells whether a path
 * (e.g. the per-character argmax, which is then that best path already) obeys the scheme.
 */
export interface SchemeDecoder {
  plan: ViterbiPlan
  wellFormed(path: ArrayLike<number>): boolean
}

export function schemeDecoder(labels: readonly string[], scheme: 'BIO' | 'BIOES'): SchemeDecoder {
  const T = labels.length
  const st = crfStructure(labels, scheme)
  const s = decodeScores(st, new Float32Array(T * T), new Float32Array(T), new Float32Array(T))
  return {
    plan: viterbiPlan(s.trans, s.start, s.end, T),
    wellFormed(path) {
      const n = path.length
      if (n === 0) return true
      if (!st.startAllowed[path[0]!] || !st.endAllowed[path[n - 1]!]) return false
      for (let t = 1; t < n; t++) if (!st.allowed[path[t - 1]! * T + path[t]!]) return false
      return true
    },
  }
}

/** Per target column j of `trans` [T, T]: the largest transition into it (Viterbi's pruning bound). */
function columnMax(trans: Float32Array, T: number): Float64Array {
  const colMax = new Float64Array(T).fill(-Infinity)
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) if (trans[i * T + j]! > colMax[j]!) colMax[j] = trans[i * T + j]!
  return colMax
}

/**
 * Exact Viterbi for one title, the plain pruned scan: kernels/viterbi.ts's reference in its tests
 * and benchmark (decode uses the kernel). For each next tag j the previous tags are visited in decreasing
 * delta order and the scan stops once delta[i] + max_i' trans[i', j] (`colMax`, the same for every
 * title of a batch) cannot beat the best found.
 */
export function viterbi(
  em: Float32Array,
  offset: number,
  len: number,
  T: number,
  trans: Float32Array,
  start: Float32Array,
  end: Float32Array,
  colMax: Float64Array = columnMax(trans, T),
): number[] {
  let delta = new Float64Array(T)
  let next = new Float64Array(T)
  for (let j = 0; j < T; j++) delta[j] = start[j]! + em[offset + j]!
  const back = new Int32Array(len * T)
  const order = new Int32Array(T)
  for (let t = 1; t < len; t++) {
    for (let i = 0; i < T; i++) order[i] = i
    const d = delta
    order.sort((x, y) => d[y]! - d[x]!)
    const base = offset + t * T
    for (let j = 0; j < T; j++) {
      let best = -Infinity
      let arg = 0
      const cm = colMax[j]!
      for (let k = 0; k < T; k++) {
        const i = order[k]!
        const di = d[i]!
        if (di + cm <= best) break
        const s = di + trans[i * T + j]!
        if (s > best) {
          best = s
          arg = i
        }
      }
      next[j] = best + em[base + j]!
      back[t * T + j] = arg
    }
    const tmp = delta
    delta = next
    next = tmp
  }
  return bestPath(delta, end, back, T, len)
}
