/**
 * BERT encoder in TensorFlow.js (any size, from a `BertConfig`), numerically equal to Hugging Face
 * `BertModel(...).last_hidden_state` (checked against an independent torch reference in
 * test/unit/ml/bert/equality.test.ts).
 *
 * Weights are `tf.Variable`s named by the HF `BertModel` state-dict names (no `bert.` prefix).
 * Weight maps (load, `getWeights`, safetensors) use HF orientation: Linear weights [out, in]. The
 * variables of Linear weights, however, hold the transpose [in, out] (TF's kernel layout), because
 * `matMul(x, W, false, true)` is ~7× slower than `matMul(x, Wt)` on the wasm backend (measured:
 * 1009 ms vs 148 ms for 416×768 · 768×3072); dense layers compute x · Wt + b.
 *
 *   embeddings.{word,position,token_type}_embeddings.weight   [V,H] [P,H] [T,H]
 *   embeddings.LayerNorm.{weight,bias}                         [H]
 *   encoder.layer.{i}.attention.self.{query,key,value}.{weight,bias}   [H,H] [H]
 *   encoder.layer.{i}.attention.output.dense.{weight,bias}             [H,H] [H]
 *   encoder.layer.{i}.attention.output.LayerNorm.{weight,bias}         [H]
 *   encoder.layer.{i}.intermediate.dense.{weight,bias}                 [I,H] [I]
 *   encoder.layer.{i}.output.dense.{weight,bias}                       [H,I] [H]
 *   encoder.layer.{i}.output.LayerNorm.{weight,bias}                   [H]
 *
 * Padding: keys with attention mask 0 get an additive -10000 on their attention logits (Google's
 * and older HF's choice; exp(-10000) underflows to exactly 0 in float32, so this equals -inf for any
 * row with at least one real key and never produces NaN for all-padding rows).
 * GELU is exact: 0.5·x·(1 + erf(x/√2)). Dropout (embeddings, attention probabilities, both
 * residual branches) is applied only when `training` is true — evaluation is deterministic.
 */
import * as tf from '@tensorflow/tfjs'
import { bertConfigToJson, parseBertConfig, type BertConfig } from './config'
import { readSafetensors, serializeSafetensors, floatTensors, type FloatTensor } from './safetensors'
import { writeFileSync } from 'node:fs'

export type WeightMap = Map<string, FloatTensor>

class BertWeightsError extends Error {
  override name = 'BertWeightsError'
}

