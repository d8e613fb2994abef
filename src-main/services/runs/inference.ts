// Inference with a run's checkpoint for the services (evaluation, pre-annotation): on the
// prediction pool when there are enough titles for it (trainer/predict-workers.ts), else here.
import { initBackend } from '../../ml/backend'
import type { Checkpoint } from '../../ml/checkpoint'
import type { PredictInput, TitlePrediction } from '../../ml/predict'
import { openPredictor, resolvePredictWorkers } from '../../trainer/predict-workers'

/** Titles per step on one worker: the event loop (server, Electron main) turns between steps. */
export const INFERENCE_BATCH = 32

export interface InferenceOptions {
  /** Prediction workers (default: resolvePredictWorkers — the cores, when the titles fill them). */
  workers?: number
  /** Span confidences (default true). */
  confidence?: boolean
}

/** Predict `titles` with a checkpoint, in input order; `onBatch` after each chunk. */
export async function predictBatched(
  ckpt: Checkpoint,
  titles: readonly { text: string; words?: number[] }[],
  onBatch: (done: number, total: number) => void = () => {},
  o: InferenceOptions = {},
): Promise<TitlePrediction[]> {
  const backend = (await initBackend()).name
  const workers = Math.min(resolvePredictWorkers(o.workers, backend, titles.length), Math.max(1, titles.length))
  const predictor = await openPredictor(ckpt, { workers, backend })
  try {
    const inputs: PredictInput[] = titles.map((t) => (t.words ? { text: t.text, words: t.words } : t.text))
    return await predictor.predict(inputs, { onProgress: onBatch, confidence: o.confidence ?? true, ...(workers === 1 ? { chunk: INFERENCE_BATCH } : {}) })
  } finally {
    predictor.close()
  }
}
