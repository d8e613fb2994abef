/**
 * Trainer child process. Receives ONE job by IPC (`{ type: 'job', job }`), inits the tfjs backend,
 * trains, streams progress events back (`{ type: 'event', event }`), writes the best checkpoint to
 * `job.outDir` after each new best epoch, and exits. `{ type: 'cancel' }` stops at the next batch
 * and reports `cancelled` (a checkpoint on disk is always of a completed epoch).
 * Built by electron-vite as out/main/trainer.js; under tsx it runs from this file.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { isMainThread, parentPort as threadPort } from 'node:worker_threads'
import { initBackend } from '../ml/backend'
import { readCheckpointDir, writeCheckpointDir } from '../ml/checkpoint'
import type { TrainOptions } from '../ml/train/trainer'
import { trainRecipe } from '../ml/train/recipe'
import { BertEncoder } from '../ml/bert/encoder'
import { importBertFolder } from '../ml/bert/import'
import { embeddingsFromBytes, embeddingsToBytes, learnTitleEmbeddings, type TitleEmbeddings } from '../ml/embeddings'
import type { LexiconEntry } from '../ml/lexicon'
import { embeddingOptions } from '../services/runs/model-parts'
import { parseJsonl } from '../shared/jsonl'
import type { Example, TrainingEvent } from '../shared/training'
import type { ChildMessage, HostMessage, TrainingJob } from './protocol'
import { gradientWorker, isWorkerRequest, parallelTrainer, type WorkerReply } from './workers'
import { helpersExited, isPredictRequest, poolTagger, predictWorker, type PredictReply } from './predict-workers'

let cancelRequested = false
let started = false

/** Electron's utilityProcess talks through `process.parentPort` instead of `process.send`. */
interface ParentPort {
  postMessage(msg: unknown): void
  on(event: 'message', cb: (e: { data: unknown }) => void): void
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (parentPort) {
      parentPort.postMessage(msg)
      return resolve()
    }
    if (!process.send || !process.connected) return resolve()
    process.send(msg, undefined, {}, () => resolve())
  })
}

async function emit(event: TrainingEvent): Promise<void> {
  await send({ type: 'event', event })
}

async function run(job: TrainingJob): Promise<void> {
  const pending: Promise<void>[] = []
  const on = (e: TrainingEvent): void => {
    pending.push(emit(e))
  }
  let checkpointPath: string | null = null
  try {
    const report = await initBackend(job.backend)
    const trainSet = readExamples(job.trainPath)
    const devSet = job.devPath ? readExamples(job.devPath) : []
    rmSync(job.outDir, { recursive: true, force: true })
    let bert: TrainOptions['bert']
    if (job.config.model.encoder === 'bert') {
      if (!job.bertPath) throw new Error(`preset '${job.config.preset}' needs a BERT folder`)
      const imp = importBertFolder(job.bertPath)
      bert = { encoder: BertEncoder.fromWeights(imp.config, imp.weights), vocab: imp.vocab, source: { dir: job.bertPath, layout: imp.layout } }
    }
    // a warm start: the earlier run's weights and vocabularies (services/runs/warm-start.ts checked them)
    const init = job.initPath ? readCheckpointDir(job.initPath) : null
    const r = await trainRecipe(job.config, trainSet, devSet, {
      ...(init ? { init, vocabs: init.manifest.vocabs } : {}),
      ...(bert ? { bert } : {}),
      ...(job.config.model.pretrainedEmbeddings && !init ? { pretrained: titleEmbeddings(job) } : {}),
      ...(job.lexiconPath ? { lexicon: readLines<LexiconEntry>(job.lexiconPath) } : {}),
      ...(job.unlabelledPath ? { unlabelled: readLines<string>(job.unlabelledPath, (v) => (typeof v === 'string' ? null : 'a title (string)')) } : {}),
      backend: report.name,
      backendReport: report,
      onEvent: on,
      shouldStop: () => cancelRequested,
      parallel: parallelTrainer(report.name),
      // self-training's pool on as many processes as the run trains on (one: this process)
      tagPool: poolTagger(job.config.workers, report.name, () => cancelRequested),
      onBest: (ckpt) => {
        writeCheckpointDir(job.outDir, ckpt)
        checkpointPath = job.outDir
        return job.outDir
      },
    })
    r.model.dispose()
    if (r.cancelled) {
      on({ kind: 'cancelled', time: Date.now(), epoch: r.epochsRun + 1, step: r.steps, checkpointPath })
    } else {
      const best = r.bestDev?.micro ?? { precision: 0, recall: 0, f1: 0 }
      on({
        kind: 'done',
        time: Date.now(),
        bestEpoch: r.bestEpoch,
        best: { precision: best.precision, recall: best.recall, f1: best.f1 },
        epochs: r.epochsRun,
        stoppedEarly: r.stoppedEarly,
        seconds: r.seconds,
        checkpointPath,
        ...(r.selfTraining ? { selfTraining: r.selfTraining } : {}),
        ...(r.decodeBias ? { decodeBias: r.decodeBias } : {}),
      })
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e))
    on({ kind: 'error', time: Date.now(), message: err.message, stack: err.stack })
  }
  await Promise.all(pending)
}

