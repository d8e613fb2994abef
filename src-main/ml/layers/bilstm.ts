/**
 * Bidirectional LSTM written with tf ops (gradients flow through autodiff).
 *
 * - The input projection of all time steps and both directions is ONE matMul `[B·L, E]×[E, 8H]`;
 *   only the recurrence `h_{t-1} @ U` runs per step.
 * - Padding is at the end. The backward direction reads each title reversed within its own length
 *   (a gather with a per-title reversal index), so it starts at the title's true last character;
 *   positions past a title's length compute garbage that never reaches valid positions and are
 *   zeroed in the output.
 * - Both directions share the per-step elementwise work: their gates are concatenated along the
 *   batch (`[2B, 4H]`), so each step issues two small matMuls and one set of gate ops.
 * - Gate order in the kernels: i, f, o, g. Forget-gate bias starts at 1.
 * - tanh is computed as 2·σ(2x) − 1 on wasm (`tanh` below): its Tanh kernel is scalar libm
 *   (~17 ns an element here), its Sigmoid vectorised (~1 ns); the identity is exact up to float rounding.
 * - Inputs made of embedding lookups (`applyBlocks`) are projected once per DISTINCT id of the
 *   batch, then gathered per position: `E[c]·K = (E[u]·K)[inverse]`, the same numbers (up to float
 *   summation order) for a fraction of the work — a batch of 32 titles holds ~1,600–2,500 positions
 *   but ~550 distinct characters, and padding is one id. The gradients follow through autodiff
 *   (the gather's gradient sums the positions of each id, then one [U, 8H]ᵀ product per block).
 */
import * as tf from '@tensorflow/tfjs'
import { childSeed } from '../train/rng'
import { makeVariable, uniformInit } from './init'

interface BiLstmArgs {
  /** Input feature size E. */
  inputSize: number
  /** Hidden size H of each direction (study: 300). */
  hidden: number
  /** `add` (study: fw + bw, output H) or `concat` (output 2H). Default `add`. */
  merge?: 'add' | 'concat'
  /** Variable name prefix. */
  name: string
  /** Init seed; kernels are uniform(±1/√H) like PyTorch's LSTM. */
  seed: number
  /**
   * Hand-written backward pass through time (default true): one `tf.customGrad` over the whole
   * recurrence, with the gate derivatives precomputed for all steps, Uᵀ transposed once, and dU
   * as ONE [H, L·B]×[L·B, 4H] matmul per direction instead of one small matmul per step.
   * `false` = plain autodiff through the per-step ops (the reference the tests compare with).
   */
  fused?: boolean
}

/**
 * One part of the input, in the kernel's row order: ids into an embedding table (projected per
 * distinct id), or dense features `[B·L, width]`.
 */
export type InputBlock = { table: tf.Tensor2D; ids: Int32Array } | { x: tf.Tensor2D }

/** The distinct ids in order of first use, and each position's index among them. */
export function distinctIds(ids: Int32Array, vocabSize: number): { unique: Int32Array; inverse: Int32Array } {
  const slot = new Int32Array(vocabSize).fill(-1)
  const unique: number[] = []
  const inverse = new Int32Array(ids.length)
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!
    if (id < 0 || id >= vocabSize) throw new Error(`input id ${id} is not in [0, ${vocabSize})`)
    let s = slot[id]!
    if (s < 0) {
      s = slot[id] = unique.length
      unique.push(id)
    }
    inverse[i] = s
  }
  return { unique: Int32Array.from(unique), inverse }
}

/** Per-title reversal within length: row b·L+t ↦ b·L+(len−1−t) for t < len, itself otherwise. */
function reverseIndex(lengths: readonly number[], L: number): Int32Array {
  const idx = new Int32Array(lengths.length * L)
  lengths.forEach((len, b) => {
    for (let t = 0; t < L; t++) idx[b * L + t] = b * L + (t < len ? len - 1 - t : t)
  })
  return idx
}

/** `[L, N, D]` → L tensors `[N, D]` (split, not unstack: wasm's Unpack is very slow). */
export function splitSteps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [L, N, D] = x.shape
  if (L === 1) return [tf.reshape(x, [N, D]) as tf.Tensor2D] // (SplitV's gradient fails on 1 part)
  return tf.split(x, L, 0).map((t) => tf.reshape(t, [N, D]) as tf.Tensor2D)
}

export class BiLSTM {
  readonly args: Required<BiLstmArgs>
  /** [E, 8H]: forward 4H then backward 4H */
  readonly kernel: tf.Variable
  /** [8H] */
  readonly bias: tf.Variable
  /** [H, 4H] each */
  readonly recurrentFw: tf.Variable
  readonly recurrentBw: tf.Variable

