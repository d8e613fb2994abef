/**
 * Batched prediction on all cores: a pool of helper processes (the trainer entry, `forkHelper`;
 * processes, not threads as the training helpers: a chunk's exchange is titles and spans, not
 * weights, and a process's memory is its own to bound), each loading the checkpoint once and tagging
 * the chunks of titles it takes from one queue. Results come back in input order and equal one
 * process's to float rounding (a title's batch mates change its padding, which is masked, not its
 * result). With one worker nothing is forked: the model runs in this process, as before.
 *
 * A helper that dies or fails rejects every pending call with the reason and takes the pool down
 * (no helper is left behind); `close()` kills every helper at once (cancel). Helpers exit when
 * their IPC channel closes, so a killed coordinator leaves no orphans either.
 */
import { fork, type ChildProcess } from 'node:child_process'
import os from 'node:os'
import { initBackend, type BackendName } from '../ml/backend'
import { loadCheckpoint, type Checkpoint } from '../ml/checkpoint'
import type { Tagger } from '../ml/models/tagger'
import { predict, type PredictInput, type TitlePrediction } from '../ml/predict'
import { ownsParallelism } from './workers'
import { resolveTrainerEntry } from './locate'

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

/** Upper bound of the default worker count. */
export const MAX_DEFAULT_PREDICT_WORKERS = 8
/** The default starts no pool below this many titles per worker (a helper costs about a second to start and load). */
export const MIN_TITLES_PER_WORKER = 512
/** Titles per chunk handed to a helper: big enough to batch well, small enough to balance. */
const CHUNK = 256

/**
 * Prediction workers: `requested` if given, else one per core on wasm/cpu (at most
 * MAX_DEFAULT_PREDICT_WORKERS, and at least MIN_TITLES_PER_WORKER titles each when `titles` is
 * known), 1 on tfjs-node (it threads its own kernels) and on WebGPU (one device).
 */
export function resolvePredictWorkers(requested: number | undefined, backend: string, titles = Infinity, cores = os.availableParallelism()): number {
  if (requested !== undefined) return Math.max(1, Math.floor(requested))
  if (ownsParallelism(backend)) return 1
  return Math.max(1, Math.min(cores, MAX_DEFAULT_PREDICT_WORKERS, Math.floor(titles / MIN_TITLES_PER_WORKER)))
}

export interface PredictCall {
  /** Titles per model batch (default 64, as `predict`). */
  batchSize?: number
  /** Span confidences (default true); false skips a CRF's marginals. */
  confidence?: boolean
  /** Titles per chunk: a helper's share at a time, or (one worker) between progress reports and event-loop turns (default 256). */
  chunk?: number
  /** Titles done so far in this call (after each chunk). */
  onProgress?: (done: number, total: number) => void
}

/** Tags titles with one checkpoint, on this process or on a pool. */
export interface Predictor {
  readonly workers: number
  /** Helper process ids (empty with one worker). */
  readonly pids: number[]
  predict(titles: readonly PredictInput[], call?: PredictCall): Promise<TitlePrediction[]>
  /** Stop now: kill every helper; pending and later calls reject. */
  close(): void
}

// ---- messages (coordinator ⇄ helper) ----

export type PredictRequest =
  | { type: 'predict-init'; index: number; backend: string; checkpoint: Checkpoint }
  | { type: 'predict-chunk'; id: number; titles: PredictInput[]; batchSize: number; confidence: boolean }
export type PredictReply =
  | { type: 'predict-ready' }
  | { type: 'predict-result'; id: number; preds: TitlePrediction[] }
  | { type: 'predict-error'; message: string }

export function isPredictRequest(m: unknown): m is PredictRequest {
  const t = (m as { type?: unknown } | null)?.type
  return t === 'predict-init' || t === 'predict-chunk'
}