/** A JSONL file the host wrote (shared/jsonl.ts). */
function readLines<T>(file: string, check?: (value: unknown) => string | null): T[] {
  return parseJsonl<T>(readFileSync(file, 'utf8'), file, check)
}

/** Train/dev examples: `{ text, spans, words? }` per line. */
function readExamples(file: string): Example[] {
  return readLines<Example>(file, (v) => {
    const ex = v as Partial<Example> | null
    return ex && typeof ex.text === 'string' && Array.isArray(ex.spans) ? null : '{ text, spans }'
  })
}

/** The job's title embeddings: read, or learnt from its titles and written (atomically) for the host to keep. */
function titleEmbeddings(job: TrainingJob): TitleEmbeddings {
  if (!job.embeddingsPath) throw new Error('pretrainedEmbeddings: the job names no embeddings file')
  if (existsSync(job.embeddingsPath)) return embeddingsFromBytes(readFileSync(job.embeddingsPath))
  if (!job.titlesPath) throw new Error('pretrainedEmbeddings: the job gives neither embeddings nor titles')
  const titles = readLines<string>(job.titlesPath)
  const e = learnTitleEmbeddings(titles, embeddingOptions(job.config))
  writeFileSync(`${job.embeddingsPath}.tmp`, embeddingsToBytes(e))
  renameSync(`${job.embeddingsPath}.tmp`, job.embeddingsPath)
  return e
}

/**
 * This process as a prediction helper (predict-workers.ts), created on its first message; or this
 * module as a data-parallel helper THREAD of a trainer (workers.ts).
 */
let predictor: ((m: Parameters<ReturnType<typeof predictWorker>>[0]) => Promise<void>) | null = null
let workerQueue: Promise<void> = Promise.resolve()

function onMessage(raw: unknown): void {
  if (isPredictRequest(raw)) {
    started = true
    predictor ??= predictWorker((m: PredictReply) => void send(m))
    const w = predictor
    workerQueue = workerQueue.then(() => w(raw))
    return
  }
  const msg = raw as HostMessage
  if (msg?.type === 'cancel') {
    cancelRequested = true
  } else if (msg?.type === 'job' && !started) {
    started = true
    void run(msg.job).then(async () => {
      await helpersExited()
      if (process.connected) process.disconnect?.()
      process.exit(0)
    })
  }
}

if (!isMainThread && threadPort) {
  const port = threadPort
  const w = gradientWorker((m: WorkerReply) => port.postMessage(m))
  port.on('message', (m: unknown) => {
    if (isWorkerRequest(m)) workerQueue = workerQueue.then(() => w(m))
  })
  port.postMessage({ type: 'ready' })
} else {
  if (parentPort) parentPort.on('message', (e) => onMessage(e.data))
  else process.on('message', onMessage)
  process.on('disconnect', () => {
    // host went away: stop at the next batch (a prediction helper, which has no job of its own, exits now)
    cancelRequested = true
    if (!started || predictor) process.exit(0)
  })
  void send({ type: 'ready' })
}
