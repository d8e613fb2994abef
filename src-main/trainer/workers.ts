/**
 * Data-parallel training on worker threads.
 *
 * The trainer (the coordinator) starts N − 1 helper threads, each with its own tfjs backend (a
 * module instance, and so a wasm heap, of its own) and a replica of the model (sent once, as a
 * checkpoint). Every batch is split into N contiguous shares of about equal characters; each
 * thread computes the gradient of its share normalised by the WHOLE batch (`shareGradients`, the
 * rule of gradient accumulation), the coordinator sums them and applies ONE optimiser step — the
 * same update as one thread — and the helpers read the new weights before their next share. Only
 * the coordinator holds optimiser state, evaluates and writes checkpoints.
 *
 * Weights and gradients travel through SharedArrayBuffers (one weight buffer, one gradient buffer
 * per helper, in the variables' order): a step's exchange is a few memory copies, not 2 × 15 MB
 * serialised through a pipe per helper, and every helper reads the weights at once instead of the
 * coordinator sending them one helper after another. Messages carry only the shares' titles.
 * No buffer is read while it is written: helpers read weights only after a step message, which the
 * coordinator sends after its writes; it reads a helper's gradients only after that helper's reply.
 *
 * Threads need a backend that loads once per thread: wasm and cpu do; tfjs-node's native addon
 * cannot be loaded twice in one process and WebGPU has one device, so those backends train on one
 * thread (they parallelise their own kernels: `ownsParallelism`). A helper that throws or dies
 * fails the run with its reason; helpers end with the coordinator's process, so none is left behind.
 */
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import type { TrainConfig } from '../shared/training'
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../ml/checkpoint'
import type { TitleFeatures } from '../ml/models/features'
import type { Tagger } from '../ml/models/tagger'
import type { GroupedAdam } from '../ml/train/optimizer'
import { batchNorm, microBatchSize, shareGradients, type BatchNorm, type ParallelStepper } from '../ml/train/trainer'
import { initBackend, type BackendName } from '../ml/backend'
import { resolveTrainerEntry } from './locate'

/**
 * Backends that parallelise their own kernels (tfjs-node's threads, WebGPU's one device): a
 * default of one process on them, for training and prediction alike.
 */
export function ownsParallelism(backend: string): boolean {
  return backend === 'tensorflow' || backend === 'webgpu'
}

/** Upper bound of the default: beyond it a batch of 32 splits into shares too small to keep a core busy. */
export const MAX_DEFAULT_WORKERS = 8
/** Fewest titles per share the default allows. */
const MIN_SHARE = 4

/**
 * Workers for a run: 1 on tfjs-node (it threads its own kernels, and its addon loads once per
 * process) and on WebGPU (one device), whatever was asked; else `requested` (config.workers) if
 * given, or one per core on wasm/cpu (at most MAX_DEFAULT_WORKERS, and at least MIN_SHARE titles
 * per share). Never more than the batch has titles.
 */
export function resolveWorkers(requested: number | undefined, backend: string, batchSize: number, cores = os.availableParallelism()): number {
  if (ownsParallelism(backend)) return 1
  if (requested !== undefined) return Math.max(1, Math.min(requested, batchSize))
  return Math.max(1, Math.min(cores, MAX_DEFAULT_WORKERS, Math.floor(batchSize / MIN_SHARE)))
}

/** Contiguous shares of `items` with about equal characters each (never an empty share while n ≤ items). */
export function splitShares<T extends { charIds: ArrayLike<number> }>(items: readonly T[], n: number): T[][] {
  const k = Math.max(1, Math.min(n, items.length))
  const total = items.reduce((a, e) => a + e.charIds.length, 0)
  const out: T[][] = []
  let i = 0
  let acc = 0
  for (let s = 0; s < k; s++) {
    const share: T[] = []
    const target = (total * (s + 1)) / k
    // leave at least one title for each later share
    while (i < items.length - (k - s - 1) && (share.length === 0 || s === k - 1 || acc + items[i]!.charIds.length / 2 <= target)) {
      acc += items[i]!.charIds.length
      share.push(items[i++]!)
    }
    out.push(share)
  }
  return out
}

// ---- messages (coordinator ⇄ helper thread) ----

export interface WorkerInit {
  type: 'worker-init'
  index: number
  backend: string
  checkpoint: Checkpoint
  /** Trainable variables, by checkpoint name, in the coordinator's order. */
  names: string[]
  freeze?: { layers: number; embeddings: boolean }
  /** The trainable variables' values, concatenated in `names` order (the coordinator writes them). */
  weights: SharedArrayBuffer
  /** This helper's gradient of its share, in the same layout (the helper writes it). */
  grads: SharedArrayBuffer
}
export interface WorkerStep {
  type: 'worker-step'
  id: number
  items: TitleFeatures[]
  norm: BatchNorm
  microSize: number
}
export type WorkerRequest = WorkerInit | WorkerStep
export type WorkerReply =
  | { type: 'worker-ready'; index: number }
  /** `heapBytes`: the helper's backend memory (tf.memory().numBytes: its tensors, weights included). */
  | { type: 'worker-grads'; id: number; loss: number; heapBytes: number }
  | { type: 'worker-error'; message: string }

