// Model in the loop: the contract's types for training jobs, runs, evaluation with
// drill-down, and pre-annotation. PURE TypeScript (the renderer imports it).

import type { PresetInfo, PresetName, PRF, TrainConfig, TrainingEvent } from './training'
import type { PlainSpan } from './tags'
import type { RunRecord, Span, Split } from './types'

/** A preset as the Train screen lists it: the engine's info plus its default config (editable JSON). */
export interface PresetEntry extends PresetInfo {
  /** The preset's default config; null for presets this build cannot train (BERT). */
  config: TrainConfig | null
  /** `auto`: its parts, one sentence each (which of them run depends on the project's data). */
  parts?: { id: string; sentence: string }[]
}

/** Deep-partial overrides of a preset's config (model and lossWeights merge deeply). */
export type ConfigOverrides = Partial<Omit<TrainConfig, 'model' | 'lossWeights'>> & {
  model?: Partial<TrainConfig['model']>
  lossWeights?: Partial<TrainConfig['lossWeights']>
}

export interface TrainStartRequest {
  preset: PresetName
  overrides?: ConfigOverrides
  /** 'reviewed': reviewed titles' gold spans only; 'all': also weak and dictionary labels. Default 'all'. */
  data?: 'reviewed' | 'all'
  /** Split to judge each epoch on (default 'dev'; when empty, 10 % of train is held back). */
  devSplit?: Split
  trainSplit?: Split
  /** Force a tfjs backend (default: the best that loads). */
  backend?: 'tensorflow' | 'wasm' | 'cpu'
  /** BERT presets: the pre-trained encoder's folder (validated before the job starts; see services/training.ts). */
  bert?: string
  /** Continue from this finished run's model: the same preset and model settings, its weights to start (services/runs/warm-start.ts). */
  from?: number
}

/** One epoch of a run's history (shared/progress.ts builds it from the trainer's events). */
export interface EpochPoint {
  epoch: number
  loss?: number
  seconds?: number
  charsPerSec?: number
  dev?: PRF
}

/** A training job the Studio runs (or ran, in this session). One job at a time. */
export interface TrainJob {
  runId: number
  preset: PresetName
  state: 'running' | 'done' | 'cancelled' | 'failed'
  /** Cancel was asked for and the trainer has not stopped yet. */
  cancelling: boolean
  startedAt: number
  finishedAt: number | null
  backend: string | null
  backendReason: string | null
  trainExamples: number | null
  devExamples: number | null
  epochs: number | null
  stepsPerEpoch: number | null
  /** Progress 0..1 over all epochs. */
  progress: number
  etaSec: number | null
  lastLoss: number | null
  /** Data-parallel trainer processes (null until started). */
  workers: number | null
  /** Training speed so far (chars/s of the training steps), live from the batch events. */
  charsPerSec: number | null
  history: EpochPoint[]
  /** Per batch loss, thinned to at most ~400 points. */
  batchLoss: { step: number; loss: number }[]
  best: PRF | null
  error: string | null
}

/**
 * `train.progress`: one trainer event of a job, plus the job as it now stands. `event` is null for
 * the last one, sent once the run record is final (state done / cancelled / failed).
 */
export interface TrainProgress {
  runId: number
  event: TrainingEvent | null
  job: TrainJob
}

/** `inference.progress`: evaluation or pre-annotation going through titles in batches. */
export interface InferenceProgress {
  runId: number
  what: 'evaluate' | 'pre-annotate'
  done: number
  total: number
}

export interface TypeRow {
  type: string
  precision: number
  recall: number
  f1: number
  support: number
  predicted: number
  correct: number
}

export interface ErrorBucketsCount {
  missed: number
  spurious: number
  wrongBoundary: number
  wrongType: number
  wrongBoth: number
}
export type BucketName = keyof ErrorBucketsCount
export const BUCKET_NAMES: readonly BucketName[] = ['missed', 'spurious', 'wrongBoundary', 'wrongType', 'wrongBoth']

export interface EvalSummary {
  runId: number
  split: Split
  titles: number
  micro: PRF & { support: number; predicted: number; correct: number }
  macro: PRF
  boundary: PRF
  typeAccuracy: number
  perType: TypeRow[]
  errors: ErrorBucketsCount
  /** confusion[gold][predicted] over entities with matching boundaries (diagonal = right type). */
  confusion: Record<string, Record<string, number>>
  /** Error buckets per type (missed: by gold type; others: by predicted type). */
  errorsByType: Record<string, ErrorBucketsCount>
}

/**
 * One number of the Evaluate screen. Every count there is the number of entities the cell
 * selects; eval.titles lists the titles holding at least one of them.
 * - `{ type, metric }`: gold entities of a type (support), predicted (predicted), correct ones
 *   (correct), or the type's errors (errors: missed + predicted-but-wrong).
 * - `{ bucket, type? }`: entities in an error bucket (optionally of one type).
 * - `{ gold, pred }`: predicted entities with a gold entity's exact boundaries (confusion cell).
 */
export interface EvalCell {
  type?: string
  metric?: 'support' | 'predicted' | 'correct' | 'errors'
  bucket?: BucketName
  gold?: string
  pred?: string
}

