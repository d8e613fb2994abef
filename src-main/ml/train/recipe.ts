/**
 * A run as a recipe: `train()` (which already applies the weak-label-aware loss of
 * `config.weakLoss`), then, with `config.selfTraining`, rounds of self-training:
 *
 *   1. the best model labels the pool: the unreviewed training titles and the unlabelled ones
 *      (on the trainer's prediction workers, `tagPool`; the outcome records how many and how long);
 *   2. `pseudoLabel`: a title without spans whose whole predicted labelling is likely
 *      (P(ŷ | x) ≥ minConfidence) is taken in full, O included; a title with weak spans gets the
 *      predicted spans of confidence ≥ minConfidence that overlap none of them, as `model` spans,
 *      and its other characters stay unknown. Reviewed titles are not in the pool: gold is never
 *      touched. An unlabelled title the model is unsure of is left out of the round: with its few
 *      confident spans and every other character unknown, the partial CRF's prior would only pull
 *      it towards O (GAIIC-weak: dev F1 85.83 → 78.47 after such a round; bench/results/quality.md);
 *   3. training goes on from the best weights for `selfTraining.epochs` epochs on that set (at
 *      `selfTraining.learningRate` when given: a fine-tuning round);
 *   4. the round is kept only if its best dev F1 beats the best so far; otherwise the rounds stop
 *      (stopped on dev) and the earlier model stays.
 * Events of later rounds continue the epoch and step numbering; a checkpoint is handed to `onBest`
 * only when it beats every earlier one, so the checkpoint on disk is always the run's best.
 *
 * Last, with `config.tuneDecodeBias`, the final model's O bias is chosen on dev (decode-bias.ts);
 * when it is not 0 the model decodes with it and `onBest` gets the checkpoint again carrying it
 * (`model.decodeBias`) and the dev scores at it.
 */
import type { DecodeBiasOutcome, Example, SelfTrainingOutcome, TrainConfig, TrainingEvent, TrainingSpan } from '../../shared/training'
import { checkpointMetrics, type Checkpoint } from '../checkpoint'
import type { TitlePrediction } from '../models/tagger'
import { predict, type PredictInput } from '../predict'
import { train, type TrainOptions, type TrainResult } from './trainer'
import { tuneDecodeBias } from './decode-bias'

interface RecipeOptions extends TrainOptions {
  /** Titles without labels (self-training's pool, with the unreviewed training titles). */
  unlabelled?: readonly string[]
  /**
   * Tags the pool with the best model so far, given as its checkpoint: the trainer spreads the
   * titles over prediction workers (trainer/predict-workers.ts) so no core idles while the pool,
   * often larger than the training set, is read; it says how many processes did. Without it, or
   * when it gives null, `predict` runs here on the model in memory. A rejection while
   * `shouldStop()` holds is a cancel.
   */
  tagPool?: (best: Checkpoint, titles: readonly PredictInput[]) => Promise<{ preds: TitlePrediction[]; workers: number }> | null
}

interface RecipeResult extends TrainResult {
  /** Self-training rounds run and kept, and what the last round run labelled. */
  selfTraining: SelfTrainingOutcome | null
  /** With `config.tuneDecodeBias`: the bias chosen on dev (null: not asked, or no model or dev set). */
  decodeBias: DecodeBiasOutcome | null
}

/**
 * The pool's titles with what the model adds (rules in the header, step 2). Reviewed titles come
 * back unchanged; so does a title without spans that is not confident enough as a whole.
 * `titles` counts the titles given new labels (a title taken in full with no span counts: it
 * teaches O), `added` the spans.
 */
export function pseudoLabel(pool: readonly Example[], preds: readonly TitlePrediction[], minConfidence: number): { examples: Example[]; added: number; titles: number } {
  let added = 0
  let titles = 0
  const examples = pool.map((ex, i) => {
    if (ex.reviewed !== false) return ex
    const pred = preds[i]
    const n = Array.from(ex.text).length
    if (ex.spans.length === 0 && pred?.logProb !== undefined) {
      const p = Math.exp(pred.logProb)
      if (p < minConfidence) return ex
      const spans: TrainingSpan[] = pred.spans.filter((s) => s.end <= n).map((s) => ({ start: s.start, end: s.end, type: s.type, origin: 'model', confidence: s.confidence }))
      added += spans.length
      titles++
      return { ...ex, spans, reviewed: true, pseudo: p }
    }
    const taken = new Uint8Array(n)
    for (const s of ex.spans) taken.fill(1, s.start, s.end)
    const extra: TrainingSpan[] = []
    const cands = [...(pred?.spans ?? [])].filter((s) => s.confidence >= minConfidence).sort((a, b) => b.confidence - a.confidence)
    for (const s of cands) {
      if (s.end > taken.length || taken.subarray(s.start, s.end).some((x) => x === 1)) continue
      taken.fill(1, s.start, s.end)
      extra.push({ start: s.start, end: s.end, type: s.type, origin: 'model', confidence: s.confidence })
    }
    if (!extra.length) return ex
    added += extra.length
    titles++
    return { ...ex, spans: [...ex.spans, ...extra].sort((a, b) => a.start - b.start) }
  })
  return { examples, added, titles }
}

