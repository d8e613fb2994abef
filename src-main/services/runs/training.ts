// Training, evaluation and prediction for a project: the glue between the project file and the
// engine (src-main/ml, src-main/trainer). Training runs in its own process; this side writes the
// data it trains on, records the run as it goes, and stores the best checkpoint in the project.

import { rmSync, writeFileSync } from 'node:fs'
import { makeTempFolder } from '../../io/temp'
import { join } from 'node:path'
import { readCheckpointDir, writeCheckpointDir, type Checkpoint, type CheckpointManifest } from '../../ml/checkpoint'
import { DEFAULT_TRAIN, configParts, isBertPreset, presetConfig, validateConfig } from '../../ml/models/presets'
import { dictionaryTermCount, preparePartFiles } from './model-parts'
import { weighDictionarySpans } from './dict-confidence'
import { warmStartCheckpoint } from './warm-start'
import { inspectBertFolder } from '../../ml/bert/import'
import { resolve } from 'node:path'
import { startTrainingJob, type JobOutcome, type StartOptions } from '../../trainer/host'
import { StudioError } from '../../shared/errors'
import { backendReason, RunProgress } from '../../shared/progress'
import type { PresetName, TrainConfig, TrainingEvent } from '../../shared/training'
import { AUTO_PRESET, PRESET_NAMES, type ProjectFacts } from '../../shared/training'
import { autoConfig, factsOf } from '../../ml/models/auto'
import { toJsonl } from '../../shared/jsonl'
import { writeTransaction, type DB } from '../../store/db'
import {
  createRun,
  getRunRow,
  loadCheckpoint,
  saveCheckpoint,
  selfTrainingPool,
  trainingData,
  updateRun,
  writeTrainingFiles,
  type DataSelection,
} from './records'

export type ConfigOverrides = Parameters<typeof presetConfig>[1]

export interface TrainRequest {
  preset: PresetName
  overrides?: ConfigOverrides
  data?: DataSelection
  backend?: 'tensorflow' | 'wasm' | 'cpu'
  /** BERT presets: the pre-trained encoder's folder (validated here before the trainer starts). */
  bert?: string
  /** Stored in the run's config as `experiment`: which learning curve or simulated review it belongs to. */
  experiment?: Record<string, unknown>
  /** Continue from this finished run's model (warm-start.ts): its weights and vocabularies start the run. */
  from?: number
}

export interface TrainResult {
  runId: number
  outcome: JobOutcome
  /** Best dev scores (micro P/R/F1) when the run finished. */
  dev: { precision: number; recall: number; f1: number } | null
}

export interface RunningTraining {
  runId: number
  cancel(): void
  done: Promise<TrainResult>
}

/** Build and check the config of a preset with the user's overrides. */
export function buildConfig(preset: string, overrides: ConfigOverrides = {}, facts?: ProjectFacts): TrainConfig {
  if (!(PRESET_NAMES as readonly string[]).includes(preset) && preset !== AUTO_PRESET) {
    throw new StudioError('bad_request', `unknown model "${preset}" (one of ${AUTO_PRESET}, ${PRESET_NAMES.join(', ')})`)
  }
  let config: TrainConfig
  try {
    if (preset === AUTO_PRESET) {
      // auto's parts decide the model; the user's top-level settings (epochs, seed, batch size…) still apply
      const { model: _m, lossWeights: _w, ...top } = overrides ?? {}
      config = autoConfig(facts ?? { reviewed: 1, weak: 0, unlabelled: 0, types: 0 }, top)
    } else config = presetConfig(preset as PresetName, overrides)
  } catch (e) {
    throw new StudioError('bad_request', (e as Error).message)
  }
  const problems = validateConfig(config)
  if (problems.length) throw new StudioError('bad_request', `invalid config: ${problems.join('; ')}`)
  return config
}

/** What the host learnt from a BERT folder (validated with `inspectBertFolder`). */
export interface BertFolderInfo {
  dir: string
  layout: 'hf' | 'google'
  layers: number
  hidden: number
  heads: number
  maxPositions: number
  vocab: number
  parameters: number
}

/**
 * Validate a BERT folder (config, vocabulary, every tensor's name, dtype and shape, data files long
 * enough) with the trainer's own checks, from the tensor headers only: the trainer process reads
 * the weights, so the host does not read them too (≈ 400 MB for a 12-layer model). Errors become
 * one clear `bad_request` line.
 */
export function checkBertFolder(dir: string): BertFolderInfo {
  try {
    const ins = inspectBertFolder(dir)
    const c = ins.config
    return { dir: resolve(dir), layout: ins.layout, layers: c.numLayers, hidden: c.hiddenSize, heads: c.numHeads, maxPositions: c.maxPositions, vocab: c.vocabSize, parameters: ins.parameters }
  } catch (e) {
    throw new StudioError('bad_request', `BERT folder: ${(e as Error).message.split('\n')[0]}`)
  }
}

/**
 * Start a training run: writes train/dev data to a temporary folder, records the run, forks the
 * trainer and follows its events. `onEvent` sees every progress event with the run id.
 */