  constructor(args: BiLstmArgs) {
    this.args = { merge: 'add', fused: true, ...args }
    const { inputSize: E, hidden: H, name, seed } = this.args
    const lim = 1 / Math.sqrt(H)
    this.kernel = makeVariable(uniformInit([E, 8 * H], lim, childSeed(seed, 'kernel')), `${name}/kernel`)
    const b = new Float32Array(8 * H)
    for (const off of [0, 4 * H]) b.fill(1, off + H, off + 2 * H) // forget gates
    this.bias = makeVariable(tf.tensor1d(b), `${name}/bias`)
    this.recurrentFw = makeVariable(uniformInit([H, 4 * H], lim, childSeed(seed, 'ufw')), `${name}/recurrent_fw`)
    this.recurrentBw = makeVariable(uniformInit([H, 4 * H], lim, childSeed(seed, 'ubw')), `${name}/recurrent_bw`)
  }

  get outputSize(): number {
    return this.args.merge === 'concat' ? 2 * this.args.hidden : this.args.hidden
  }

  get variables(): tf.Variable[] {
    return [this.kernel, this.bias, this.recurrentFw, this.recurrentBw]
  }

  /**
   * @param x `[B·L, E]` inputs, row b·L+t
   * @param lengths true lengths (≤ L)
   * @returns `[B·L, H]` (add) or `[B·L, 2H]` (concat), zero at padding
   */
  apply(x: tf.Tensor2D, B: number, L: number, lengths: readonly number[]): tf.Tensor2D {
    return this.applyProjected(tf.add(tf.matMul(x, this.kernel as tf.Tensor2D), this.bias), B, L, lengths)
  }

  /**
   * `apply` on the concatenation of `blocks` (their widths must add up to the input size), with
   * each embedding block projected per distinct id (see the header).
   */
  applyBlocks(blocks: InputBlock[], B: number, L: number, lengths: readonly number[]): tf.Tensor2D {
    // the blocks' parts and partial sums go as soon as the sum exists (a gradient tape keeps what it needs)
    return this.applyProjected(tf.tidy(() => this.project(blocks)), B, L, lengths)
  }

  /** x·K + b for x = the concatenation of `blocks`: `[B·L, 8H]`. */
  project(blocks: InputBlock[]): tf.Tensor2D {
    const { inputSize: E, hidden: H } = this.args
    const width = (b: InputBlock): number => ('table' in b ? b.table.shape[1] : b.x.shape[1])
    const total = blocks.reduce((n, b) => n + width(b), 0)
    if (total !== E) throw new Error(`BiLSTM input blocks are ${total} wide, the kernel takes ${E}`)
    let out: tf.Tensor2D | null = null
    let row = 0
    for (const b of blocks) {
      const w = width(b)
      const K = (w === E ? this.kernel : tf.slice(this.kernel, [row, 0], [w, 8 * H])) as tf.Tensor2D
      row += w
      let part: tf.Tensor2D
      if ('table' in b) {
        const { unique, inverse } = distinctIds(b.ids, b.table.shape[0])
        let p = tf.matMul(tf.gather(b.table, tf.tensor1d(unique, 'int32')), K) as tf.Tensor2D // [U, 8H]
        // the bias rides on the first block's distinct rows (U additions, not B·L)
        if (!out) p = tf.add(p, this.bias)
        part = tf.gather(p, tf.tensor1d(inverse, 'int32')) as tf.Tensor2D
      } else {
        part = tf.matMul(b.x, K)
        if (!out) part = tf.add(part, this.bias) as tf.Tensor2D
      }
      out = out ? (tf.add(out, part) as tf.Tensor2D) : part
    }
    if (!out) throw new Error('BiLSTM needs at least one input block')
    return out
  }

  /** The recurrence over projected inputs `[B·L, 8H]` (x·K + b). */
  private applyProjected(proj: tf.Tensor2D, B: number, L: number, lengths: readonly number[]): tf.Tensor2D {
    const H = this.args.hidden
    const G = 4 * H
    const rev = tf.tensor1d(reverseIndex(lengths, L), 'int32')
    const mask = new Float32Array(B * L)
    lengths.forEach((n, b) => mask.fill(1, b * L, b * L + Math.min(n, L)))
    const maskT = tf.tensor2d(mask, [B * L, 1])
    // each stage in its own tidy: only its result outlives it (memory grows with B·L·4H per copy)
    const xs = tf.tidy(() => {
      const fwIn = tf.slice(proj, [0, 0], [B * L, G])
      const bwIn = tf.gather(tf.slice(proj, [0, G], [B * L, G]), rev) // reversed within length
      // [2B, L, 4H]: forward titles then reversed titles, run as one batch of 2B
      const both = tf.concat([tf.reshape(fwIn, [B, L, G]), tf.reshape(bwIn, [B, L, G])], 0)
      return tf.transpose(both, [1, 0, 2]) as tf.Tensor3D // [L, 2B, 4H]
    })
    const hsAll = this.args.fused
      ? lstmScan(xs, this.recurrentFw as tf.Tensor2D, this.recurrentBw as tf.Tensor2D)
      : lstmScanAutodiff(xs, this.recurrentFw as tf.Tensor2D, this.recurrentBw as tf.Tensor2D)
    xs.dispose()
    const h = tf.tidy(() => {
      const out = tf.transpose(hsAll, [1, 0, 2]) // [2B, L, H]
      const fwOut = tf.reshape(tf.slice(out, [0, 0, 0], [B, L, H]), [B * L, H])
      const bwOut = tf.gather(tf.reshape(tf.slice(out, [B, 0, 0], [B, L, H]), [B * L, H]), rev)
      const merged = this.args.merge === 'concat' ? tf.concat([fwOut, bwOut], 1) : tf.add(fwOut, bwOut)
      return tf.mul(merged, maskT)
    }) as tf.Tensor2D
    hsAll.dispose()
    return h
  }
}