export interface EvalTitle {
  id: number
  text: string
  status: 'unreviewed' | 'reviewed'
  gold: PlainSpan[]
  pred: (PlainSpan & { confidence?: number })[]
  /** The entities of the cell in this title (gold or predicted, per the cell). */
  hits: (PlainSpan & { side: 'gold' | 'pred' })[]
}

export interface EvalTitlesResult {
  /** Entities the cell counts (as on the screen). */
  count: number
  titles: EvalTitle[]
  /** Titles in total (titles is cut at `limit`). */
  total: number
}

export interface RunDetail extends RunRecord {
  /** Titles trained on / judged on, when recorded. */
  trainExamples: number | null
  devExamples: number | null
  epochsRun: number
  secondsPerEpoch: number | null
  /** Wall seconds the training took in all (null while it runs or when not recorded). */
  seconds: number | null
  /** Training speed: mean chars/s of the epochs that recorded it (null for older runs). */
  charsPerSec: number | null
  /** Data-parallel trainer processes the run used (null: run from before they were recorded). */
  workers: number | null
  best: PRF | null
  /** The parts of the run's recipe: auto's, or the preset plus any weak-loss / self-training settings, then the
   *  model parts beyond the study ('span head', 'title embeddings', 'bigrams', 'lexicon'). */
  parts: string[]
  /** What self-training did, in a line (null: the run had none, or is from before it was recorded). */
  selfTraining: string | null
  /** What the decode bias tuned on dev chose, in a line (null: not tuned, or a run from before it). */
  decoding: string | null
  /** Evaluations made (per split), micro scores. */
  evaluations: Partial<Record<Split, PRF & { titles?: number }>>
}

export interface RunsCompare {
  a: RunDetail
  b: RunDetail
  split: Split
  types: { type: string; a: TypeRow | null; b: TypeRow | null }[]
  microA: PRF
  microB: PRF
}

export interface PreannotateRequest {
  runId: number
  /** Only titles of this split (default: every split). */
  split?: Split
  /** Keep only predicted spans at least this confident (default 0). */
  minConfidence?: number
  /** At most this many titles (lowest ids first among the unreviewed). */
  limit?: number
}

export interface PreannotateResult {
  runId: number
  titles: number
  /** Model spans stored. */
  spans: number
  /** Predicted spans left out because they overlap a gold/weak/dictionary span. */
  skippedOverlap: number
  /** Predicted spans left out for being under minConfidence. */
  skippedLowConfidence: number
  /** Model spans of earlier pre-annotations in these titles that were replaced. */
  replaced: number
}

/** What to accept or reject: one model span, every model span of a title, or of a type above a threshold. */
export type ModelSpanSelector =
  | { spanId: number }
  | { titleId: number }
  | { type: string; minConfidence?: number; runId?: number; below?: boolean }

export interface ModelSpanEditResult {
  changed: number
  titleIds: number[]
}

export interface QueueItem {
  id: number
  text: string
  /** Lowest confidence among its model spans (uncertainty: lower first). */
  minConfidence: number
  meanConfidence: number
  modelSpans: number
  /** Total token entropy of the title's tag distribution (nats), in the orders read from the run's predictions. */
  entropy?: number
  /** log P(ŷ | x) of the run's predicted tag path (≤ 0), in the orders read from the run's predictions. */
  logProb?: number
  /** Its model spans (of the run, when one was asked for), by start. */
  spans: (PlainSpan & { id: number; confidence: number })[]
}

/** How the Pre-annotate queue orders titles (services/runs/evaluation.ts preannotateQueue). */
export const QUEUE_ORDERS = ['least-confident', 'entropy', 'sequence', 'mnlp'] as const
export type QueueOrder = (typeof QUEUE_ORDERS)[number]

/** Each order in plain words: `first` completes "… first" (headings, stream labels), `hint` says what it ranks by. */
export const QUEUE_ORDER_TEXT: Record<QueueOrder, { name: string; first: string; hint: string }> = {
  'least-confident': {
    name: 'Least confident span',
    first: 'least confident span first',
    hint: 'Titles with model spans, by their least confident span. Titles the model gave no span are not in this queue.',
  },
  entropy: {
    name: 'Most uncertain characters',
    first: 'most uncertain characters first',
    hint: "Every pre-annotated title, by the total entropy of its characters' tag distributions.",
  },
  sequence: {
    name: 'Least probable title',
    first: 'least probable title first',
    hint: "Every pre-annotated title, by the probability of the model's whole tag path: 1 − P(path) highest first. Favours long titles.",
  },
  mnlp: {
    name: 'Least probable per character',
    first: 'least probable per character first',
    hint: "Every pre-annotated title, by −log P(path) per character (Shen et al. 2017): long titles are not favoured.",
  },
}

export interface QueueQuery {
  runId?: number
  /**
   * 'least-confident' (default): by the least confident model span. Needing runId, every title the
   * run pre-annotated: 'entropy' by total token entropy; 'sequence' by P(ŷ | x) of the whole
   * predicted tag path, least probable first; 'mnlp' by −log P(ŷ | x) / characters, highest first.
   */
  order?: QueueOrder
  limit?: number
  offset?: number
}

export interface QueueResult {
  total: number
  items: QueueItem[]
  /** Every run with model spans waiting on unreviewed titles (whatever runId asked), newest run first. */
  waiting: { runId: number; spans: number; titles: number }[]
}

export type { Span }
