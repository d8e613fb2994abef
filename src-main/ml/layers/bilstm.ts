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
 */
import * as tf from '@tensorflow/tfjs'
import { childSeed } from '../train/rng'
import { makeVariable, uniformInit } from './init'

export interface BiLstmArgs {
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
}

/** Per-title reversal within length: row b·L+t ↦ b·L+(len−1−t) for t < len, itself otherwise. */
export function reverseIndex(lengths: readonly number[], L: number): Int32Array {
  const idx = new Int32Array(lengths.length * L)
  lengths.forEach((len, b) => {
    for (let t = 0; t < L; t++) idx[b * L + t] = b * L + (t < len ? len - 1 - t : t)
  })
  return idx
}

/** `[L, N, D]` → L tensors `[N, D]` (split, not unstack: wasm's Unpack is very slow). */
export function splitSteps(x: tf.Tensor3D): tf.Tensor2D[] {
  const [L, N, D] = x.shape
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
    this.args = { merge: 'add', ...args }
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
    const H = this.args.hidden
    const G = 4 * H
    const rev = tf.tensor1d(reverseIndex(lengths, L), 'int32')
    const mask = new Float32Array(B * L)
    lengths.forEach((n, b) => mask.fill(1, b * L, b * L + Math.min(n, L)))
    const maskT = tf.tensor2d(mask, [B * L, 1])
    // one projection for all steps and both directions
    const proj = tf.add(tf.matMul(x, this.kernel as tf.Tensor2D), this.bias) // [B·L, 8H]
    const fwIn = tf.slice(proj, [0, 0], [B * L, G])
    const bwIn = tf.gather(tf.slice(proj, [0, G], [B * L, G]), rev) // reversed within length
    // [L, 2B, 4H] then one tensor per step
    const both = tf.concat([tf.reshape(fwIn, [B, L, G]), tf.reshape(bwIn, [B, L, G])], 0)
    const steps = splitSteps(tf.transpose(both, [1, 0, 2]) as tf.Tensor3D)
    let h = tf.zeros([2 * B, H]) as tf.Tensor2D
    let c = tf.zeros([2 * B, H]) as tf.Tensor2D
    const hs: tf.Tensor2D[] = []
    const Uf = this.recurrentFw as tf.Tensor2D
    const Ub = this.recurrentBw as tf.Tensor2D
    for (let t = 0; t < L; t++) {
      const hf = tf.slice(h, [0, 0], [B, H])
      const hb = tf.slice(h, [B, 0], [B, H])
      const rec = tf.concat([tf.matMul(hf, Uf), tf.matMul(hb, Ub)], 0)
      const gates = tf.add(steps[t]!, rec)
      const sig = tf.sigmoid(tf.slice(gates, [0, 0], [2 * B, 3 * H]))
      const g = tf.tanh(tf.slice(gates, [0, 3 * H], [2 * B, H]))
      const i = tf.slice(sig, [0, 0], [2 * B, H])
      const f = tf.slice(sig, [0, H], [2 * B, H])
      const o = tf.slice(sig, [0, 2 * H], [2 * B, H])
      c = tf.add(tf.mul(f, c), tf.mul(i, g))
      h = tf.mul(o, tf.tanh(c))
      hs.push(h)
    }
    const out = tf.transpose(tf.stack(hs), [1, 0, 2]) // [2B, L, H]
    const fwOut = tf.reshape(tf.slice(out, [0, 0, 0], [B, L, H]), [B * L, H])
    const bwOut = tf.gather(tf.reshape(tf.slice(out, [B, 0, 0], [B, L, H]), [B * L, H]), rev)
    const merged = this.args.merge === 'concat' ? tf.concat([fwOut, bwOut], 1) : tf.add(fwOut, bwOut)
    return tf.mul(merged, maskT)
  }
}
