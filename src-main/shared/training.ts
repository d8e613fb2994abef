/**
 * Training contract shared by the trainer process, the main process and the renderer.
 * PURE TypeScript: no node, electron or tfjs imports.
 */

import type { PlainSpan, TagScheme } from './tags'

/** Presets of the study (../seed), by name. The BERT ones need an imported BERT folder. */
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
  // beyond the study
  'bilstm-globalpointer',
] as const
/**
 * The studio's own recipe beyond the study's ten: parts chosen by what the project holds
 * (src-main/ml/models/auto.ts); the concrete config, with `recipe`, is what the run records.
 */
export const AUTO_PRESET = 'auto' as const
export type PresetName = (typeof PRESET_NAMES)[number] | typeof AUTO_PRESET

/** One part of a recipe, as the Train screen explains it and the Runs board lists it. */
export interface RecipePart {
  id: string
  /** Short label for the Runs board, e.g. "partial CRF (ρ 0.3)". */
  label: string
  /** One sentence for the Train screen. */
  sentence: string
}

export interface PresetInfo {
  name: PresetName
  /** One English line for menus. */
  description: string
  /** False when the preset needs something not given (a BERT folder). */
  available: boolean
  /** Why it is unavailable, when it is. */
  requires?: string
  /** The preset fine-tunes an imported BERT (needs a BERT folder: `--bert <folder>`). */
  needsBert?: boolean
}

/** `globalpointer`: a span head scoring every (start, end, type), flat architecture only (ml/layers/global-pointer.ts). */
export type HeadKind = 'softmax' | 'crf' | 'globalpointer'

/** A predicted entity with a confidence in [0, 1]. */
export interface PredictedSpan extends PlainSpan {
  text: string
  confidence: number
}

/** Where a training span came from: the project's span origins (reviewed gold > weak > dictionary > model). */
export type TrainingOrigin = 'gold' | 'weak' | 'dictionary' | 'model'

/** A training span; `origin` and `confidence` (model spans) drive the weak-label-aware loss. Absent origin = gold. */
export interface TrainingSpan extends PlainSpan {
  origin?: TrainingOrigin
  confidence?: number
}

/**
 * One training/dev example as the host writes it to JSONL. `words` = word lengths in chars.
 * `reviewed` false = the title's labels are partial (weak): characters no span covers are unknown,
 * not O, for a partial-CRF loss (`weakLoss`). Absent = reviewed (every character observed).
 */
export interface Example {
  text: string
  spans: TrainingSpan[]
  words?: number[]
  reviewed?: boolean
  /**
   * Self-training: the model labelled the whole title (every character, O included) with its
   * path's probability `pseudo` (ml/train/recipe.ts). It is fully observed, like a reviewed title,
   * and weighs as a `model` label times that probability.
   */
  pseudo?: number
}

