/**
 * Presets named after the study's table (../seed: "流水的NLP铁打的NER"), each a complete,
 * JSON-serialisable, editable `TrainConfig`. Study defaults: embedding 300, BiLSTM 300 per
 * direction with fw + bw ADDED, batch 32, Adam 1e-3, global-norm clipping (TF1's default 5).
 *
 * Extension point for BERT: the five `bert*` presets are listed with `available: false` and
 * `requires` set. To add them, implement `encoder: 'bert'` in models/tagger.ts (a new
 * layers/bert/ encoder with a `groups.encoder` parameter group), then replace their entry in
 * `BERT_PRESETS` below by a config factory like the BiLSTM ones (encoderLearningRate 1e-4,
 * learningRate 1e-3, as in the study) and flip `available`.
 */
import type { ModelConfig, PresetInfo, PresetName, TrainConfig } from '../../shared/training'
import { PRESET_NAMES } from '../../shared/training'

export { PRESET_NAMES }

/** Model defaults shared by all BiLSTM presets (the study's). */
export const DEFAULT_MODEL: ModelConfig = {
  architecture: 'flat',
  encoder: 'bilstm',
  scheme: 'BIO',
  head: 'softmax',
  crfConstraints: true,
  charEmbedding: 300,
  wordEmbedding: 0,
  hidden: 300,
  merge: 'add',
  dropout: 0,
  minCharCount: 1,
  minWordCount: 1,
}

/** Training defaults shared by all presets. */
export const DEFAULT_TRAIN: Omit<TrainConfig, 'preset' | 'model'> = {
  lossWeights: { entity: 1, outside: 1 },
  batchSize: 32,
  epochs: 20,
  learningRate: 1e-3,
  encoderLearningRate: null,
  clipNorm: 5,
  patience: 3,
  seed: 42,
  bucketed: true,
  logEvery: 10,
  maxLength: 200,
}

interface BiLstmPreset {
  description: string
  model: Partial<ModelConfig>
  train?: Partial<TrainConfig>
}

const BILSTM_PRESETS: Record<string, BiLstmPreset> = {
  bilstm: {
    description: 'Char embedding → BiLSTM (fw+bw added) → softmax over flat BIO tags (study: F1 72.25).',
    model: { architecture: 'flat', head: 'softmax', scheme: 'BIO' },
  },
  'bilstm-crf': {
    description: 'BiLSTM with a CRF over flat BIO tags (study: F1 80.42; slow with many types).',
    model: { architecture: 'flat', head: 'crf', scheme: 'BIO' },
  },
  'cascade-bilstm-crf': {
    description: 'Cascade: BiLSTM, CRF over type-free BIOES boundaries + a type head read at each entity’s last char (study: F1 79.99).',
    model: { architecture: 'cascade', head: 'crf', scheme: 'BIOES' },
  },
  'cascade-bilstm-crf-wlf': {
    description: 'Cascade BiLSTM-CRF with word-level features: the covering word’s embedding concatenated to each char’s (study: F1 82.04).',
    model: { architecture: 'cascade', head: 'crf', scheme: 'BIOES', wordEmbedding: 300 },
  },
  'cascade-bilstm-crf-wlf-wol': {
    description:
      'Cascade with word features and loss weights (entity chars 1.5, O chars 0.5); as in the study the boundary head is softmax, since a CRF has no per-char loss (study: F1 82.37).',
    model: { architecture: 'cascade', head: 'softmax', scheme: 'BIOES', wordEmbedding: 300 },
    train: { lossWeights: { entity: 1.5, outside: 0.5 } },
  },
}

const BERT_REQUIRES = 'a Chinese BERT encoder (layers/bert), not available in this build yet'
const BERT_PRESETS: Record<string, string> = {
  bert: 'Chinese BERT → softmax over flat BIO tags; encoder lr 1e-4, heads 1e-3 (study: F1 80.92).',
  'bert-crf': 'Chinese BERT with a CRF over flat BIO tags (study: F1 81.60).',
  'bert-bilstm-crf': 'Chinese BERT → BiLSTM → CRF over flat BIO tags (study: F1 81.30).',
  'cascade-bert-crf': 'Cascade on Chinese BERT: CRF boundaries + type at each entity’s last char (study: F1 83.33).',
  'cascade-bert-crf-wol': 'Cascade BERT with loss weights, entity 1.5 / O 0.5 (study: F1 83.86).',
}

/** All ten presets, in the study's order, with availability. */
export function listPresets(): PresetInfo[] {
  return PRESET_NAMES.map((name) => {
    const b = BILSTM_PRESETS[name]
    if (b) return { name, description: b.description, available: true }
    return { name, description: BERT_PRESETS[name] ?? name, available: false, requires: BERT_REQUIRES }
  })
}

export function isPresetAvailable(name: string): boolean {
  return name in BILSTM_PRESETS
}

/**
 * A fresh, editable config for a preset, optionally overridden (deep for `model` and
 * `lossWeights`). Throws for unknown presets and for the BERT ones (not available yet).
 */
export function presetConfig(
  name: PresetName,
  overrides: Partial<Omit<TrainConfig, 'model' | 'lossWeights'>> & { model?: Partial<ModelConfig>; lossWeights?: Partial<TrainConfig['lossWeights']> } = {},
): TrainConfig {
  const p = BILSTM_PRESETS[name]
  if (!p) {
    if (name in BERT_PRESETS) throw new Error(`preset '${name}' needs ${BERT_REQUIRES}`)
    throw new Error(`unknown preset '${name}'`)
  }
  const base: TrainConfig = {
    preset: name,
    ...DEFAULT_TRAIN,
    ...p.train,
    model: { ...DEFAULT_MODEL, ...p.model },
    lossWeights: { ...DEFAULT_TRAIN.lossWeights, ...p.train?.lossWeights },
  }
  const { model, lossWeights, ...rest } = overrides
  return {
    ...base,
    ...rest,
    preset: name,
    model: { ...base.model, ...model },
    lossWeights: { ...base.lossWeights, ...lossWeights },
  }
}

/** Problems with a config (empty when fine). WOL weights ≠ 1 with a CRF head are reported. */
export function validateConfig(c: TrainConfig): string[] {
  const errs: string[] = []
  const m = c.model
  if (m.encoder !== 'bilstm') errs.push(`encoder '${m.encoder}' is not available`)
  for (const k of ['charEmbedding', 'hidden', 'batchSize', 'epochs'] as const) {
    const v = k === 'batchSize' || k === 'epochs' ? c[k] : m[k]
    if (!Number.isInteger(v) || v <= 0) errs.push(`${k} must be a positive integer`)
  }
  if (m.wordEmbedding < 0) errs.push('wordEmbedding must be ≥ 0')
  if (m.dropout < 0 || m.dropout >= 1) errs.push('dropout must be in [0, 1)')
  if (!(c.learningRate > 0)) errs.push('learningRate must be > 0')
  if (m.head === 'crf' && (c.lossWeights.entity !== 1 || c.lossWeights.outside !== 1))
    errs.push('lossWeights (WOL) apply to softmax heads only; with a CRF head set them to 1/1')
  return errs
}
