/**
 * Training contract shared by the trainer process, the main process and the renderer.
 * PURE TypeScript: no node, electron or tfjs imports.
 */

/** Presets of the study (../seed), by name. The BERT ones need an encoder that is not there yet. */
export const PRESET_NAMES = [
  'bilstm',
  'bilstm-crf',
  'cascade-bilstm-crf',
  'cascade-bilstm-crf-wlf',
  'cascade-bilstm-crf-wlf-wol',
  'bert',
  'bert-crf',
  'bert-bilstm-crf',
  'cascade-bert-crf',
  'cascade-bert-crf-wol',
] as const
export type PresetName = (typeof PRESET_NAMES)[number]

export interface PresetInfo {
  name: PresetName
  /** One English line for menus. */
  description: string
  /** False when the preset needs something this build does not have (the BERT encoder). */
  available: boolean
  /** Why it is unavailable, when it is. */
  requires?: string
}

export type TagScheme = 'BIO' | 'BIOES'
export type HeadKind = 'softmax' | 'crf'

/** A labelled entity: end exclusive, offsets in Unicode code points (`Array.from(text)`). */
export interface Span {
  start: number
  end: number
  type: string
}
/** A predicted entity with a confidence in [0, 1]. */
export interface PredictedSpan extends Span {
  text: string
  confidence: number
}

/** One training/dev example as the host writes it to JSONL. `words` = word lengths in chars. */
export interface Example {
  text: string
  spans: Span[]
  words?: number[]
}

/** Model configuration (JSON-serialisable). See src-main/ml/models/presets.ts for defaults. */
export interface ModelConfig {
  /** `flat`: one tagger over typed tags; `cascade`: type-free boundary tags + per-char type head. */
  architecture: 'flat' | 'cascade'
  /** Encoder; only `bilstm` exists yet (`bert` is the extension point). */
  encoder: 'bilstm' | 'bert'
  /** Tag scheme of the flat tagger or the cascade's boundary head. */
  scheme: TagScheme
  /** Output head of the flat tagger / boundary head. */
  head: HeadKind
  /**
   * CRF with BIO constraints: `I-X` only after `B-X`/`I-X`, never first (ill-formed paths get
   * probability 0). Also halves the CRF's cost with many types. Only for the BIO scheme; ignored
   * otherwise. Absent (old configs) = false.
   */
  crfConstraints?: boolean
  /** Character embedding size (study: 300). */
  charEmbedding: number
  /** Word-level feature (WLF): word embedding size concatenated to the char embedding; 0 = off. */
  wordEmbedding: number
  /** Hidden size of each LSTM direction (study: 300). */
  hidden: number
  /** How the two LSTM directions combine: `add` (study) or `concat` (2 × hidden). */
  merge: 'add' | 'concat'
  /** Dropout on embeddings and BiLSTM outputs during training (0 = off). */
  dropout: number
  /** Minimum count for a char/word to enter its vocabulary. */
  minCharCount: number
  minWordCount: number
}

/** Loss weights (WOL): entity characters × entity, O characters × outside. 1/1 = off. */
export interface LossWeights {
  entity: number
  outside: number
}

export interface TrainConfig {
  preset: PresetName
  model: ModelConfig
  lossWeights: LossWeights
  batchSize: number
  epochs: number
  /** Adam learning rate of the heads / everything without a group. */
  learningRate: number
  /** Learning rate of the encoder (BERT presets use 1e-4); null = same as learningRate. */
  encoderLearningRate: number | null
  /** Global-norm gradient clipping (per parameter group, as in the study); 0 = off. */
  clipNorm: number
  /** Early stopping: epochs without dev F1 improvement before stopping; 0 = never. */
  patience: number
  seed: number
  /** Batches are drawn from buckets of titles of similar length. */
  bucketed: boolean
  /** Emit a `batch` event every n batches. */
  logEvery: number
  /** Longest title in characters; longer ones are cut for training. */
  maxLength: number
}

export interface PRF {
  precision: number
  recall: number
  f1: number
}

interface EventBase {
  /** ms since epoch */
  time: number
}
export type TrainingEvent =
  | (EventBase & {
      kind: 'started'
      backend: string
      backendReport?: unknown
      preset: PresetName
      trainExamples: number
      devExamples: number
      stepsPerEpoch: number
      epochs: number
      labels: number
      parameters: number
    })
  | (EventBase & {
      kind: 'batch'
      epoch: number
      step: number
      batch: number
      stepsPerEpoch: number
      loss: number
      charsPerSec: number
      /** Seconds left for all remaining epochs at the current speed. */
      etaSec: number
    })
  | (EventBase & {
      kind: 'epoch'
      epoch: number
      step: number
      loss: number
      charsPerSec: number
      seconds: number
      etaSec: number
    })
  | (EventBase & { kind: 'eval'; epoch: number; step: number; dev: PRF; best: boolean; bestF1: number })
  | (EventBase & { kind: 'checkpoint'; epoch: number; step: number; path: string | null; f1: number })
  | (EventBase & {
      kind: 'done'
      bestEpoch: number
      best: PRF
      epochs: number
      stoppedEarly: boolean
      seconds: number
      checkpointPath: string | null
    })
  | (EventBase & { kind: 'error'; message: string; stack?: string })
  | (EventBase & { kind: 'cancelled'; epoch: number; step: number; checkpointPath: string | null })

export type TrainingEventKind = TrainingEvent['kind']
