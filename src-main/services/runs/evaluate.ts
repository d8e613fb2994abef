// THE evaluation of a run: predict every title of a split with the run's model (runs/inference.ts),
// store the predictions (for export, the review queue and "disagrees with run"), score them against
// the project's spans (gold, weak and dictionary — the best labels the project has) and record the
// result in the run. The CLI (`evaluate`), simulate and the screens (eval.run) all
// call `evaluateRun`; Compare reads what it recorded instead of evaluating again.

import { classifySpans, evaluate, type EvalReport } from '../../ml/eval'
import type { TitlePrediction } from '../../ml/predict'
import { StudioError } from '../../shared/errors'
import type { ErrorBucketsCount, EvalSummary, InferenceProgress, TypeRow } from '../../shared/runs'
import type { Split } from '../../shared/types'
import type { DB } from '../../store/db'
import { getRunRow, savePredictions, selectExamples, updateRun, type TrainingExample } from './records'
import { predictBatched, type InferenceOptions } from './inference'
import { runCheckpoint } from './training'

export type Progress = (p: InferenceProgress) => void

export interface Evaluation {
  runId: number
  split: Split
  titles: number
  /** The engine's full report (the CLI prints it). */
  report: EvalReport
  /** What the Evaluate and Compare screens show (stored in the run). */
  summary: EvalSummary
}

const zeroBuckets = (): ErrorBucketsCount => ({ missed: 0, spurious: 0, wrongBoundary: 0, wrongType: 0, wrongBoth: 0 })

/** Evaluate a run on a split, store its predictions and record the result in the run. */
export async function evaluateRun(db: DB, runId: number, split: Split = 'test', onProgress?: Progress, o: InferenceOptions = {}): Promise<Evaluation> {
  const ckpt = runCheckpoint(db, runId)
  const examples = selectExamples(db, split, 'all')
  if (examples.length === 0) throw new StudioError('bad_request', `split "${split}" has no titles to evaluate on`)
  const preds = await predictBatched(ckpt, examples, (done, total) => onProgress?.({ runId, what: 'evaluate', done, total }), o)
  const report = scorePredictions(db, runId, examples, preds)
  const errorsByType: Record<string, ErrorBucketsCount> = {}
  examples.forEach((e, i) => {
    const p = preds[i]!.spans
    const c = classifySpans(e.spans, p)
    c.pred.forEach((b, k) => {
      if (b) (errorsByType[p[k]!.type] ??= zeroBuckets())[b]++
    })
    c.missed.forEach((m, k) => {
      if (m) (errorsByType[e.spans[k]!.type] ??= zeroBuckets()).missed++
    })
  })
  const summary: EvalSummary = {
    runId,
    split,
    titles: examples.length,
    micro: report.micro,
    macro: report.macro,
    boundary: report.boundary,
    typeAccuracy: report.typeAccuracy,
    perType: typeRows(report),
    errors: report.errors,
    confusion: report.confusion,
    errorsByType,
  }
  recordEvaluation(db, runId, split, report, examples.length, summary)
  return { runId, split, titles: examples.length, report, summary }
}

/** The summary `evaluateRun` recorded for a run and split, or null when it has not been evaluated on it. */
export function storedEvaluation(db: DB, runId: number, split: Split): EvalSummary | null {
  const m = JSON.parse(getRunRow(db, runId).metrics ?? '{}') as { evaluations?: Record<string, { summary?: EvalSummary }> }
  return m.evaluations?.[split]?.summary ?? null
}

/** Store a run's predictions of `examples` (spans with confidence) and score them against the examples' spans. */
export function scorePredictions(db: DB, runId: number, examples: readonly TrainingExample[], preds: readonly TitlePrediction[]): EvalReport {
  savePredictions(
    db,
    runId,
    examples.map((e, i) => ({
      titleId: e.id,
      spans: preds[i]!.spans.map((s) => ({ start: s.start, end: s.end, type: s.type, confidence: s.confidence })),
    })),
  )
  return evaluate(
    examples.map((e) => e.spans),
    preds.map((p) => p.spans),
    examples.map((e) => e.text),
  )
}

function typeRows(report: Pick<EvalReport, 'perType'>): TypeRow[] {
  return Object.entries(report.perType)
    .map(([type, s]) => ({ type, precision: s.precision, recall: s.recall, f1: s.f1, support: s.support, predicted: s.predicted, correct: s.correct }))
    .sort((a, b) => b.support - a.support || a.type.localeCompare(b.type))
}

/** Record an evaluation in the run's metrics under evaluations[split]. */
function recordEvaluation(db: DB, runId: number, split: Split, report: EvalReport, titles: number, summary: EvalSummary): void {
  const row = getRunRow(db, runId)
  const metrics = (row.metrics ? JSON.parse(row.metrics) : {}) as Record<string, unknown>
  const evals = (metrics.evaluations ?? {}) as Record<string, unknown>
  evals[split] = {
    micro: report.micro,
    macro: report.macro,
    boundary: report.boundary,
    study: report.study,
    errors: report.errors,
    titles,
    summary,
  }
  updateRun(db, runId, { metrics: { ...metrics, evaluations: evals } })
}