/** Model configuration (JSON-serialisable). See src-main/ml/models/presets.ts for defaults. */
export interface ModelConfig {
  /** `flat`: one tagger over typed tags; `cascade`: type-free boundary tags + per-char type head. */
  architecture: 'flat' | 'cascade'
  /** Encoder: a BiLSTM over char embeddings, or a BERT imported from a folder (the `bert*` presets). */
  encoder: 'bilstm' | 'bert'
  /** Tag scheme of the flat tagger or the cascade's boundary head. */
  scheme: TagScheme
  /** Output head of the flat tagger / boundary head. */
  head: HeadKind
  /**
   * CRF with transition constraints of the tag scheme (ill-formed paths get probability 0; also
   * halves the CRF's cost with many types). BIO: `I-X` only after `B-X`/`I-X`, never first.
   * BIOES: `I-X`/`E-X` only after `B-X`/`I-X`; `O`, `B-*`, `S-*` only first or after `O`/`E-*`/`S-*`;
   * a title never ends on `B-*`/`I-*`. Applies to the flat tags and to the cascade's type-free
   * boundary tags alike. Absent (old configs) = false.
   */
  crfConstraints?: boolean
  /**
   * Softmax heads (flat, or the cascade's WOL boundary head): decode the best tag path that the
   * scheme allows (Viterbi over the per-character log-probabilities with the `crfConstraints`
   * rules and no learnt transitions) instead of each character's argmax, which can emit `I-X` after
   * `O` or an `E-X` that closes nothing. Training is unchanged. Absent (old configs) = false.
   */
  constrainedDecoding?: boolean
  /**
   * Cascade: a span's type is the one most probable over ALL its characters (Σ log p of the type
   * head), not the argmax at its last character (the study's rule). The type head is trained on
   * every entity character, so every one of them votes. Absent (old configs) = false.
   */
  spanTyping?: boolean
  /**
   * Decoding: subtract this from the O tag's score at every character (CRF emissions or softmax
   * logits) before the path is chosen. A model trained with O over most characters predicts fewer
   * entities than it should (high precision, low recall); a positive bias trades precision for
   * recall. Training is unchanged; `tuneDecodeBias` chooses it on dev. Absent = 0.
   */
  decodeBias?: number
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
  /** BERT encoder options (`encoder: 'bert'` only; the encoder itself comes from an imported folder). */
  bert?: BertModelOptions
  /** GlobalPointer head: size of its query/key vectors (even; absent = 64). */
  pointerSize?: number
  /**
   * BiLSTM encoders: the char (and bigram) embeddings start from skip-gram vectors learnt on ALL the
   * project's titles, unlabelled included (ml/embeddings; kept in the project until the titles
   * change), and the char vocabulary also takes their characters. Absent = false.
   */
  pretrainedEmbeddings?: boolean
  /** Embedding of the bigram (char, next char) concatenated to each char's input; 0/absent = off. */
  bigramEmbedding?: number
  /**
   * SoftLexicon-style features (ml/lexicon): per char, which entity types the lexicon words that
   * Begin / are in the Middle of / End / are a Single char at it belong to, concatenated to the
   * char input. Lexicon = the project's dictionaries + gold spans of the train split. Absent = false.
   */
  lexicon?: boolean
}

/**
 * Options of a BERT encoder (`encoder: 'bert'`). With BERT, `charEmbedding`, `wordEmbedding`,
 * `minCharCount` and `minWordCount` are unused (the characters are BERT vocabulary tokens) and
 * `hidden`/`merge` size the optional BiLSTM between BERT and the heads.
 */
export interface BertModelOptions {
  /** A BiLSTM (`hidden` per direction) between BERT's hidden states and the head (bert-bilstm-crf). */
  lstm: boolean
  /** Freeze the embeddings and the lowest N transformer layers (0 = fine-tune everything). */
  freezeLayers: number
  /**
   * Freeze the embedding tables (+ their LayerNorm) on their own; absent = `freezeLayers > 0`.
   * The word-embedding table (21128 × 768 in Chinese BERT) has a dense gradient and Adam update every
   * step, a large part of a small encoder's step on CPU (bench/results/bert-presets.md).
   */
  freezeEmbeddings?: boolean
  /** Dropout inside BERT during training; null = the checkpoint's config.json values (usually 0.1). */
  dropout: number | null
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
  /**
   * Learning-rate warm-up: the first ⌈warmupRatio × total optimiser steps⌉ steps ramp linearly from
   * lr/W to lr (absent = 0, no warm-up).
   */
  warmupRatio?: number
  /** After warm-up, `linear` decays every group's lr linearly to 0 at the last planned step; absent = 'none'. */
  lrDecay?: 'none' | 'linear'
  /**
   * Gradient accumulation: each batch of `batchSize` titles is run as this many micro-batches whose
   * gradients are summed before ONE optimiser step (same result as the full batch, less memory).
   * Absent = 1.
   */
  accumulateSteps?: number
  /**
   * Data-parallel training: threads that each compute the gradient of a share of every batch
   * (summed, one optimiser step: the same update as one thread). Absent = the machine's cores on
   * wasm/cpu (capped, see trainer/workers.ts); always 1 on tfjs-node and WebGPU; 1 = no helper threads.
   */
  workers?: number
  /** The weak-label-aware loss (absent = every title's labels are taken as complete truth, as the study did). */
  weakLoss?: WeakLossConfig
  /** Self-training rounds after the first run (absent = none). */
  selfTraining?: SelfTrainingConfig
  /**
   * After training (and self-training), choose `model.decodeBias` on dev: the bias of
   * `DECODE_BIAS_GRID` (ml/train/decode-bias.ts) with the best dev F1, 0 on a tie; the checkpoint
   * carries it. Needs a dev set; not for the span head. Absent = false.
   */
  tuneDecodeBias?: boolean
  /** `auto`: the parts it chose and why (what the project held); absent for the study's presets. */
  recipe?: { parts: RecipePart[]; facts: ProjectFacts }
}

