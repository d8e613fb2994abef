// Model in the loop: presets, training jobs, runs, evaluation and pre-annotation (the types live in
// shared/runs.ts). PURE TypeScript.
import type { RunRecord, Split } from '../types'
import type {
  EvalCell,
  EvalSummary,
  EvalTitlesResult,
  InferenceProgress,
  ModelSpanEditResult,
  ModelSpanSelector,
  PreannotateRequest,
  PreannotateResult,
  PresetEntry,
  QueueQuery,
  QueueResult,
  RunDetail,
  RunsCompare,
  TrainJob,
  TrainProgress,
  TrainStartRequest,
} from '../runs'
import { event, none, optional, req } from './contract'

export const runsRequests = {
  'presets.list': none<PresetEntry[]>(),
  'train.start': req<TrainStartRequest, TrainJob>(),
  'train.cancel': req<{ runId: number }, { cancelling: boolean }>(),
  'train.jobs': none<TrainJob[]>(),
  'runs.list': none<RunRecord[]>(),
  'runs.get': req<{ runId: number }, RunDetail>(),
  'runs.compare': req<{ a: number; b: number; split?: Split }, RunsCompare>(),
  'eval.run': req<{ runId: number; split?: Split }, EvalSummary>(),
  'eval.titles': req<{ runId: number; split: Split; cell: EvalCell; limit?: number }, EvalTitlesResult>(),
  'preannotate.run': req<PreannotateRequest, PreannotateResult>(),
  'preannotate.accept': req<ModelSpanSelector, ModelSpanEditResult>(),
  'preannotate.reject': req<ModelSpanSelector, ModelSpanEditResult>(),
  'preannotate.queue': optional<QueueQuery, QueueResult>(),
  /** How many model spans (in how many titles) a selector would accept or reject. */
  'preannotate.count': req<ModelSpanSelector, { spans: number; titles: number }>(),
}

export const runsEvents = {
  /** Every event of a training job, with the job as it now stands. */
  'train.progress': event<TrainProgress>(),
  /** Evaluation / pre-annotation / comparison progress (titles done of total). */
  'inference.progress': event<InferenceProgress>(),
}
