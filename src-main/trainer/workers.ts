/**
 * Data-parallel training on worker processes.
 *
 * The trainer process (the coordinator) forks N − 1 helper processes, each with its own tfjs
 * backend and a replica of the model (sent once, as a checkpoint). Every batch is split into N
 * contiguous shares of about equal characters; each process computes the gradient of its share
 * normalised by the WHOLE batch (`shareGradients`, the rule of gradient accumulation), the
 * coordinator sums them and applies ONE optimiser step — the same update as one process — and
 * sends the new weights with the next share. Only the coordinator holds optimiser state, evaluates
 * and writes checkpoints.
 *
 * Processes, not worker_threads: tfjs-node's native addon cannot be loaded twice in one process,
 * and a process that crashes (out of memory, a wasm abort) takes only itself down, which the
 * coordinator reports as a clear error. Helpers exit when their IPC channel closes, so a killed
 * coordinator leaves no orphans.
 */
import { fork, type ChildProcess } from 'node:child_process'
import os from 'node:os'
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
 * Workers for a run: `requested` (config.workers) if given, else one per core on wasm/cpu (at most
 * MAX_DEFAULT_WORKERS, and at least MIN_SHARE titles per share), 1 on tfjs-node (it threads its own
 * kernels) and on WebGPU (one device). Never more than the batch has titles.
 */
export function resolveWorkers(requested: number | undefined, backend: string, batchSize: number, cores = os.availableParallelism()): number {
  if (requested !== undefined) return Math.max(1, Math.min(requested, batchSize))
  if (ownsParallelism(backend)) return 1
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

// ---- messages (coordinator ⇄ helper) ----

export interface WorkerInit {
  type: 'worker-init'
  index: number
  backend: string
  checkpoint: Checkpoint
  /** Trainable variables, by checkpoint name, in the coordinator's order. */
  names: string[]
  freeze?: { layers: number; embeddings: boolean }
}
export interface WorkerStep {
  type: 'worker-step'
  id: number
  /** New values of the trainable variables (after the previous step), or null (unchanged). */
  weights: Float32Array[] | null
  items: TitleFeatures[]
  norm: BatchNorm
  microSize: number
}
export type WorkerRequest = WorkerInit | WorkerStep
export type WorkerReply =
  | { type: 'worker-ready'; index: number }
  | { type: 'worker-grads'; id: number; loss: number; grads: Float32Array[] }
  | { type: 'worker-error'; message: string }

export function isWorkerRequest(m: unknown): m is WorkerRequest {
  const t = (m as { type?: unknown } | null)?.type
  return t === 'worker-init' || t === 'worker-step'
}

/** Helper side: handles one worker's messages (the trainer entry routes `worker-*` messages here). */
export function gradientWorker(send: (m: WorkerReply) => void): (m: WorkerRequest) => Promise<void> {
  let model: Tagger | null = null
  let config: TrainConfig | null = null
  let vars: tf.Variable[] = []
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
        send({ type: 'worker-ready', index: m.index })
        return
      }
      if (!model || !config) throw new Error('worker: step before init')
      if (m.weights) {
        const w = m.weights
        tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(w[i]!, v.shape))))
      }
      const { loss, grads } = shareGradients(model, vars, m.items, config, m.norm, m.microSize)
      try {
        send({ type: 'worker-grads', id: m.id, loss, grads: vars.map((v) => (grads[v.name] ? (grads[v.name]!.dataSync() as Float32Array) : new Float32Array(v.size))) })
      } finally {
        for (const g of Object.values(grads)) g.dispose()
      }
    } catch (e) {
      send({ type: 'worker-error', message: (e as Error).message })
    }
  }
}

/** Helpers not yet reaped (every pool of this process). */
const unreaped = new Map<number, Promise<void>>()

/**
 * Resolves when every helper this process started has exited and been reaped (or after `ms`).
 * The trainer waits for it before it exits: a helper that outlived its parent would be reparented
 * to an init that may never reap it (a zombie in containers).
 */
export async function helpersExited(ms = 3000): Promise<void> {
  await Promise.race([Promise.all(unreaped.values()), new Promise((r) => setTimeout(r, ms).unref())])
}

/**
 * Fork one helper on the trainer entry (training or prediction), tracked until it is reaped (see
 * `helpersExited`). Electron runs it as plain Node.
 */
export function forkHelper(o: { entry?: { entry: string; execArgv: string[] }; env?: NodeJS.ProcessEnv }, index: number): ChildProcess {
  const { entry, execArgv } = o.entry ?? resolveTrainerEntry()
  const env = { ...process.env, ...o.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) }
  const child = fork(entry, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  const pid = child.pid ?? -index
  unreaped.set(pid, new Promise<void>((r) => child.once('exit', () => (unreaped.delete(pid), r()))))
  return child
}

