/** Messages between the host (main process) and the trainer child process. */
import type { TrainConfig, TrainingEvent } from '../shared/training'

/** One training job. Train/dev data are JSONL files of `Example` (`{ text, spans, words? }`). */
export interface TrainingJob {
  config: TrainConfig
  trainPath: string
  devPath: string
  /** Where the best checkpoint is written (`manifest.json` + `weights.bin`). */
  outDir: string
  /** Force a backend (else NER_STUDIO_BACKEND, else the best available). */
  backend?: 'tensorflow' | 'wasm' | 'cpu'
}

export type HostMessage = { type: 'job'; job: TrainingJob } | { type: 'cancel' }
export type ChildMessage = { type: 'ready' } | { type: 'event'; event: TrainingEvent }

export const TERMINAL_KINDS = ['done', 'error', 'cancelled'] as const
export function isTerminal(e: TrainingEvent): boolean {
  return (TERMINAL_KINDS as readonly string[]).includes(e.kind)
}
