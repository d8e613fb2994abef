/** Messages between the host (main process) and the trainer child process. */
import type { TrainConfig, TrainingEvent } from '../shared/training'
import type { PredictReply, PredictRequest } from './predict-workers'
import type { WorkerReply, WorkerRequest } from './workers'

/** One training job. Train/dev data are JSONL files of `Example` (`{ text, spans, words? }`). */
export interface TrainingJob {
  config: TrainConfig
  trainPath: string
  devPath: string
  /** Where the best checkpoint is written (`manifest.json` + `weights.bin`). */
  outDir: string
  /**
   * BERT presets: the folder of the pre-trained encoder (Hugging Face or Google layout), already
   * validated by the host (`importBertFolder`); the trainer imports it again and stores the
   * encoder in the checkpoint.
   */
  bertPath?: string
  /**
   * `model.pretrainedEmbeddings`: the title embeddings (ml/embeddings bytes). When the file does
   * not exist yet, the trainer learns them from `titlesPath` (JSONL of strings: every title of the
   * project) and writes them there, for the host to keep in the project.
   */
  embeddingsPath?: string
  titlesPath?: string
  /** `selfTraining`: JSONL of strings, the pool's titles beyond the train file (records.ts selfTrainingPool). */
  unlabelledPath?: string
  /** `model.lexicon`: JSONL of `{ text, type }` lexicon words (dictionaries + train gold spans). */
  lexiconPath?: string
  /** A warm start: the checkpoint folder of an earlier run of the same model, whose weights and vocabularies start this one. */
  initPath?: string
  /** Force a backend (else NER_STUDIO_BACKEND, else the best available). */
  backend?: 'tensorflow' | 'wasm' | 'cpu'
}

/** A trainer process is a job's trainer, a data-parallel helper of one (`worker-*`) or a prediction helper (`predict-*`). */
export type HostMessage = { type: 'job'; job: TrainingJob } | { type: 'cancel' } | WorkerRequest | PredictRequest
export type ChildMessage = { type: 'ready' } | { type: 'event'; event: TrainingEvent } | WorkerReply | PredictReply

export const TERMINAL_KINDS = ['done', 'error', 'cancelled'] as const
export function isTerminal(e: TrainingEvent): boolean {
  return (TERMINAL_KINDS as readonly string[]).includes(e.kind)
}