/** What `auto` looks at: the training data's shape. */
export interface ProjectFacts {
  /** Reviewed training titles (fully labelled). */
  reviewed: number
  /** Unreviewed training titles with spans (weak, dictionary or model labels: partial). */
  weak: number
  /** Unreviewed training titles without any span, and titles outside every split. */
  unlabelled: number
  /** Entity types in the training data. */
  types: number
  /** Terms of the project's imported dictionaries (the lexicon's outside knowledge); absent = 0. */
  dictionaryTerms?: number
  /** Training titles that carry their own word segmentation (the study's format does); absent = 0. */
  segmented?: number
}

/**
 * Weak-label-aware loss. Titles marked `reviewed: false` are partially labelled: with `partial`,
 * their characters that no span covers are unknown (a partial CRF / partial softmax marginalises over
 * every tag consistent with the spans), with a prior ρ = `unknownEntityPrior` on the non-O tags of an
 * unknown character (1 = nothing known, → 0 = read as O like the study). Each title's loss is
 * weighted by the mean of `originWeights[origin] × confidence` over its spans (reviewed titles:
 * `gold`; unreviewed titles without spans: `weak`).
 */
export interface WeakLossConfig {
  partial: boolean
  unknownEntityPrior: number
  originWeights: Record<TrainingOrigin, number>
  /**
   * Spans with a `confidence` (a dictionary's estimated precision, a model's probability) are soft
   * observations: each of their characters is the span's tag with weight c and unknown with 1 − c,
   * and the title weight leaves confidence out (it is in the evidence). Absent = false: every span
   * is certain and confidence scales the title weight.
   */
  softSpans?: boolean
  /**
   * The studio leaves out the spans of a dictionary whose precision on the reviewed train and dev
   * titles (services/runs/dict-confidence.ts) is below this: their characters become unknown.
   * Read by the host when it writes the training data, not by the engine. Absent = keep them all.
   */
  minDictionaryPrecision?: number
}

/**
 * Self-training: after training, the model labels the unreviewed and unlabelled titles (the train
 * split's unreviewed titles and those of no split: services/runs/records.ts selfTrainingPool); spans with
 * confidence ≥ `minConfidence` that overlap no existing span become `model` spans of a new training
 * set, and the model trains again (`epochs` more, from its weights); at most `rounds` rounds, each
 * kept only if dev F1 improves.
 */
export interface SelfTrainingConfig {
  rounds: number
  minConfidence: number
  epochs: number
  /** A round's learning rate (it fine-tunes from the best weights); absent = the run's `learningRate`. */
  learningRate?: number
}

/** What `tuneDecodeBias` chose: the bias, dev F1 at 0 and at it (fractions), and the seconds it took. */
export interface DecodeBiasOutcome {
  bias: number
  devF1Before: number
  devF1: number
  seconds: number
}

/** What self-training did in a run: rounds run and kept, and what the last round run labelled. */
export interface SelfTrainingOutcome {
  roundsRun: number
  roundsKept: number
  /** Titles the model labelled for that round (taken in full, or given spans beside their weak ones). */
  pseudoTitles: number
  /** Spans it added. */
  pseudoSpans: number
  /** That round's pool: titles tagged, on how many processes, in how many seconds (runs before 2026-12-08 lack it). */
  pool?: { titles: number; workers: number; seconds: number }
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
      /** Trainable parameters (frozen BERT layers excluded); absent = all. */
      trainableParameters?: number
      /** A one-line note for the user, e.g. BERT on a CPU backend is slow. */
      warning?: string
      /** Threads computing each batch's gradient (data-parallel training); absent = 1. */
      workers?: number
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
      /** With `config.selfTraining`: what it did. */
      selfTraining?: SelfTrainingOutcome
      /** With `config.tuneDecodeBias`: what it chose. */
      decodeBias?: DecodeBiasOutcome
    })
  | (EventBase & { kind: 'error'; message: string; stack?: string })
  | (EventBase & { kind: 'cancelled'; epoch: number; step: number; checkpointPath: string | null })

export type TrainingEventKind = TrainingEvent['kind']
