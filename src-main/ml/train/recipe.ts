/**
 * A run as a recipe: `train()` (which already applies the weak-label-aware loss of
 * `config.weakLoss`), then, with `config.selfTraining`, rounds of self-training:
 *
 *   1. the best model labels the pool: the unreviewed training titles and the unlabelled ones;
 *   2. `pseudoLabel` adds its spans of confidence ≥ minConfidence that overlap no existing span as
 *      `model` spans (reviewed titles are not in the pool: gold is never touched);
 *   3. training goes on from the best weights for `selfTraining.epochs` epochs on that set (at
 *      `selfTraining.learningRate` when given: a fine-tuning round);
 *   4. the round is kept only if its best dev F1 beats the best so far; otherwise the rounds stop
 *      (stopped on dev) and the earlier model stays.
 * Events of later rounds continue the epoch and step numbering; a checkpoint is handed to `onBest`
 * only when it beats every earlier one, so the checkpoint on disk is always the run's best.
 */
import type { Example, TrainConfig, TrainingEvent, TrainingSpan } from '../../shared/training'
import type { TitlePrediction } from '../models/tagger'
import { predict } from '../predict'
import { train, type TrainOptions, type TrainResult } from './trainer'

interface RecipeOptions extends TrainOptions {
  /** Titles without labels (self-training's pool, with the unreviewed training titles). */
  unlabelled?: readonly string[]
}

interface RecipeResult extends TrainResult {
  /** Self-training rounds kept, and the pseudo-labelled spans of the kept set. */
  selfTraining: { roundsKept: number; roundsRun: number; pseudoSpans: number } | null
}

/**
 * The pool's titles with the prediction's confident spans added as `model` spans, where they
 * overlap none of the title's spans (nor each other). Reviewed titles come back unchanged.
 */
export function pseudoLabel(pool: readonly Example[], preds: readonly TitlePrediction[], minConfidence: number): { examples: Example[]; added: number } {
  let added = 0
  const examples = pool.map((ex, i) => {
    if (ex.reviewed !== false) return ex
    const taken = new Uint8Array(Array.from(ex.text).length)
    for (const s of ex.spans) taken.fill(1, s.start, s.end)
    const extra: TrainingSpan[] = []
    const cands = [...(preds[i]?.spans ?? [])].filter((s) => s.confidence >= minConfidence).sort((a, b) => b.confidence - a.confidence)
    for (const s of cands) {
      if (s.end > taken.length || taken.subarray(s.start, s.end).some((x) => x === 1)) continue
      taken.fill(1, s.start, s.end)
      extra.push({ start: s.start, end: s.end, type: s.type, origin: 'model', confidence: s.confidence })
    }
    added += extra.length
    return extra.length ? { ...ex, spans: [...ex.spans, ...extra].sort((a, b) => a.start - b.start) } : ex
  })
  return { examples, added }
}

export async function trainRecipe(config: TrainConfig, trainSet: readonly Example[], devSet: readonly Example[], opts: RecipeOptions = {}): Promise<RecipeResult> {
  const st = config.selfTraining
  let best = await train(config, trainSet, devSet, opts)
  if (!st || st.rounds <= 0 || best.cancelled || !best.best || devSet.length === 0) return { ...best, selfTraining: null }
  const pool: Example[] = [...trainSet.filter((e) => e.reviewed === false), ...(opts.unlabelled ?? []).map((text) => ({ text, spans: [], reviewed: false }))]
  const fixed = trainSet.filter((e) => e.reviewed !== false)
  let bestF1 = best.bestDev?.micro.f1 ?? 0
  let epochOffset = best.epochsRun
  let stepOffset = best.steps
  let roundsKept = 0
  let roundsRun = 0
  let pseudoSpans = 0
  let seconds = best.seconds
  for (let round = 1; round <= st.rounds && pool.length > 0; round++) {
    const preds = await predict(best.model, pool)
    const { examples, added } = pseudoLabel(pool, preds, st.minConfidence)
    if (added === 0) break
    const shift = (e: TrainingEvent): TrainingEvent | null => {
      if (e.kind === 'started' || e.kind === 'done' || e.kind === 'cancelled') return null
      if ('epoch' in e && 'step' in e) return { ...e, epoch: e.epoch + epochOffset, step: e.step + stepOffset } as TrainingEvent
      return e
    }
    const roundConfig = { ...config, epochs: st.epochs, patience: 0, seed: config.seed + round, learningRate: st.learningRate ?? config.learningRate }
    const r = await train(roundConfig, [...fixed, ...examples], devSet, {
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
    seconds += r.seconds
    epochOffset += r.epochsRun
    stepOffset += r.steps
    const f1 = r.bestDev?.micro.f1 ?? 0
    if (r.cancelled || !r.best || f1 <= bestF1) {
      r.model.dispose()
      if (r.cancelled) return { ...best, cancelled: true, seconds, selfTraining: { roundsKept, roundsRun, pseudoSpans } }
      break
    }
    best.model.dispose()
    best = { ...r, bestEpoch: r.bestEpoch + epochOffset - r.epochsRun }
    bestF1 = f1
    roundsKept++
    pseudoSpans = added
  }
  return { ...best, epochsRun: epochOffset, seconds, selfTraining: { roundsKept, roundsRun, pseudoSpans } }
}
