/**
 * The training loop: bucketed batches, grouped Adam with global-norm clipping, early stopping on
 * dev entity F1, seeded and reproducible, progress events, cancellation between batches, and the
 * best epoch kept (in memory, and handed to `onBest` to be written).
 */
import * as tf from '@tensorflow/tfjs'
import type { Example, PRF, TrainConfig, TrainingEvent } from '../../shared/training'
import { evaluate, type EvalReport } from '../eval'
import { saveCheckpoint, assignWeights, checkpointMetrics, type Checkpoint } from '../checkpoint'
import { buildVocabs, featurize, makeBatch, type TitleFeatures, type TaggerVocabs } from '../models/features'
import { Tagger } from '../models/tagger'
import type { BertEncoder } from '../bert/encoder'
import type { Vocab as BertVocab } from '../bert/tokenizer'
import { validateConfig } from '../models/presets'
import { predict } from '../predict'
import { makeBatches } from './batching'
import { GroupedAdam } from './optimizer'
import { makeRng } from './rng'
import type { TitleEmbeddings } from '../embeddings'
import type { LexiconEntry } from '../lexicon'

interface TrainCallbacks {
  /** Progress events, in order. */
  onEvent?: (e: TrainingEvent) => void
  /** Checked between batches; true = stop now (reported as `cancelled`). */
  shouldStop?: () => boolean
  /** Called with a snapshot of each new best epoch (after its dev evaluation). Return where it was written. */
  onBest?: (ckpt: Checkpoint) => Promise<string | null> | string | null
}

export interface TrainOptions extends TrainCallbacks {
  /** Backend name for events and the manifest. */
  backend?: string
  backendReport?: unknown
  /** Use these vocabularies instead of building them from the training set. */
  vocabs?: TaggerVocabs
  /** Yield to the event loop between batches (so IPC 'cancel' messages get through). Default true. */
  yieldEvery?: boolean
  /**
   * `encoder: 'bert'` configs: the imported encoder and its vocabulary (see bert/import.ts). The
   * trained model owns the encoder (disposing the model frees it). `model.bert.freezeLayers` is
   * applied here.
   */
  bert?: { encoder: BertEncoder; vocab: BertVocab; source?: { dir?: string; layout?: string } }
  /** `model.pretrainedEmbeddings`: vectors learnt on the project's titles (ml/embeddings). */
  pretrained?: TitleEmbeddings | null
  /** `model.lexicon`: the lexicon's words (dictionaries + train gold spans); absent = the train set's spans. */
  lexicon?: readonly LexiconEntry[] | null
  /** Start from these weights (a checkpoint of a model with the same config and `vocabs`): self-training's later rounds. */
  init?: Checkpoint
  /** Start data-parallel workers for this model and optimiser (absent: one process, `trainStep`). */
  parallel?: (model: Tagger, opt: GroupedAdam, config: TrainConfig) => Promise<ParallelStepper | null>
}

export interface TrainResult {
  /** The model with the best epoch's weights (caller disposes). */
  model: Tagger
  best: Checkpoint | null
  bestEpoch: number
  bestDev: EvalReport | null
  cancelled: boolean
  stoppedEarly: boolean
  epochsRun: number
  steps: number
  seconds: number
}

const now = (): number => Date.now()

/** The normalisers of a whole batch: valid chars, gold entity chars (the cascade's type loss). */
export interface BatchNorm {
  chars: number
  entities: number
}

export function batchNorm(items: readonly TitleFeatures[]): BatchNorm {
  return {
    chars: items.reduce((a, e) => a + e.charIds.length, 0),
    entities: items.reduce((a, e) => a + (e.typeIds ? e.typeIds.reduce((n, y) => n + (y >= 0 ? 1 : 0), 0) : 0), 0),
  }
}

/**
 * Gradients (by variable name) of the loss of `items` — a share of a batch — normalised by the
 * WHOLE batch's `norm`, run as micro-batches of `microSize` consecutive titles whose gradients are
 * summed. The shares' results add up to the full batch's gradient (up to float rounding; dropout
 * aside): this is the one rule behind gradient accumulation and data-parallel workers.
 * The caller disposes `grads`.
 */