export interface PoolOptions {
  workers: number
  backend: string
  /** Trainer entry (default: the built or TS entry beside host.ts) and how to run it. */
  entry?: { entry: string; execArgv: string[] }
  /** Extra environment for the helpers (tests). */
  env?: NodeJS.ProcessEnv
}

/** A helper process and the reply it owes. */
interface Helper {
  child: ChildProcess
  index: number
  pending: { resolve: (r: Extract<WorkerReply, { type: 'worker-grads' }>) => void; reject: (e: Error) => void } | null
  failure: Error | null
}

/**
 * Fork `workers − 1` helpers with a replica of `model` and return the step function that replaces
 * `trainStep`. Rejects (and kills what it started) if a helper fails to start.
 */
export async function startWorkerPool(model: Tagger, opt: GroupedAdam, config: TrainConfig, o: PoolOptions): Promise<ParallelStepper & { pids: number[] }> {
  const n = Math.max(1, o.workers)
  const vars = opt.variables
  const names = vars.map((v) => model.localName(v))
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
    for (const h of helpers) {
      try {
        h.child.kill('SIGKILL')
      } catch {
        /* gone */
      }
    }
  }
  const ready: Promise<void>[] = []
  for (let i = 1; i < n; i++) {
    const child = forkHelper(o, i)
    const h: Helper = { child, index: i, pending: null, failure: null }
    helpers.push(h)
    ready.push(
      new Promise<void>((resolve, reject) => {
        child.on('message', (raw) => {
          const m = raw as WorkerReply | { type: 'ready' }
          if (m.type === 'ready') child.send({ type: 'worker-init', index: i, backend: o.backend, checkpoint, names, ...(freeze ? { freeze } : {}) } satisfies WorkerInit)
          else if (m.type === 'worker-ready') resolve()
          else if (m.type === 'worker-error') {
            const e = new Error(`training worker ${i} (pid ${child.pid}): ${m.message}`)
            reject(e)
            fail(h, e)
          } else if (m.type === 'worker-grads') {
            const p = h.pending
            h.pending = null
            p?.resolve(m)
          }
        })
        child.on('error', (err) => {
          const e = new Error(`training worker ${i}: ${err.message}`)
          reject(e)
          fail(h, e)
        })
        child.on('exit', (code, signal) => {
          if (disposed) return
          const e = new Error(`training worker ${i} (pid ${child.pid}) exited (code ${code}, signal ${signal ?? 'none'})`)
          reject(e)
          fail(h, e)
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
  let weights: Float32Array[] | null = null
  const sendAsync = (h: Helper, m: WorkerStep): Promise<void> =>
    new Promise((resolve, reject) => {
      // wait for the write to finish: the coordinator computes synchronously next, and a big
      // message left in the pipe would not move until it is done
      h.child.send(m, undefined, {}, (err) => (err ? reject(new Error(`training worker ${h.index}: ${err.message}`)) : resolve()))
    })
  return {
    workers: n,
    pids: helpers.map((h) => h.child.pid!),
    dispose,
    async step(items: TitleFeatures[]): Promise<number> {
      if (failure) throw failure
      const shares = splitShares(items, n)
      const norm = batchNorm(items)
      const micro = microBatchSize(items.length, config)
      const stepId = ++id
      const replies = shares.slice(1).map(
        (_, k) =>
          new Promise<Extract<WorkerReply, { type: 'worker-grads' }>>((resolve, reject) => {
            const h = helpers[k]!
            if (h.failure) return reject(h.failure)
            h.pending = { resolve, reject }
          }),
      )
      replies.forEach((r) => r.catch(() => {}))
      await Promise.all(shares.slice(1).map((share, k) => sendAsync(helpers[k]!, { type: 'worker-step', id: stepId, weights, items: share, norm, microSize: micro })))
      const own = shareGradients(model, vars, shares[0]!, config, norm, micro)
      try {
        const got = await Promise.all(replies)
        let loss = own.loss
        const sum: tf.NamedTensorMap = tf.tidy(() => {
          const out: tf.NamedTensorMap = {}
          vars.forEach((v, i) => {
            let g: tf.Tensor = own.grads[v.name] ?? tf.zeros(v.shape)
            for (const r of got) g = tf.add(g, tf.tensor(r.grads[i]!, v.shape))
            out[v.name] = g
          })
          return out
        })
        for (const r of got) loss += r.loss
        try {
          opt.apply(sum)
        } finally {
          for (const g of Object.values(sum)) g.dispose()
        }
        weights = vars.map((v) => v.dataSync() as Float32Array)
        return loss
      } finally {
        for (const g of Object.values(own.grads)) g.dispose()
      }
    },
  }
}