/** Every tensor the encoder needs, with its expected shape. */
export function expectedShapes(c: BertConfig): Map<string, number[]> {
  const H = c.hiddenSize
  const m = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [c.vocabSize, H]],
    ['embeddings.position_embeddings.weight', [c.maxPositions, H]],
    ['embeddings.token_type_embeddings.weight', [c.typeVocabSize, H]],
    ['embeddings.LayerNorm.weight', [H]],
    ['embeddings.LayerNorm.bias', [H]],
  ])
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.layer.${i}.`
    for (const n of ['query', 'key', 'value']) {
      m.set(`${p}attention.self.${n}.weight`, [H, H])
      m.set(`${p}attention.self.${n}.bias`, [H])
    }
    m.set(`${p}attention.output.dense.weight`, [H, H])
    m.set(`${p}attention.output.dense.bias`, [H])
    m.set(`${p}attention.output.LayerNorm.weight`, [H])
    m.set(`${p}attention.output.LayerNorm.bias`, [H])
    m.set(`${p}intermediate.dense.weight`, [c.intermediateSize, H])
    m.set(`${p}intermediate.dense.bias`, [c.intermediateSize])
    m.set(`${p}output.dense.weight`, [H, c.intermediateSize])
    m.set(`${p}output.dense.bias`, [H])
    m.set(`${p}output.LayerNorm.weight`, [H])
    m.set(`${p}output.LayerNorm.bias`, [H])
  }
  return m
}

/**
 * Normalise a Hugging Face tensor name to the internal name: strips a leading `bert.` (checkpoints
 * of `BertForMaskedLM`, `BertForTokenClassification`, …), maps old `LayerNorm.gamma/beta` to
 * `weight/bias`. Returns null for tensors that are known but not part of the encoder and are
 * skipped silently: `pooler.*`, `cls.*` (pre-training heads), `classifier.*`,
 * `embeddings.position_ids` (a buffer).
 */
export function normalizeHfName(name: string): string | null {
  let n = name.startsWith('bert.') ? name.slice(5) : name
  if (/^(pooler|cls|classifier)\./.test(n) || n === 'embeddings.position_ids') return null
  n = n.replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight').replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias')
  return n
}

export interface LoadWeightsOptions {
  /**
   * What to do with a tensor that is neither an encoder weight nor a known-ignorable one
   * (see `normalizeHfName`). Default 'error': an unexpected name usually means a different
   * architecture or a config that does not match the weights (e.g. more layers than
   * `num_hidden_layers`).
   */
  unknownTensors?: 'error' | 'warn' | 'ignore'
  onWarning?: (message: string) => void
  /** Names the weights file in messages. */
  source?: string
}

/**
 * Validate tensor names and shapes (already in internal names) against the config: every missing
 * tensor, unknown tensor and shape mismatch is named, in one `BertWeightsError`. `extra` may add a
 * problem for a tensor whose shape is right (the full import checks its value count). Returns the
 * names of the encoder tensors. The one validation behind both `validateWeights` (full import) and
 * the shapes-only `inspectBertFolder`.
 */
export function validateShapes(
  c: BertConfig,
  shapes: ReadonlyMap<string, readonly number[]>,
  opts: LoadWeightsOptions = {},
  extra?: (name: string, shape: number[]) => string | null,
): string[] {
  const src = opts.source ?? 'weights'
  const exp = expectedShapes(c)
  const problems: string[] = []
  const unknown: string[] = []
  const known: string[] = []
  for (const [name, got] of shapes) {
    const shape = exp.get(name)
    if (!shape) {
      unknown.push(name)
      continue
    }
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      problems.push(`shape mismatch for "${name}": file has [${got.join(', ')}], config needs [${shape.join(', ')}]`)
    } else {
      const p = extra?.(name, shape)
      if (p) problems.push(p)
    }
    known.push(name)
  }
  const missing = [...exp.keys()].filter((n) => !shapes.has(n))
  if (missing.length) problems.unshift(`missing tensor${missing.length > 1 ? 's' : ''}: ${listNames(missing)}`)
  const policy = opts.unknownTensors ?? 'error'
  if (unknown.length) {
    const msg = `unknown tensor${unknown.length > 1 ? 's' : ''} (not in a ${c.numLayers}-layer BERT encoder): ${listNames(unknown)}`
    if (policy === 'error') problems.push(msg)
    else if (policy === 'warn') (opts.onWarning ?? console.warn)(`${src}: ${msg}`)
  }
  if (problems.length) throw new BertWeightsError(`${src}: ${problems.join('; ')}`)
  return known
}

/**
 * Validate a weight map (already in internal names) against the config (`validateShapes`, plus
 * each tensor's value count). Returns the map restricted to encoder tensors.
 */
export function validateWeights(c: BertConfig, weights: WeightMap, opts: LoadWeightsOptions = {}): WeightMap {
  const shapes = new Map([...weights].map(([name, t]) => [name, t.shape]))
  const known = validateShapes(c, shapes, opts, (name, shape) => {
    const n = weights.get(name)!.data.length
    return n !== shape.reduce((a, b) => a * b, 1) ? `"${name}" has ${n} values for shape [${shape.join(', ')}]` : null
  })
  return new Map(known.map((name) => [name, weights.get(name)!]))
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => `"${n}"`).join(', ')
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown
}

/** Re-key a HF state dict (tensors or shapes) to internal names, dropping known-ignorable tensors. */
export function fromHfNames<T>(weights: Map<string, T>): Map<string, T> {
  const out = new Map<string, T>()
  for (const [name, t] of weights) {
    const n = normalizeHfName(name)
    if (n !== null) out.set(n, t)
  }
  return out
}

let encoderCounter = 0

/**
 * Embedding lookup `table[ids]` whose gradient is a `scatterND` (sums rows of repeated ids) instead
 * of tfjs' default `unsortedSegmentSum`, a kernel the wasm backend lacks. Equal gradients (tested).
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const H = table.shape[1]
  // ids is an input (not a closure) so the engine keeps it alive for the backward pass even when
  // the forward ran inside tf.tidy; its "gradient" is zero.
  const lookup = tf.customGrad((...args) => {
    const [t, i, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc]
    save([i])
    return {
      value: tf.gather(t, i),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const idx = saved[0]!
        const g = tf.scatterND(idx.reshape([-1, 1]), (dy as tf.Tensor).reshape([-1, H]), t.shape)
        return [g, tf.zeros(idx.shape)]
      },
    }
  })
  return lookup(table, ids)
}

const swapLast = (t: tf.Tensor): tf.Tensor => {
  const perm = t.shape.map((_, i) => i)
  perm[perm.length - 1] = perm.length - 2
  perm[perm.length - 2] = perm.length - 1
  return t.transpose(perm)
}

/**
 * `matMul(a, b)` (rank 2 or batched, same batch dims) whose gradients use explicit transposes:
 * da = dy · bᵀ, db = aᵀ · dy with `transpose` + plain `matMul`. tfjs' own matMul gradient uses
 * transposed matMuls, which the wasm backend runs 5–20× slower (measured: aᵀ·dy for
 * [416,3072]ᵀ·[416,768] 4.8 s vs ~0.15 s); on cpu both ways are equivalent.
 */
export function matMulFast(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc]
    save([x, y])
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor, tf.Tensor]
        const d = dy as tf.Tensor
        return [tf.matMul(d, swapLast(sy)), tf.matMul(swapLast(sx), d)]
      },
    }
  })
  return f(a, b)
}

/** Linear (dense) weights: stored transposed ([in, out]) in the variables. */
const isLinearWeight = (name: string): boolean => /\.(query|key|value|dense)\.weight$/.test(name)

interface ApplyOptions {
  /** Dropout on when true. Default false. */
  training?: boolean
  /** [B, S] int32 segment ids; default all 0. */
  tokenTypeIds?: tf.Tensor2D
  /** Training only: one dropout rate for hidden and attention dropout instead of the config's. */
  dropout?: number
  /** Training only: seed of this call's dropout masks (each mask gets seed + k); absent = unseeded. */
  seed?: number
}

interface FreezeOptions {
  /** Freeze the embedding tables and their LayerNorm. */
  embeddings?: boolean
  /** Freeze encoder layers 0 … layers-1 (the lowest ones). */
  layers?: number
}

export class BertEncoder {
  readonly config: BertConfig
  /**
   * Internal name → variable, in `expectedShapes` order. Linear weights are held as [in, out]
   * (transposed w.r.t. the HF name's [out, in]); use `getWeights()` for HF orientation.
   */
  readonly variables: Map<string, tf.Variable>
  private readonly prefix: string
  private disposed = false

  private constructor(config: BertConfig, init: (name: string, shape: number[]) => tf.Tensor) {
    this.config = config
    this.prefix = `bert_encoder_${++encoderCounter}/`
    this.variables = new Map()
    for (const [name, shape] of expectedShapes(config)) {
      const v = tf.tidy(() => {
        const t = init(name, shape)
        return tf.variable(isLinearWeight(name) ? t.transpose() : t, true, this.prefix + name)
      })
      this.variables.set(name, v)
    }
  }

  /** Build from a weight map in internal names (validated; see `validateWeights`). */
  static fromWeights(config: BertConfig, weights: WeightMap, opts: LoadWeightsOptions = {}): BertEncoder {
    const w = validateWeights(config, weights, opts)
    return new BertEncoder(config, (name, shape) => tf.tensor(w.get(name)!.data, shape, 'float32'))
  }

  /**
   * Random BERT initialisation (truncated normal, std `initializerRange`; LayerNorm 1/0; biases 0).
   * For benchmarks and tests; `seed` makes it reproducible.
   */
  static random(config: BertConfig, seed = 1): BertEncoder {
    let k = 0
    return new BertEncoder(config, (name, shape) => {
      if (name.endsWith('LayerNorm.weight')) return tf.ones(shape)
      if (name.endsWith('.bias')) return tf.zeros(shape)
      return tf.truncatedNormal(shape, 0, config.initializerRange, 'float32', seed + k++)
    })
  }

  /** All-zero weights (a shell to assign stored weights into, e.g. from a tagger checkpoint). */
  static zeros(config: BertConfig): BertEncoder {
    return new BertEncoder(config, (_name, shape) => tf.zeros(shape))
  }

  /** Load a safetensors file written by `saveToSafetensors` (config in the metadata) or HF. */
  static loadSafetensors(path: string, config?: BertConfig, opts: LoadWeightsOptions = {}): BertEncoder {
    const f = readSafetensors(path)
    let c = config
    if (!c) {
      const meta = f.metadata.bert_config
      if (!meta) throw new BertWeightsError(`${path}: no config given and no "bert_config" in __metadata__`)
      c = parseBertConfig(JSON.parse(meta), `${path} (__metadata__.bert_config)`)
    }
    return BertEncoder.fromWeights(c, fromHfNames(floatTensors(f, path)), { source: path, ...opts })
  }

  private v(name: string): tf.Variable {
    const x = this.variables.get(name)
    if (!x) throw new Error(`BertEncoder: no variable ${name}`)
    return x
  }

  /**
   * Forward pass. `inputIds` [B, S] int32 with S ≤ maxPositions; `attentionMask` [B, S] (1 real,
   * 0 padding; any numeric dtype). Returns the last hidden states [B, S, H] (caller disposes).
   */
  apply(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, opts: ApplyOptions = {}): tf.Tensor3D {
    if (this.disposed) throw new Error('BertEncoder: used after dispose()')
    const c = this.config
    const [B, S] = inputIds.shape
    if (S > c.maxPositions) throw new RangeError(`BertEncoder: sequence length ${S} > max_position_embeddings ${c.maxPositions}; use windows()`)
    if (attentionMask.shape[0] !== B || attentionMask.shape[1] !== S) {
      throw new RangeError(`BertEncoder: attention mask shape [${attentionMask.shape}] ≠ input ids shape [${inputIds.shape}]`)
    }
    const training = opts.training ?? false
    const H = c.hiddenSize
    const nh = c.numHeads
    const dh = H / nh
    let masks = 0
    const drop = (x: tf.Tensor, configured: number): tf.Tensor => {
      const rate = opts.dropout ?? configured
      if (!training || rate <= 0) return x
      return opts.seed === undefined ? tf.dropout(x, rate) : tf.dropout(x, rate, undefined, opts.seed + masks++)
    }
    const dense = (x: tf.Tensor, prefix: string): tf.Tensor => {
      const W = this.v(`${prefix}.weight`)
      const b = this.v(`${prefix}.bias`)
      const shape = x.shape
      const x2 = x.reshape([-1, shape[shape.length - 1]!])
      const y = tf.add(matMulFast(x2, W), b) // W: [in, out]
      return y.reshape([...shape.slice(0, -1), W.shape[1]!])
    }
    const layerNorm = (x: tf.Tensor, prefix: string): tf.Tensor => {
      const { mean, variance } = tf.moments(x, -1, true)
      const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, c.layerNormEps)))
      return tf.add(tf.mul(xhat, this.v(`${prefix}.weight`)), this.v(`${prefix}.bias`))
    }
    const gelu = (x: tf.Tensor): tf.Tensor => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))))

    return tf.tidy(() => {
      const ids = inputIds.dtype === 'int32' ? inputIds : inputIds.toInt()
      const emb = (name: string, i: tf.Tensor): tf.Tensor => embeddingLookup(this.v(name) as tf.Tensor2D, i)
      const word = emb('embeddings.word_embeddings.weight', ids)
      const pos = emb('embeddings.position_embeddings.weight', tf.range(0, S, 1, 'int32')).expandDims(0)
      const tt = emb('embeddings.token_type_embeddings.weight', opts.tokenTypeIds ? opts.tokenTypeIds.toInt() : tf.zeros([1, S], 'int32'))
      let h = drop(layerNorm(tf.add(tf.add(word, pos), tt), 'embeddings.LayerNorm'), c.hiddenDropout)
      // [B, 1, 1, S]: 0 for real keys, -10000 for padding keys
      const bias = tf.mul(tf.sub(1, attentionMask.toFloat()), -10000).reshape([B, 1, 1, S])
      const heads = (x: tf.Tensor): tf.Tensor => x.reshape([B, S, nh, dh]).transpose([0, 2, 1, 3])
      const scale = 1 / Math.sqrt(dh)
      for (let i = 0; i < c.numLayers; i++) {
        const p = `encoder.layer.${i}.`
        const q = heads(dense(h, `${p}attention.self.query`))
        // keys as [B, nh, dh, S]: an explicit transpose + plain matMul is faster than a transposed
        // matMul on wasm
        const kT = dense(h, `${p}attention.self.key`).reshape([B, S, nh, dh]).transpose([0, 2, 3, 1])
        const v = heads(dense(h, `${p}attention.self.value`))
        const scores = tf.add(tf.mul(matMulFast(q, kT), scale), bias)
        const probs = drop(tf.softmax(scores, -1), c.attentionDropout)
        const ctx = matMulFast(probs, v).transpose([0, 2, 1, 3]).reshape([B, S, H])
        const attn = drop(dense(ctx, `${p}attention.output.dense`), c.hiddenDropout)
        h = layerNorm(tf.add(attn, h), `${p}attention.output.LayerNorm`)
        const inter = gelu(dense(h, `${p}intermediate.dense`))
        const out = drop(dense(inter, `${p}output.dense`), c.hiddenDropout)
        h = layerNorm(tf.add(out, h), `${p}output.LayerNorm`)
      }
      return h as tf.Tensor3D
    })
  }

  /** Convenience: forward already-padded JS arrays (eval mode). */
  forward(ids: number[][], mask: number[][], opts: ApplyOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.apply(tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(mask, undefined, 'int32'), opts))
  }

  /**
   * Mark the lowest layers (and optionally the embeddings) as not trainable; everything else
   * trainable. Calling again replaces the previous setting.
   */
  freeze(opts: FreezeOptions): void {
    const layers = opts.layers ?? 0
    if (!Number.isInteger(layers) || layers < 0 || layers > this.config.numLayers) {
      throw new RangeError(`BertEncoder.freeze: layers must be in [0, ${this.config.numLayers}], got ${layers}`)
    }
    for (const [name, v] of this.variables) {
      const m = /^encoder\.layer\.(\d+)\./.exec(name)
      const frozen = m ? Number(m[1]) < layers : !!opts.embeddings
      v.trainable = !frozen
    }
  }

  /** The encoder's trainable variables (for the encoder's optimiser group, e.g. lr 1e-4). */
  trainableVariables(): tf.Variable[] {
    return [...this.variables.values()].filter((v) => v.trainable)
  }

  allVariables(): tf.Variable[] {
    return [...this.variables.values()]
  }

  /** Weights as internal-name → {shape, data} (copies). */
  getWeights(): WeightMap {
    const out: WeightMap = new Map()
    for (const [name, v] of this.variables) {
      if (isLinearWeight(name)) {
        const t = v.transpose()
        out.set(name, { shape: [...t.shape], data: t.dataSync() as Float32Array })
        t.dispose()
      } else out.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array })
    }
    return out
  }

  /** Safetensors bytes of all encoder weights (F32, HF names) with the config in `__metadata__.bert_config`. */
  toSafetensors(extraMetadata: Record<string, string> = {}): Buffer {
    return serializeSafetensors(this.getWeights(), {
      format: 'pt',
      bert_config: JSON.stringify(bertConfigToJson(this.config)),
      ...extraMetadata,
    })
  }

  /** Store the encoder (self-contained: config in metadata) — reload with `BertEncoder.loadSafetensors(path)`. */
  saveToSafetensors(path: string, extraMetadata: Record<string, string> = {}): void {
    writeFileSync(path, this.toSafetensors(extraMetadata))
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const v of this.variables.values()) v.dispose()
  }
}