export function shareGradients(
  model: Tagger,
  variables: tf.Variable[],
  items: readonly TitleFeatures[],
  config: TrainConfig,
  norm: BatchNorm,
  microSize = items.length,
): { loss: number; grads: tf.NamedTensorMap } {
  const size = Math.max(1, microSize)
  let sum: tf.NamedTensorMap | null = null
  let loss = 0
  try {
    for (let i = 0; i < items.length; i += size) {
      const micro = makeBatch(items.slice(i, i + size))
      const { value, grads } = tf.variableGrads(() => model.loss(micro, config.lossWeights, true, norm), variables)
      loss += value.dataSync()[0]!
      value.dispose()
      if (!sum) sum = grads
      else {
        const prev: tf.NamedTensorMap = sum
        sum = {}
        for (const name of Object.keys(prev)) {
          sum[name] = tf.add(prev[name]!, grads[name]!)
          prev[name]!.dispose()
          grads[name]!.dispose()
        }
      }
    }
  } catch (e) {
    if (sum) for (const g of Object.values(sum)) g.dispose()
    throw e
  }
  return { loss, grads: sum ?? {} }
}

/**
 * Positions (titles × the longest title's characters) one micro-batch may hold. What a step keeps
 * for its backward pass grows with them — a BiLSTM 300 with bigram and lexicon inputs held ~0.3 MB
 * per position: 32 Ding titles of up to 200 chars peaked at 2 GB of the wasm heap's 4 GB, and a
 * later round over such a batch ran out of heap — so a batch past this runs as micro-batches
 * (`shareGradients`: the same update). Ordinary batches (32 titles of ≤ 128 chars) are one.
 */
export const MAX_MICRO_POSITIONS = 4096

/** Titles per micro-batch for a batch: `config.accumulateSteps` parts, and no part past MAX_MICRO_POSITIONS. */
export function microBatchSize(items: readonly TitleFeatures[], config: TrainConfig, maxPositions = MAX_MICRO_POSITIONS): number {
  const k = Math.max(1, Math.floor(config.accumulateSteps ?? 1))
  let longest = 1
  for (const e of items) longest = Math.max(longest, e.charIds.length)
  return Math.max(1, Math.min(Math.ceil(items.length / k), Math.floor(maxPositions / longest)))
}

/**
 * One optimisation step: loss value. No tensors survive it.
 * With `config.accumulateSteps` = k > 1, or a batch past MAX_MICRO_POSITIONS, the batch runs as micro-batches (consecutive titles),
 * each normalised by the WHOLE batch's valid chars / entity chars (`shareGradients`), their
 * gradients summed, then clipped and applied once: the same update as the full batch, with the
 * activations of one micro-batch in memory at a time.
 */
export function trainStep(model: Tagger, opt: GroupedAdam, batch: ReturnType<typeof makeBatch> | TitleFeatures[], config: TrainConfig, maxPositions = MAX_MICRO_POSITIONS): number {
  const micro = Array.isArray(batch) ? microBatchSize(batch, config, maxPositions) : Infinity
  if (!Array.isArray(batch) || micro >= batch.length) {
    const b = Array.isArray(batch) ? makeBatch(batch) : batch
    const { value, grads } = tf.variableGrads(() => model.loss(b, config.lossWeights, true), opt.variables)
    try {
      opt.apply(grads)
      return value.dataSync()[0]!
    } finally {
      value.dispose()
      for (const g of Object.values(grads)) g.dispose()
    }
  }
  const { loss, grads } = shareGradients(model, opt.variables, batch, config, batchNorm(batch), micro)
  try {
    opt.apply(grads)
    return loss
  } finally {
    for (const g of Object.values(grads)) g.dispose()
  }
}

/**
 * Data-parallel training (src-main/trainer/workers.ts): a step function that computes the batch's
 * gradient on several threads and applies ONE optimiser step, the same update as `trainStep`.
 */
export interface ParallelStepper {
  workers: number
  step(items: TitleFeatures[]): Promise<number>
  dispose(): void
}

/**
 * Learning-rate factor at optimiser step `step` (0-based) of `total`: linear warm-up over
 * W = ⌈warmupRatio · total⌉ steps ((step+1)/W, so the first step is not wasted at lr 0), then
 * 1 (`lrDecay` 'none') or a linear decay (total − step)/(total − W) that reaches 1/(total − W) at
 * the last step (HF's get_linear_schedule_with_warmup, shifted by one step).
 */
export function lrFactor(step: number, total: number, warmupRatio = 0, decay: 'none' | 'linear' = 'none'): number {
  const W = warmupRatio > 0 ? Math.max(1, Math.ceil(warmupRatio * total)) : 0
  if (step < W) return (step + 1) / W
  if (decay === 'linear') return Math.max(0, (total - step) / Math.max(1, total - W))
  return 1
}

