/**
 * The BIO / BIOES constraints of a linear-chain CRF as data: which tag may follow which, which may
 * start or end a title, and the split of columns (next tags) into dense and sparse ones that the
 * structured recursions (transitions.ts) and the decode (viterbi.ts) read.
 */
import { splitTag } from '../../../shared/tags'

/**
 * The constrained CRF's structure. Columns (next tags) are `dense` (O, B-*, and S-* for BIOES: many
 * predecessors, one matmul) or `sparse` (I-*, and E-* for BIOES: exactly two predecessors,
 * `from1` = B-X and `from2` = I-X of the column's type).
 */
export interface CrfStructure {
  T: number
  scheme: 'BIO' | 'BIOES'
  dense: Int32Array
  sparse: Int32Array
  from1: Int32Array
  from2: Int32Array
  /** position of each tag in concat([dense…, sparse…]) */
  inv: Int32Array
  /** allowed[i·T + j]: may tag j follow tag i */
  allowed: Uint8Array
  startAllowed: Uint8Array
  endAllowed: Uint8Array
  /** BIOES: rows with no dense successor (B-*, I-*): their dense terms are −∞. Null for BIO (none). */
  sparseOnlyRows: Int32Array | null
}

/**
 * Structure of BIO or BIOES tags. BIO: an `I-X` without `B-X` is left unconstrained (dense, may
 * start). BIOES: tags with an unknown prefix behave as `O`; a type lacking one of B/I/E/S throws.
 */
export function crfStructure(labels: readonly string[], scheme: 'BIO' | 'BIOES'): CrfStructure {
  const T = labels.length
  const parsed = labels.map(splitTag)
  const index = new Map(labels.map((l, i) => [l, i]))
  const member = (prefix: string, type: string): number | undefined => index.get(type ? `${prefix}-${type}` : prefix)
  // per tag: its type family's B and I, when the tag is constrained (kind 'in': I/E; 'open': B/I (BIOES))
  const famB = new Int32Array(T).fill(-1)
  const famI = new Int32Array(T).fill(-1)
  const sparseCol = new Uint8Array(T)
  const sparseOnlyRow = new Uint8Array(T)
  parsed.forEach(({ prefix, type }, i) => {
    if (labels[i] === 'O') return
    if (scheme === 'BIO') {
      const b = member('B', type)
      if (prefix === 'I' && b !== undefined) {
        famB[i] = b
        famI[i] = i
        sparseCol[i] = 1
      }
      return
    }
    if (!['B', 'I', 'E', 'S'].includes(prefix)) return
    const fam = ['B', 'I', 'E', 'S'].map((p) => member(p, type))
    const lacking = ['B', 'I', 'E', 'S'].filter((_, k) => fam[k] === undefined)
    if (lacking.length) {
      throw new Error(`CRF: BIOES constraints need B, I, E and S tags of every type; ${JSON.stringify(labels[i])} has no ${lacking.map((p) => (type ? `${p}-${type}` : p)).join(', ')}`)
    }
    famB[i] = fam[0]!
    famI[i] = fam[1]!
    if (prefix === 'I' || prefix === 'E') sparseCol[i] = 1
    if (prefix === 'B' || prefix === 'I') sparseOnlyRow[i] = 1
  })
  const allowed = new Uint8Array(T * T)
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      allowed[i * T + j] = sparseCol[j] ? Number(i === famB[j] || i === famI[j]) : Number(!sparseOnlyRow[i])
    }
  }
  const startAllowed = Uint8Array.from(sparseCol, (s) => 1 - s)
  const endAllowed = Uint8Array.from(sparseOnlyRow, (s) => 1 - s)
  const sparse = labels.map((_, i) => i).filter((i) => sparseCol[i])
  const dense = labels.map((_, i) => i).filter((i) => !sparseCol[i])
  const inv = new Int32Array(T)
  dense.forEach((j, p) => (inv[j] = p))
  sparse.forEach((j, k) => (inv[j] = dense.length + k))
  const rows = labels.map((_, i) => i).filter((i) => sparseOnlyRow[i])
  return {
    T,
    scheme,
    dense: Int32Array.from(dense),
    sparse: Int32Array.from(sparse),
    from1: Int32Array.from(sparse, (j) => famB[j]!),
    from2: Int32Array.from(sparse, (j) => famI[j]!),
    inv,
    allowed,
    startAllowed,
    endAllowed,
    sparseOnlyRows: rows.length ? Int32Array.from(rows) : null,
  }
}