export function startTraining(
  db: DB,
  req: TrainRequest,
  onEvent: (runId: number, e: TrainingEvent, progress: RunProgress) => void = () => {},
  opts: StartOptions = {},
): RunningTraining {
  const sel: DataSelection = { titles: 'all', seed: req.overrides?.seed ?? DEFAULT_TRAIN.seed, ...req.data }
  const data = trainingData(db, sel)
  // self-training's titles beyond the training data (auto counts them among the project's facts)
  const pool = req.preset === AUTO_PRESET || req.overrides?.selfTraining ? selfTrainingPool(db, sel, [...data.train, ...data.dev]) : []
  const config = buildConfig(req.preset, req.overrides, req.preset === AUTO_PRESET ? { ...factsOf(data.train, pool.length), dictionaryTerms: dictionaryTermCount(db) } : undefined)
  const dictionaryPrecision = weighDictionarySpans(db, data.train, config.weakLoss, sel.trainSplit ?? 'train', sel.devSplit ?? 'dev')
  let bert: BertFolderInfo | null = null
  if (isBertPreset(req.preset)) {
    if (!req.bert) throw new StudioError('bad_request', `model "${req.preset}" fine-tunes a pre-trained BERT: give its folder (--bert <folder>)`)
    bert = checkBertFolder(req.bert)
    const freeze = config.model.bert?.freezeLayers ?? 0
    if (freeze > bert.layers) throw new StudioError('bad_request', `bert.freezeLayers is ${freeze} but the encoder has ${bert.layers} layers`)
  } else if (req.bert) {
    throw new StudioError('bad_request', `--bert is for the BERT models (bert, bert-crf, …), not "${req.preset}"`)
  }
  const init = req.from !== undefined ? warmStartCheckpoint(db, req.from, config, data.train) : null
  const dir = makeTempFolder('train')
  const files = writeTrainingFiles(join(dir, 'data'), data)
  if (init) writeCheckpointDir(join(dir, 'init'), init)
  const unlabelled = config.selfTraining && pool.length ? join(dir, 'data', 'unlabelled.jsonl') : null
  if (unlabelled) writeFileSync(unlabelled, toJsonl(pool))
  // a warm start's vocabularies and weights (embeddings, lexicon) are its checkpoint's: no part files
  const parts = init ? { job: {}, record: {}, keep: () => {} } : preparePartFiles(db, config, join(dir, 'data'), sel.trainSplit ?? 'train')
  const partNames = configParts(config.model)
  const { trainIds: _ids, ...stored } = sel
  const runId = createRun(db, req.preset, {
    ...config,
    data: {
      ...stored,
      ...(sel.trainIds ? { subset: true } : {}),
      train: data.train.length,
      dev: data.dev.length,
      devSource: data.devSource,
      ...(unlabelled ? { pool: pool.length } : {}),
      // each dictionary's precision on reviewed train/dev titles, where the weak loss weighs its spans by it
      ...(dictionaryPrecision ? { dictionaryPrecision } : {}),
    },
    ...(bert ? { bert } : {}),
    // the parts beyond the study this run used (the Runs board lists them)
    ...(partNames.length ? { parts: { names: partNames, ...parts.record } } : {}),
    ...(req.experiment ? { experiment: req.experiment } : {}),
    ...(req.from !== undefined ? { from: req.from } : {}),
  })
  updateRun(db, runId, { status: 'running', startedAt: Date.now() })
  const progress = new RunProgress()
  const history = progress.epochs
  let workers = 1 // data-parallel trainer processes (the run records them in `timings.workers`)
  const handle = startTrainingJob(
    { config, ...files, ...parts.job, outDir: join(dir, 'checkpoint'), ...(req.backend ? { backend: req.backend } : {}), ...(bert ? { bertPath: bert.dir } : {}), ...(unlabelled ? { unlabelledPath: unlabelled } : {}), ...(init ? { initPath: join(dir, 'init') } : {}) },
    (e) => {
      try {
        if (e.kind === 'started') {
          // the run says which backend ran and, for BERT without a GPU, that it will be slow
          workers = e.workers ?? 1
          updateRun(db, runId, { backend: e.backend, backendReason: backendReason(e) ?? '', timings: { workers } })
        } else if (progress.add(e)) {
          updateRun(db, runId, { metrics: { epochs: history } })
        }
      } catch (err) {
        // The project was closed under a running job (it is being cancelled): nothing to record.
        if (db.open) throw err
      } finally {
        onEvent(runId, e, progress)
      }
    },
    opts,
  )
  const done = handle.done.then((outcome): TrainResult => {
    try {
      // embeddings learnt by this job are kept for the next runs, whatever became of the run
      parts.keep()
      const finishedAt = Date.now()
      if (outcome.kind === 'done' && outcome.checkpointPath) {
        const ckpt = readCheckpointDir(outcome.checkpointPath)
        writeTransaction(db, () => {
          saveCheckpoint(db, runId, ckpt.manifest, ckpt.weights)
          updateRun(db, runId, {
            status: 'done',
            finishedAt,
            metrics: { epochs: history, best: outcome.best, bestEpoch: outcome.bestEpoch, stoppedEarly: outcome.stoppedEarly, dev: ckpt.manifest.metrics, ...(outcome.selfTraining ? { selfTraining: outcome.selfTraining } : {}), ...(outcome.decodeBias ? { decodeBias: outcome.decodeBias } : {}) },
            timings: { seconds: outcome.seconds, secondsPerEpoch: outcome.seconds / Math.max(1, outcome.epochs), workers },
          })
        })
        return { runId, outcome, dev: outcome.best }
      }
      if (outcome.kind === 'cancelled') {
        updateRun(db, runId, { status: 'cancelled', finishedAt, metrics: { epochs: history } })
      } else {
        const message = outcome.kind === 'error' ? outcome.message : 'training ended without a checkpoint'
        updateRun(db, runId, { status: 'failed', finishedAt, error: message, metrics: { epochs: history } })
      }
      return { runId, outcome, dev: null }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  return { runId, cancel: () => handle.cancel(), done }
}

/** The checkpoint of a finished run, as the engine loads it. */
export function runCheckpoint(db: DB, runId: number): Checkpoint {
  getRunRow(db, runId)
  const c = loadCheckpoint(db, runId)
  return { manifest: c.manifest as CheckpointManifest, weights: c.weights }
}