/** The note shown when BERT trains on a backend without a GPU (null when there is one / no BERT). */
export function slowBackendWarning(backend: string, config: TrainConfig, layers?: number, provider?: string): string | null {
  if (config.model.encoder !== 'bert') return null
  // tfjs-node-gpu registers as 'tensorflow' like tfjs-node: the provider package tells them apart
  if (/gpu|webgl|webgpu/i.test(`${backend} ${provider ?? ''}`)) return null
  return (
    `BERT on ${backend} (no GPU): fine-tuning will be slow` +
    (layers ? ` with ${layers} layers` : '') +
    ` — pick a small encoder (3–4 layers) or freeze the lower layers (model.bert.freezeLayers), or run with tfjs-node-gpu`
  )
}

export function makeOptimizer(model: Tagger, config: TrainConfig): GroupedAdam {
  const g = model.groups
  const encLr = config.encoderLearningRate ?? config.learningRate
  return new GroupedAdam({
    clipNorm: config.clipNorm,
    groups:
      encLr === config.learningRate
        ? [{ name: 'all', variables: [...g.encoder, ...g.heads], learningRate: config.learningRate }]
        : [
            { name: 'encoder', variables: g.encoder, learningRate: encLr },
            { name: 'heads', variables: g.heads, learningRate: config.learningRate },
          ],
  })
}

async function evaluateModel(model: Tagger, dev: readonly Example[], batchSize = 64): Promise<EvalReport> {
  const preds = await predict(model, dev, { batchSize })
  return evaluate(
    dev.map((e) => e.spans),
    preds.map((p) => p.spans),
    dev.map((e) => e.text),
  )
}

/**
 * Train a tagger. Each epoch: bucketed, shuffled batches (seeded), one Adam step per batch
 * (cancellation checked before each), then entity-level evaluation on `devSet` — or on the
 * training set when `devSet` is empty — to pick the best epoch and stop early (`patience`).
 * The returned model holds the best epoch's weights.
 */