/** tanh; on wasm as 2·σ(2x) − 1 (see the header). */
function tanh<T extends tf.Tensor>(x: T): T {
  if (tf.getBackend() !== 'wasm') return tf.tanh(x)
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1)
}

/** One LSTM step for both directions: gates `x` [2B,4H] (input part), state h, c [2B,H]. */
function cellStep(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, Uf: tf.Tensor2D, Ub: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D; sig: tf.Tensor2D; g: tf.Tensor2D } {
  const B2 = x.shape[0]
  const B = B2 / 2
  const H = h.shape[1]
  const rec = tf.concat([tf.matMul(tf.slice(h, [0, 0], [B, H]), Uf), tf.matMul(tf.slice(h, [B, 0], [B, H]), Ub)], 0)
  const gates = tf.add(x, rec)
  const sig = tf.sigmoid(tf.slice(gates, [0, 0], [B2, 3 * H])) as tf.Tensor2D
  const g = tanh(tf.slice(gates, [0, 3 * H], [B2, H])) as tf.Tensor2D
  const i = tf.slice(sig, [0, 0], [B2, H])
  const f = tf.slice(sig, [0, H], [B2, H])
  const o = tf.slice(sig, [0, 2 * H], [B2, H])
  const c2 = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D
  const h2 = tf.mul(o, tanh(c2)) as tf.Tensor2D
  return { h: h2, c: c2, sig, g }
}

/** Reference recurrence: autodiff through every step. xs [L, 2B, 4H] → hs [L, 2B, H]. */
export function lstmScanAutodiff(xs: tf.Tensor3D, Uf: tf.Tensor2D, Ub: tf.Tensor2D): tf.Tensor3D {
  const [, B2] = xs.shape
  const H = Uf.shape[0]
  let h = tf.zeros([B2, H]) as tf.Tensor2D
  let c = tf.zeros([B2, H]) as tf.Tensor2D
  const hs: tf.Tensor2D[] = []
  for (const x of splitSteps(xs)) {
    const r = cellStep(x, h, c, Uf, Ub)
    h = r.h
    c = r.c
    hs.push(h)
  }
  return tf.stack(hs) as tf.Tensor3D
}

/** Fused recurrence with a hand-written BPTT (see `BiLstmArgs.fused`). xs [L, 2B, 4H] → hs [L, 2B, H]. */
export function lstmScan(xs: tf.Tensor3D, Uf: tf.Tensor2D, Ub: tf.Tensor2D): tf.Tensor3D {
  const f = tf.customGrad((...a: unknown[]) => {
    const [x3, uf, ub] = a as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D]
    const save = a[a.length - 1] as (t: tf.Tensor[]) => void
    const B2 = x3.shape[1]
    const H = uf.shape[0]
    let h = tf.zeros([B2, H]) as tf.Tensor2D
    let c = tf.zeros([B2, H]) as tf.Tensor2D
    const hs: tf.Tensor2D[] = []
    const cs: tf.Tensor2D[] = []
    const sigs: tf.Tensor2D[] = []
    const gs: tf.Tensor2D[] = []
    const steps = tf.tidy(() => splitSteps(x3))
    for (const x of steps) {
      // a step's temporaries (recurrent products, gate slices, tanh) go at once: held to the end of
      // the scan they were most of its memory (~0.2 MB per title character)
      const r = tf.tidy(() => cellStep(x, h, c, uf, ub))
      h = r.h
      c = r.c
      hs.push(h)
      cs.push(c)
      sigs.push(r.sig)
      gs.push(r.g)
    }
    const hAll = tf.stack(hs) as tf.Tensor3D // [L,2B,H]
    const cAll = tf.stack(cs) as tf.Tensor3D
    const sigAll = tf.stack(sigs) as tf.Tensor3D // [L,2B,3H]
    const gAll = tf.stack(gs) as tf.Tensor3D
    // the stacks are copies: the per-step tensors are not needed any more
    tf.dispose([...steps, ...hs, ...cs, ...sigs, ...gs])
    save([uf, ub, hAll, cAll, sigAll, gAll])
    return {
      value: hAll,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [uf2, ub2, hA, cA, sA, gA] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
        return lstmScanGrad(dy as tf.Tensor3D, uf2, ub2, hA, cA, sA, gA)
      },
    }
  })
  return f(xs, Uf, Ub) as tf.Tensor3D
}