/** Helper side: handles one prediction helper's messages (the trainer entry routes `predict-*` here). */
export function predictWorker(send: (m: PredictReply) => void): (m: PredictRequest) => Promise<void> {
  let model: Tagger | null = null
  return async (m) => {
    try {
      if (m.type === 'predict-init') {
        await initBackend(m.backend as BackendName)
        model = loadCheckpoint(m.checkpoint)
        send({ type: 'predict-ready' })
        return
      }
      if (!model) throw new Error('chunk before init')
      if (process.env.NER_STUDIO_TEST_PREDICT_CRASH === String(m.id)) process.exit(3)
      send({ type: 'predict-result', id: m.id, preds: await predict(model, m.titles, { batchSize: m.batchSize, confidence: m.confidence }) })
    } catch (e) {
      send({ type: 'predict-error', message: (e as Error).message })
    }
  }
}

export interface PredictPoolOptions {
  workers: number
  backend: string
  /** Trainer entry (default: the built or TS entry beside host.ts) and how to run it. */
  entry?: { entry: string; execArgv: string[] }
  /** Extra environment for the helpers (tests). */
  env?: NodeJS.ProcessEnv
}

/** A chunk waiting for, or on, a helper. */
interface Job {
  id: number
  titles: PredictInput[]
  batchSize: number
  confidence: boolean
  resolve: (p: TitlePrediction[]) => void
  reject: (e: Error) => void
}

interface Helper {
  child: ChildProcess
  index: number
  job: Job | null
}

/**
 * Self-training's `tagPool` (ml/train/recipe.ts): the pool on as many processes as `requested`
 * resolves to for its size, closed at once when `cancelled()` turns true; null when that is one
 * (the recipe then tags with the model it holds, rather than a second copy loaded here).
 */
export function poolTagger(requested: number | undefined, backend: string, cancelled: () => boolean = () => false) {
  return (best: Checkpoint, titles: readonly PredictInput[]): Promise<{ preds: TitlePrediction[]; workers: number }> | null => {
    const workers = resolvePredictWorkers(requested, backend, titles.length)
    if (workers <= 1) return null
    return (async () => {
      const predictor = await openPredictor(best, { workers, backend })
      const watch = setInterval(() => cancelled() && predictor.close(), 250)
      try {
        return { preds: await predictor.predict(titles), workers }
      } finally {
        clearInterval(watch)
        predictor.close()
      }
    })()
  }
}

/**
 * A predictor for `checkpoint` on `o.workers` processes (this one when 1). Rejects, killing what
 * it started, if a helper fails to start or load the model.
 */
export async function openPredictor(checkpoint: Checkpoint, o: PredictPoolOptions): Promise<Predictor> {
  return longestFirst(o.workers <= 1 ? localPredictor(checkpoint) : await poolPredictor(checkpoint, o))
}

/**
 * Titles go out longest first and come back in input order: a chunk's titles are then of like
 * length, so its batches pad little (a title's batch mates do not change its result), and the
 * slowest chunks start first, which balances the helpers. (UTF-16 length: it only orders.)
 */
function longestFirst(p: Predictor): Predictor {
  return {
    workers: p.workers,
    pids: p.pids,
    close: () => p.close(),
    async predict(titles, call) {
      const len = (t: PredictInput): number => (typeof t === 'string' ? t : t.text).length
      const order = titles.map((_, i) => i).sort((a, b) => len(titles[b]!) - len(titles[a]!) || a - b)
      const preds = await p.predict(order.map((i) => titles[i]!), call)
      const out = new Array<TitlePrediction>(titles.length)
      order.forEach((i, k) => (out[i] = preds[k]!))
      return out
    },
  }
}