export function isWorkerRequest(m: unknown): m is WorkerRequest {
  const t = (m as { type?: unknown } | null)?.type
  return t === 'worker-init' || t === 'worker-step'
}

/** Float32 views of one buffer laid out as `sizes` one after another. */
function views(buffer: SharedArrayBuffer, sizes: readonly number[]): Float32Array[] {
  let offset = 0
  return sizes.map((n) => {
    const v = new Float32Array(buffer, offset * 4, n)
    offset += n
    return v
  })
}

/** Helper side: handles one helper thread's messages (the trainer entry routes them here). */
export function gradientWorker(send: (m: WorkerReply) => void): (m: WorkerRequest) => Promise<void> {
  let model: Tagger | null = null
  let config: TrainConfig | null = null
  let vars: tf.Variable[] = []
  let weights: Float32Array[] = []
  let grads: Float32Array[] = []
  return async (m) => {
    try {
      if (m.type === 'worker-init') {
        await initBackend(m.backend as BackendName)
        // a distinct dropout stream per worker (weights come from the checkpoint, not the seed)
        const c = (config = m.checkpoint.manifest.config)
        model = loadCheckpoint({ ...m.checkpoint, manifest: { ...m.checkpoint.manifest, config: { ...c, seed: c.seed + 7919 * m.index } } })
        if (m.freeze && model.bert) model.bert.freeze(m.freeze)
        const byName = new Map(model.variables.map((v) => [model!.localName(v), v]))
        vars = m.names.map((n) => {
          const v = byName.get(n)
          if (!v) throw new Error(`worker ${m.index}: the model has no variable '${n}'`)
          return v
        })
        const sizes = vars.map((v) => v.size)
        weights = views(m.weights, sizes)
        grads = views(m.grads, sizes)
        send({ type: 'worker-ready', index: m.index })
        return
      }
      if (!model || !config) throw new Error('worker: step before init')
      // the coordinator's current weights (written before this message was sent)
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape))))
      const r = shareGradients(model, vars, m.items, config, m.norm, m.microSize)
      try {
        vars.forEach((v, i) => {
          const g = r.grads[v.name]
          if (g) grads[i]!.set(g.dataSync() as Float32Array)
          else grads[i]!.fill(0)
        })
      } finally {
        for (const g of Object.values(r.grads)) g.dispose()
      }
      send({ type: 'worker-grads', id: m.id, loss: r.loss, heapBytes: tf.memory().numBytes })
    } catch (e) {
      send({ type: 'worker-error', message: (e as Error).message })
    }
  }
}

/**
 * Start one helper thread on the trainer entry. Under tsx (tests, benchmarks) the thread first
 * registers tsx's loader: a thread does not inherit the `--import tsx` of its process.
 */
