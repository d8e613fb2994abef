/** Seeded initialisers and the two trivial layers (embedding, dense). */
import * as tf from '@tensorflow/tfjs'
import { makeRng } from '../train/rng'

/** A trainable variable from an initial tensor (which is disposed: no tensor left behind). */
export function makeVariable(init: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(init, true, name)
  init.dispose()
  return v
}

export function uniformInit(shape: number[], limit: number, seed: number): tf.Tensor {
  const rng = makeRng(seed)
  const n = shape.reduce((a, b) => a * b, 1)
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = (rng() * 2 - 1) * limit
  return tf.tensor(a, shape)
}

/** Standard normal × `std` (Box–Muller over the seeded generator). */
function normalInit(shape: number[], std: number, seed: number): tf.Tensor {
  const rng = makeRng(seed)
  const n = shape.reduce((a, b) => a * b, 1)
  const a = new Float32Array(n)
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng())) * std
    const t = 2 * Math.PI * rng()
    a[i] = r * Math.cos(t)
    if (i + 1 < n) a[i + 1] = r * Math.sin(t)
  }
  return tf.tensor(a, shape)
}

/** Glorot/Xavier uniform for a [fanIn, fanOut] kernel. */
function glorot(fanIn: number, fanOut: number, seed: number): tf.Tensor {
  return uniformInit([fanIn, fanOut], Math.sqrt(6 / (fanIn + fanOut)), seed)
}

interface EmbeddingArgs {
  /** Vocabulary size (row 0 = padding, row 1 = unknown by convention of ../text/vocab.ts). */
  vocabSize: number
  /** Embedding size. */
  dim: number
  /** Variable name prefix. */
  name: string
  /** Init seed (the caller derives one per layer). */
  seed: number
}

/**
 * Embedding table `[V, D]`, initialised N(0, 1) as PyTorch's nn.Embedding (the reference): with
 * tfjs-layers' uniform(±0.05) the BiLSTM sees near-identical inputs at first and, at Adam 1e-3,
 * learns visibly slower per epoch (bench/results/quality.md).
 */
export class Embedding {
  readonly table: tf.Variable
  constructor(args: EmbeddingArgs) {
    this.table = makeVariable(normalInit([args.vocabSize, args.dim], 1, args.seed), `${args.name}/table`)
  }
  get variables(): tf.Variable[] {
    return [this.table]
  }
}

interface DenseArgs {
  inputSize: number
  units: number
  name: string
  seed: number
}

/** Affine layer on 2-D inputs `[N, in] → [N, units]` (glorot kernel, zero bias). */
export class Dense {
  readonly kernel: tf.Variable
  readonly bias: tf.Variable
  constructor(args: DenseArgs) {
    this.kernel = makeVariable(glorot(args.inputSize, args.units, args.seed), `${args.name}/kernel`)
    this.bias = makeVariable(tf.zeros([args.units]), `${args.name}/bias`)
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.kernel as tf.Tensor2D), this.bias)
  }
  get variables(): tf.Variable[] {
    return [this.kernel, this.bias]
  }
}