async function poolPredictor(checkpoint: Checkpoint, o: PredictPoolOptions): Promise<Predictor> {
  const helpers: Helper[] = []
  const queue: Job[] = []
  let failure: Error | null = null
  let closed = false
  let nextId = 0

  const stop = (e: Error): void => {
    failure ??= e
    if (!closed) {
      closed = true
      for (const h of helpers) {
        try {
          h.child.kill('SIGKILL')
        } catch {
          /* gone */
        }
      }
    }
    for (const h of helpers) {
      h.job?.reject(failure)
      h.job = null
    }
    for (const j of queue.splice(0)) j.reject(failure)
  }
  const pump = (): void => {
    if (failure) return
    for (const h of helpers) {
      if (h.job || !queue.length) continue
      const j = (h.job = queue.shift()!)
      h.child.send({ type: 'predict-chunk', id: j.id, titles: j.titles, batchSize: j.batchSize, confidence: j.confidence } satisfies PredictRequest)
    }
  }

  const ready: Promise<void>[] = []
  for (let i = 1; i <= o.workers; i++) {
    const child = forkHelper(o, i)
    const h: Helper = { child, index: i, job: null }
    helpers.push(h)
    const who = `prediction worker ${i} (pid ${child.pid})`
    ready.push(
      new Promise<void>((resolve, reject) => {
        child.on('message', (raw) => {
          const m = raw as PredictReply | { type: 'ready' }
          if (m.type === 'ready') child.send({ type: 'predict-init', index: i, backend: o.backend, checkpoint } satisfies PredictRequest)
          else if (m.type === 'predict-ready') resolve()
          else if (m.type === 'predict-error') {
            const e = new Error(`${who}: ${m.message}`)
            reject(e)
            stop(e)
          } else if (m.type === 'predict-result') {
            const j = h.job
            h.job = null
            if (j && j.id === m.id) j.resolve(m.preds)
            pump()
          }
        })
        child.on('error', (err) => {
          const e = new Error(`${who}: ${err.message}`)
          reject(e)
          stop(e)
        })
        child.on('exit', (code, signal) => {
          if (closed) return reject(failure ?? new Error('prediction cancelled'))
          const e = new Error(`${who} exited (code ${code}, signal ${signal ?? 'none'})`)
          reject(e)
          stop(e)
        })
      }),
    )
  }
  try {
    await Promise.all(ready)
  } catch (e) {
    stop(e as Error)
    throw failure ?? e
  }

  return {
    workers: o.workers,
    pids: helpers.map((h) => h.child.pid!),
    close: () => stop(new Error('prediction cancelled')),
    async predict(titles, call = {}) {
      if (failure) throw failure
      const size = Math.max(1, Math.min(call.chunk ?? CHUNK, Math.ceil(titles.length / helpers.length)))
      const parts: Promise<TitlePrediction[]>[] = []
      let done = 0
      for (let s = 0; s < titles.length; s += size) {
        const chunk = titles.slice(s, s + size)
        parts.push(
          new Promise<TitlePrediction[]>((resolve, reject) =>
            queue.push({ id: ++nextId, titles: chunk, batchSize: call.batchSize ?? 64, confidence: call.confidence ?? true, resolve, reject }),
          ).then((p) => {
            done += chunk.length
            call.onProgress?.(done, titles.length)
            return p
          }),
        )
      }
      parts.forEach((p) => p.catch(() => {}))
      pump()
      return (await Promise.all(parts)).flat()
    },
  }
}

/** One worker: the model in this process, a chunk at a time (progress between chunks). */
function localPredictor(checkpoint: Checkpoint): Predictor {
  const model = loadCheckpoint(checkpoint)
  let closed = false
  let running = 0
  let disposed = false
  const release = (): void => {
    if (!closed || running > 0 || disposed) return
    disposed = true
    model.dispose()
  }
  return {
    workers: 1,
    pids: [],
    close() {
      closed = true
      release()
    },
    async predict(titles, call = {}) {
      const out: TitlePrediction[] = []
      const size = Math.max(1, call.chunk ?? CHUNK)
      running++
      try {
        for (let s = 0; s < titles.length; s += size) {
          if (closed) throw new Error('prediction cancelled')
          out.push(...(await predict(model, titles.slice(s, s + size), { batchSize: call.batchSize ?? 64, confidence: call.confidence ?? true })))
          call.onProgress?.(out.length, titles.length)
          await new Promise((r) => setImmediate(r))
        }
      } finally {
        running--
        release()
      }
      return out
    },
  }
}