export function startHelperThread(o: { entry?: { entry: string; execArgv: string[] } }): Worker {
  const { entry, execArgv } = o.entry ?? resolveTrainerEntry()
  if (!execArgv.includes('tsx')) return new Worker(entry)
  return new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(entry)})`, { eval: true })
}

export interface PoolOptions {
  workers: number
  backend: string
  /** Trainer entry (default: the built or TS entry beside host.ts) and how to run it. */
  entry?: { entry: string; execArgv: string[] }
}

/** A helper thread and the reply it owes. */
interface Helper {
  thread: Worker
  index: number
  /** Its gradient of the current share (views of its buffer, in the variables' order). */
  grads: Float32Array[]
  pending: { resolve: (r: Extract<WorkerReply, { type: 'worker-grads' }>) => void; reject: (e: Error) => void } | null
  failure: Error | null
  /** Largest backend memory it reported. */
  peakBytes: number
}

/**
 * The trainer's `parallel` (ml/train/trainer.ts): a pool of as many workers as the config's
 * `workers` resolves to on `backend`, or null (one process) when that is one.
 */
export function parallelTrainer(backend: string) {
  return async (model: Tagger, opt: GroupedAdam, config: TrainConfig): Promise<ParallelStepper | null> => {
    const n = resolveWorkers(config.workers, backend, config.batchSize)
    return n > 1 ? startWorkerPool(model, opt, config, { workers: n, backend }) : null
  }
}

/**
 * Start `workers − 1` helper threads with a replica of `model` and return the step function that
 * replaces `trainStep`. Rejects (and stops what it started) if a helper fails to start.
 */
export async function startWorkerPool(model: Tagger, opt: GroupedAdam, config: TrainConfig, o: PoolOptions): Promise<ParallelStepper & { threads: Worker[]; helperBytes(): number[] }> {
  const n = Math.max(1, o.workers)
  const vars = opt.variables
  const names = vars.map((v) => model.localName(v))
  const sizes = vars.map((v) => v.size)
  const total = sizes.reduce((a, c) => a + c, 0)
  const weightBuffer = new SharedArrayBuffer(total * 4)
  const weights = views(weightBuffer, sizes)
  const writeWeights = (): void => vars.forEach((v, i) => weights[i]!.set(v.dataSync() as Float32Array))
  writeWeights()
  const checkpoint = await saveCheckpoint(model, { config })
  const freeze =
    model.bert && config.model.encoder === 'bert'
      ? { layers: Math.min(config.model.bert?.freezeLayers ?? 0, model.bert.config.numLayers), embeddings: config.model.bert?.freezeEmbeddings ?? (config.model.bert?.freezeLayers ?? 0) > 0 }
      : undefined
  const helpers: Helper[] = []
  let disposed = false
  let failure: Error | null = null
  const fail = (h: Helper, e: Error): void => {
    h.failure ??= e
    failure ??= e
    const p = h.pending
    h.pending = null
    p?.reject(e)
  }
  const dispose = (): void => {
    if (disposed) return
    disposed = true
    for (const h of helpers) void h.thread.terminate()
  }
  const ready: Promise<void>[] = []
  for (let i = 1; i < n; i++) {
    const thread = startHelperThread(o)
    const gradBuffer = new SharedArrayBuffer(total * 4)
    const h: Helper = { thread, index: i, grads: views(gradBuffer, sizes), pending: null, failure: null, peakBytes: 0 }
    helpers.push(h)
    ready.push(
      new Promise<void>((resolve, reject) => {
        const failed = (e: Error): void => {
          reject(e)
          fail(h, e)
        }
        thread.on('message', (m: WorkerReply | { type: 'ready' }) => {
          if (m.type === 'ready') {
            thread.postMessage({ type: 'worker-init', index: i, backend: o.backend, checkpoint, names, weights: weightBuffer, grads: gradBuffer, ...(freeze ? { freeze } : {}) } satisfies WorkerInit)
          } else if (m.type === 'worker-ready') resolve()
          else if (m.type === 'worker-error') failed(new Error(`training worker ${i}: ${m.message}`))
          else if (m.type === 'worker-grads') {
            h.peakBytes = Math.max(h.peakBytes, m.heapBytes)
            const p = h.pending
            h.pending = null
            p?.resolve(m)
          }
        })
        thread.on('error', (err) => failed(new Error(`training worker ${i}: ${err.message}`)))
        thread.on('exit', (code) => {
          if (!disposed) failed(new Error(`training worker ${i} exited (code ${code})`))
        })
      }),
    )
  }
  try {
    await Promise.all(ready)
  } catch (e) {
    dispose()
    throw e
  }
  let id = 0
  return {
    workers: n,
    threads: helpers.map((h) => h.thread),
    /** Largest tf.memory() bytes each helper reported after a step. */
    helperBytes: () => helpers.map((h) => h.peakBytes),
    dispose,
    async step(items: TitleFeatures[]): Promise<number> {
      if (failure) throw failure
      const shares = splitShares(items, n)
      const norm = batchNorm(items)
      const micro = microBatchSize(items, config)
      const stepId = ++id
      const replies = shares.slice(1).map(
        (share, k) =>
          new Promise<Extract<WorkerReply, { type: 'worker-grads' }>>((resolve, reject) => {
            const h = helpers[k]!
            if (h.failure) return reject(h.failure)
            h.pending = { resolve, reject }
            h.thread.postMessage({ type: 'worker-step', id: stepId, items: share, norm, microSize: micro } satisfies WorkerStep)
          }),
      )
      replies.forEach((r) => r.catch(() => {}))
      const own = shareGradients(model, vars, shares[0]!, config, norm, micro)
      try {
        const got = await Promise.all(replies)
        let loss = own.loss
        for (const r of got) loss += r.loss
        const helping = helpers.slice(0, got.length)
        // Σ in worker order: the coordinator's share, then each helper's
        const sum: tf.NamedTensorMap = tf.tidy(() => {
          const out: tf.NamedTensorMap = {}
          vars.forEach((v, i) => {
            let g: tf.Tensor = own.grads[v.name] ?? tf.zeros(v.shape)
            for (const h of helping) g = tf.add(g, tf.tensor(h.grads[i]!, v.shape))
            out[v.name] = g
          })
          return out
        })
        try {
          opt.apply(sum)
        } finally {
          for (const g of Object.values(sum)) g.dispose()
        }
        writeWeights()
        return loss
      } finally {
        for (const g of Object.values(own.grads)) g.dispose()
      }
    },
  }
}
