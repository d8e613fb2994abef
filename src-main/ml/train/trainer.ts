/**
 * The training loop: bucketed batches, grouped Adam with global-norm clipping, early stopping on
 * dev entity F1, seeded and reproducible, progress events, cancellation between batches, and the
 * best epoch kept (in memory, and handed to `onBest` to be written).
 */
import * as tf from '@tensorflow/tfjs'
import type { Example, PRF, TrainConfig, TrainingEvent } from '../../shared/training'
import { evaluate, type EvalReport } from '../eval'
import { saveCheckpoint, assignWeights, type Checkpoint } from '../checkpoint'
import { buildVocabs, encodeExample, makeBatch, type Encoded, type TaggerVocabs } from '../models/features'
import { Tagger } from '../models/tagger'
import { validateConfig } from '../models/presets'
import { predict } from '../predict'
import { makeBatches } from './batching'
import { GroupedAdam } from './optimizer'
import { makeRng } from './rng'

export interface TrainCallbacks {
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

/** One optimisation step: loss value. No tensors survive it. */
export function trainStep(model: Tagger, opt: GroupedAdam, batch: ReturnType<typeof makeBatch>, config: TrainConfig): number {
  const { value, grads } = tf.variableGrads(() => model.loss(batch, config.lossWeights, true), opt.variables)
  try {
    opt.apply(grads)
    return value.dataSync()[0]!
  } finally {
    value.dispose()
    for (const g of Object.values(grads)) g.dispose()
  }
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

export async function evaluateModel(model: Tagger, dev: readonly Example[], batchSize = 64): Promise<EvalReport> {
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
  const vocabs = opts.vocabs ?? buildVocabs(trainSet, config.model)
  const model = new Tagger({ config: config.model, vocabs, seed: config.seed })
  const opt = makeOptimizer(model, config)
  const encoded: Encoded[] = trainSet.map((e) => encodeExample(e, model.vocabs, config.maxLength)).filter((e) => e.charIds.length > 0)
  const lengths = encoded.map((e) => e.charIds.length)
  const totalChars = lengths.reduce((a, b) => a + b, 0)
  const rng = makeRng(config.seed)
  const stepsPerEpoch = Math.ceil(encoded.length / config.batchSize)
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
  })
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
        const batch = makeBatch(batches[bi]!.map((i) => encoded[i]!))
        const s0 = now()
        const loss = trainStep(model, opt, batch, config)
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
          metrics: { micro: rep.micro, macro: rep.macro, boundary: rep.boundary, study: rep.study },
          epoch,
          step,
          backend,
        })
        const where = opts.onBest ? await opts.onBest(best) : null
        emit({ kind: 'checkpoint', time: now(), epoch, step, path: where, f1: rep.micro.f1 })
      }
      if (config.patience > 0 && bad >= config.patience) stoppedEarly = true
    }
  } catch (e) {
    opt.dispose()
    model.dispose()
    throw e
  }
  opt.dispose()
  if (best) assignWeights(model, best)
  return { model, best, bestEpoch, bestDev, cancelled, stoppedEarly, epochsRun, steps: step, seconds: (now() - t0) / 1000 }
}