function lstmScanGrad(
  dHs: tf.Tensor3D,
  Uf: tf.Tensor2D,
  Ub: tf.Tensor2D,
  hA: tf.Tensor3D,
  cA: tf.Tensor3D,
  sA: tf.Tensor3D,
  gA: tf.Tensor3D,
): tf.Tensor[] {
  return tf.tidy(() => {
    const [L, B2, H] = hA.shape
    const B = B2 / 2
    const i = tf.slice(sA, [0, 0, 0], [L, B2, H])
    const f = tf.slice(sA, [0, 0, H], [L, B2, H])
    const o = tf.slice(sA, [0, 0, 2 * H], [L, B2, H])
    const cPrev = shiftDown(cA)
    const tc = tanh(cA)
    const one = tf.scalar(1)
    // dc_t += dh_t * A_t ; dG_t = [dc*Pi, dc*Pf, dh*Po, dc*Pg]
    const A = tf.mul(o, tf.sub(one, tf.square(tc)))
    const P = tf.concat(
      [
        tf.mul(gA, tf.mul(i, tf.sub(one, i))),
        tf.mul(cPrev, tf.mul(f, tf.sub(one, f))),
        tf.mul(tc, tf.mul(o, tf.sub(one, o))),
        tf.mul(i, tf.sub(one, tf.square(gA))),
      ],
      2,
    ) as tf.Tensor3D
    const Ps = splitSteps(P)
    const As = splitSteps(A as tf.Tensor3D)
    const Fs = splitSteps(f as tf.Tensor3D)
    const dHsSteps = splitSteps(dHs)
    const UfT = tf.transpose(Uf)
    const UbT = tf.transpose(Ub)
    const dG: tf.Tensor2D[] = new Array(L)
    let dhNext: tf.Tensor2D | null = null
    let dcNext: tf.Tensor2D | null = null
    for (let t = L - 1; t >= 0; t--) {
      // per step only dG_t and the carried dh, dc outlive it (as in the forward scan)
      const [dhIn, dcIn] = [dhNext, dcNext]
      const [g, dcN, dhN] = tf.tidy((): tf.Tensor2D[] => {
        const dh = dhIn ? tf.add(dHsSteps[t]!, dhIn) : dHsSteps[t]!
        let dc = tf.mul(dh, As[t]!)
        if (dcIn) dc = tf.add(dc, dcIn)
        const g = tf.mul(tf.concat([dc, dc, dh, dc], 1), Ps[t]!) as tf.Tensor2D
        const dcN = tf.mul(dc, Fs[t]!) as tf.Tensor2D
        if (t === 0) return [g, dcN]
        return [g, dcN, tf.concat([tf.matMul(tf.slice(g, [0, 0], [B, 4 * H]), UfT), tf.matMul(tf.slice(g, [B, 0], [B, 4 * H]), UbT)], 0) as tf.Tensor2D]
      })
      tf.dispose([dhIn, dcIn].filter((x): x is tf.Tensor2D => !!x))
      dG[t] = g!
      dcNext = dcN!
      dhNext = dhN ?? null
    }
    const dXs = tf.stack(dG) as tf.Tensor3D // [L,2B,4H]
    // dU = Σ_t h_{t-1}ᵀ dG_t, per direction, as one matmul over all steps
    const hPrev = shiftDown(hA)
    const dir = (t3: tf.Tensor3D, start: number, width: number): tf.Tensor2D => tf.reshape(tf.slice(t3, [0, start, 0], [L, B, width]), [L * B, width]) as tf.Tensor2D
    const dUf = tf.matMul(tf.transpose(dir(hPrev as tf.Tensor3D, 0, H)), dir(dXs, 0, 4 * H))
    const dUb = tf.matMul(tf.transpose(dir(hPrev as tf.Tensor3D, B, H)), dir(dXs, B, 4 * H))
    return [dXs, dUf, dUb]
  })
}

/** [L, N, D] → the same shifted one step later in time, zeros at t = 0. */
function shiftDown(x: tf.Tensor3D): tf.Tensor3D {
  const [L, N, D] = x.shape
  if (L === 1) return tf.zeros([1, N, D])
  return tf.concat([tf.zeros([1, N, D]), tf.slice(x, [0, 0, 0], [L - 1, N, D])], 0) as tf.Tensor3D
}