export async function train(config: TrainConfig, trainSet: readonly Example[], devSet: readonly Example[], opts: TrainOptions = {}): Promise<TrainResult> {
  const errs = validateConfig(config)
  if (errs.length) throw new Error(`invalid config: ${errs.join('; ')}`)
  const emit = (e: TrainingEvent): void => opts.onEvent?.(e)
  const t0 = now()
  const backend = opts.backend ?? tf.getBackend()
  // with `init` every weight comes from its checkpoint, title embeddings included
  if (config.model.pretrainedEmbeddings && !opts.pretrained && !opts.init) throw new Error('pretrainedEmbeddings: no title embeddings were given')
  const vocabs = opts.vocabs ?? buildVocabs(trainSet, config.model, { pretrained: opts.pretrained ?? null, lexicon: opts.lexicon ?? null })
  if (config.model.encoder === 'bert') {
    if (!opts.bert) throw new Error(`preset '${config.preset}' needs a BERT encoder (import a BERT folder)`)
    const freeze = config.model.bert?.freezeLayers ?? 0
    opts.bert.encoder.freeze({ layers: Math.min(freeze, opts.bert.encoder.config.numLayers), embeddings: config.model.bert?.freezeEmbeddings ?? freeze > 0 })
  }
  const model = Tagger.build({ config: config.model, vocabs, seed: config.seed, ...(opts.bert ? { bert: opts.bert } : {}) })
  if (opts.init) assignWeights(model, opts.init)
  else if (config.model.pretrainedEmbeddings && opts.pretrained) model.loadPretrained(opts.pretrained)
  const opt = makeOptimizer(model, config)
  let parallel: ParallelStepper | null = null
  try {
    parallel = opts.parallel ? await opts.parallel(model, opt, config) : null
  } catch (e) {
    opt.dispose()
    model.dispose()
    throw e
  }
  const encoded: TitleFeatures[] = trainSet.map((e) => featurize(e, model.vocabs, config.maxLength, config.weakLoss)).filter((e) => e.charIds.length > 0)
  const lengths = encoded.map((e) => e.charIds.length)
  const totalChars = lengths.reduce((a, b) => a + b, 0)
  const rng = makeRng(config.seed)
  const stepsPerEpoch = Math.ceil(encoded.length / config.batchSize)
  const provider = (opts.backendReport as { provider?: string } | undefined)?.provider
  const warning = slowBackendWarning(backend, config, model.bert?.config.numLayers, provider)
  emit({
    kind: 'started',
    time: now(),
    backend,
    backendReport: opts.backendReport,
    preset: config.preset,
    trainExamples: encoded.length,
    devExamples: devSet.length,
    stepsPerEpoch,
    epochs: config.epochs,
    labels: model.vocabs.labels.size,
    parameters: model.parameterCount,
    trainableParameters: model.trainableParameterCount,
    workers: parallel?.workers ?? 1,
    ...(warning ? { warning } : {}),
  })
  const totalSteps = stepsPerEpoch * config.epochs
  const scheduled = (config.warmupRatio ?? 0) > 0 || config.lrDecay === 'linear'
  let step = 0
  let best: Checkpoint | null = null
  let bestF1 = -1
  let bestEpoch = 0
  let bestDev: EvalReport | null = null
  let bad = 0
  let cancelled = false
  let stoppedEarly = false
  let epochsRun = 0
  let charsDone = 0
  let trainMs = 0
  const yieldNow = (): Promise<void> => new Promise((r) => setImmediate(r))
  try {
    for (let epoch = 1; epoch <= config.epochs && !cancelled && !stoppedEarly; epoch++) {
      const batches = makeBatches(lengths, config.batchSize, rng, config.bucketed)
      const e0 = now()
      let lossSum = 0
      let epochChars = 0
      for (let bi = 0; bi < batches.length; bi++) {
        if (opts.yieldEvery !== false) await yieldNow()
        if (opts.shouldStop?.()) {
          cancelled = true
          break
        }
        const items = batches[bi]!.map((i) => encoded[i]!)
        const batch = { chars: items.reduce((a, e) => a + e.charIds.length, 0) }
        if (scheduled) opt.setLearningRateFactor(lrFactor(step, totalSteps, config.warmupRatio, config.lrDecay))
        const s0 = now()
        const loss = parallel ? await parallel.step(items) : trainStep(model, opt, items, config)
        trainMs += now() - s0
        if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at epoch ${epoch}, batch ${bi + 1}`)
        step++
        lossSum += loss
        epochChars += batch.chars
        charsDone += batch.chars
        const cps = charsDone / Math.max(1e-3, trainMs / 1000)
        if (config.logEvery > 0 && (step % config.logEvery === 0 || bi === batches.length - 1)) {
          const left = (config.epochs - epoch) * totalChars + (totalChars - epochChars)
          emit({ kind: 'batch', time: now(), epoch, step, batch: bi + 1, stepsPerEpoch: batches.length, loss, charsPerSec: cps, etaSec: left / cps })
        }
      }
      if (cancelled) break
      epochsRun = epoch
      const cps = charsDone / Math.max(1e-3, trainMs / 1000)
      emit({
        kind: 'epoch',
        time: now(),
        epoch,
        step,
        loss: lossSum / Math.max(1, batches.length),
        charsPerSec: cps,
        seconds: (now() - e0) / 1000,
        etaSec: ((config.epochs - epoch) * totalChars) / cps,
      })
      // dev evaluation (train set when there is no dev set)
      const evalSet = devSet.length ? devSet : trainSet
      const rep = await evaluateModel(model, evalSet)
      const isBest = rep.micro.f1 > bestF1
      if (isBest) {
        bestF1 = rep.micro.f1
        bestEpoch = epoch
        bestDev = rep
        bad = 0
      } else bad++
      const dev: PRF = { precision: rep.micro.precision, recall: rep.micro.recall, f1: rep.micro.f1 }
      emit({ kind: 'eval', time: now(), epoch, step, dev, best: isBest, bestF1 })
      if (isBest) {
        best = await saveCheckpoint(model, {
          config,
          metrics: checkpointMetrics(rep),
          epoch,
          step,
          backend,
          ...(opts.bert?.source ? { bertSource: opts.bert.source } : {}),
        })
        const where = opts.onBest ? await opts.onBest(best) : null
        emit({ kind: 'checkpoint', time: now(), epoch, step, path: where, f1: rep.micro.f1 })
      }
      if (config.patience > 0 && bad >= config.patience) stoppedEarly = true
    }
  } catch (e) {
    parallel?.dispose()
    opt.dispose()
    model.dispose()
    throw e
  }
  parallel?.dispose()
  opt.dispose()
  if (best) assignWeights(model, best)
  return { model, best, bestEpoch, bestDev, cancelled, stoppedEarly, epochsRun, steps: step, seconds: (now() - t0) / 1000 }
}