export async function trainRecipe(config: TrainConfig, trainSet: readonly Example[], devSet: readonly Example[], opts: RecipeOptions = {}): Promise<RecipeResult> {
  const r = await trainAndSelfTrain(config, trainSet, devSet, opts)
  if (!config.tuneDecodeBias || r.cancelled || !r.best || devSet.length === 0 || opts.shouldStop?.()) return { ...r, decodeBias: null }
  const { report, ...outcome } = await tuneDecodeBias(r.model, devSet)
  if (outcome.bias === 0) return { ...r, decodeBias: outcome }
  r.model.setDecodeBias(outcome.bias)
  const m = r.best.manifest
  const best = {
    ...r.best,
    manifest: {
      ...m,
      config: { ...m.config, model: { ...m.config.model, decodeBias: outcome.bias } },
      metrics: checkpointMetrics(report),
    },
  }
  await opts.onBest?.(best)
  return { ...r, best, bestDev: report, decodeBias: outcome }
}

async function trainAndSelfTrain(config: TrainConfig, trainSet: readonly Example[], devSet: readonly Example[], opts: RecipeOptions): Promise<Omit<RecipeResult, 'decodeBias'>> {
  const st = config.selfTraining
  let best = await train(config, trainSet, devSet, opts)
  if (!st || st.rounds <= 0 || best.cancelled || !best.best || devSet.length === 0) return { ...best, selfTraining: null }
  const unreviewed = trainSet.filter((e) => e.reviewed === false)
  const pool: Example[] = [...unreviewed, ...(opts.unlabelled ?? []).map((text) => ({ text, spans: [], reviewed: false }))]
  const fixed = trainSet.filter((e) => e.reviewed !== false)
  let bestF1 = best.bestDev?.micro.f1 ?? 0
  let epochOffset = best.epochsRun
  let stepOffset = best.steps
  let roundsKept = 0
  let roundsRun = 0
  let pseudoSpans = 0
  let pseudoTitles = 0
  let poolRun: SelfTrainingOutcome['pool'] | undefined
  const outcome = (): SelfTrainingOutcome => ({ roundsKept, roundsRun, pseudoSpans, pseudoTitles, ...(poolRun ? { pool: poolRun } : {}) })
  let seconds = best.seconds
  for (let round = 1; round <= st.rounds && pool.length > 0; round++) {
    const t0 = performance.now()
    let tagged: { preds: TitlePrediction[]; workers: number }
    try {
      const elsewhere = opts.tagPool?.(best.best!, pool) ?? null
      tagged = elsewhere ? await elsewhere : { preds: await predict(best.model, pool), workers: 1 }
    } catch (e) {
      if (opts.shouldStop?.()) return { ...best, cancelled: true, seconds, selfTraining: outcome() }
      throw e
    }
    const preds = tagged.preds
    poolRun = { titles: pool.length, workers: tagged.workers, seconds: Math.round((performance.now() - t0) / 100) / 10 }
    const { examples, added, titles } = pseudoLabel(pool, preds, st.minConfidence)
    if (titles === 0) break
    // the training titles stay (labelled further or as they were); an unlabelled one only when the model labelled it
    const roundSet = [...fixed, ...examples.filter((e, i) => i < unreviewed.length || e.reviewed !== false)]
    const shift = (e: TrainingEvent): TrainingEvent | null => {
      if (e.kind === 'started' || e.kind === 'done' || e.kind === 'cancelled') return null
      if ('epoch' in e && 'step' in e) return { ...e, epoch: e.epoch + epochOffset, step: e.step + stepOffset } as TrainingEvent
      return e
    }
    const roundConfig = { ...config, epochs: st.epochs, patience: 0, seed: config.seed + round, learningRate: st.learningRate ?? config.learningRate }
    const r = await train(roundConfig, roundSet, devSet, {
      ...opts,
      vocabs: best.model.vocabData,
      init: best.best!,
      onEvent: (e) => {
        const s = shift(e)
        if (s) opts.onEvent?.(s)
      },
      onBest: (ckpt) => ((ckpt.manifest.metrics?.micro.f1 ?? 0) > bestF1 && opts.onBest ? opts.onBest(ckpt) : null),
    })
    roundsRun++
    pseudoSpans = added
    pseudoTitles = titles
    seconds += r.seconds
    epochOffset += r.epochsRun
    stepOffset += r.steps
    const f1 = r.bestDev?.micro.f1 ?? 0
    if (r.cancelled || !r.best || f1 <= bestF1) {
      r.model.dispose()
      if (r.cancelled) return { ...best, cancelled: true, seconds, selfTraining: outcome() }
      break
    }
    best.model.dispose()
    best = { ...r, bestEpoch: r.bestEpoch + epochOffset - r.epochsRun }
    bestF1 = f1
    roundsKept++
  }
  return { ...best, epochsRun: epochOffset, seconds, selfTraining: outcome() }
}
