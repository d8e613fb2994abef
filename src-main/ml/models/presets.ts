/**
 * Presets named after the study's table (../seed: "流水的NLP铁打的NER"), each a complete,
 * JSON-serialisable, editable `TrainConfig`. Study defaults: embedding 300, BiLSTM 300 per
 * direction with fw + bw ADDED, batch 32, Adam 1e-3, global-norm clipping (TF1's default 5).
 *
 * BERT presets (`encoder: 'bert'`): the encoder is imported from a folder the user gives
 * (`--bert <folder>`), so `listPresets({ bert: false })` marks them unavailable (`needsBert`).
 * Defaults as the study: Adam 1e-4 for BERT vs 1e-3 for everything on top (two parameter groups,
 * each clipped to global norm 5 on its own), plus a linear warm-up over the first 10 % of the
 * optimiser steps and a linear decay to 0 (the usual BERT fine-tuning schedule; the study's code had
 * none), batch 32, no freezing, no accumulation. `bert-bilstm-crf` puts the study's BiLSTM (300 per
 * direction, added) between BERT and the CRF. Study's WOL run: `cascade-bert-crf-wol` keeps the
 * name of the study's table row but, like `cascade-bilstm-crf-wlf-wol`, has a SOFTMAX boundary head
 * (WOL weights are per-char loss terms, which a CRF's sequence log-likelihood has not;
 * `validateConfig` rejects WOL with a CRF head).
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
  // softmax heads decode the best well-formed path, not each char's argmax (bench/results/quality.md:
  // bilstm on Ding, 5 epochs, two seeds: 61.89 / 63.55 test F1 against 48.34 / 47.80 with argmax)
  constrainedDecoding: true,
  // a cascade span's type is voted by all its characters, not read at its last one (test F1 +0.21 on
  // Ding, +0.54 on GAIIC-weak, +0.53 on seed-sample: bench/results/quality.md)
  spanTyping: true,
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
    description: 'Char embedding → BiLSTM (fw+bw added) → softmax over flat BIOES tags, read as the best well-formed tag path (study: F1 72.25).',
    // BIOES, not the study's BIO: a per-char softmax sees no neighbouring tag, and an explicit end
    // (E/S) is worth +2.1 and +2.3 test F1 on Ding at 5 epochs over two seeds (bench/results/quality.md);
    // the reference tags Ding the same way. The CRF presets keep BIO: their transitions carry it.
    model: { architecture: 'flat', head: 'softmax', scheme: 'BIOES' },
  },
  'bilstm-crf': {
    description: 'BiLSTM with a CRF over flat BIO tags (study: F1 80.42; slow with many types).',
    model: { architecture: 'flat', head: 'crf', scheme: 'BIO' },
  },
  'cascade-bilstm-crf': {
    description: 'Cascade: BiLSTM, CRF over type-free BIOES boundaries + a type head voted over each entity’s characters (study: F1 79.99).',
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
  // beyond the study: a span head instead of tags
  'bilstm-globalpointer': {
    description:
      'BiLSTM with a GlobalPointer span head: scores every (start, end, type) with rotary positions, keeps the best non-overlapping spans scoring > 0 (not in the study).',
    model: { architecture: 'flat', head: 'globalpointer', scheme: 'BIO', pointerSize: 64 },
  },
}

/** Model defaults of the BERT presets: the BiLSTM fields size the optional BiLSTM on top of BERT. */
const DEFAULT_BERT_MODEL: ModelConfig = {
  ...DEFAULT_MODEL,
  encoder: 'bert',
  charEmbedding: 0,
  wordEmbedding: 0,
  hidden: 300,
  merge: 'add',
  dropout: 0,
  bert: { lstm: false, freezeLayers: 0, dropout: null },
}

/** Training defaults of the BERT presets (the study's two learning rates + a warm-up/decay schedule). */
const DEFAULT_BERT_TRAIN: Partial<TrainConfig> = {
  learningRate: 1e-3,
  encoderLearningRate: 1e-4,
  clipNorm: 5,
  batchSize: 32,
  epochs: 10,
  patience: 3,
  warmupRatio: 0.1,
  lrDecay: 'linear',
  accumulateSteps: 1,
}

const BERT_REQUIRES = 'a BERT folder (Hugging Face config.json + vocab.txt + model.safetensors, or Google bert_config.json + vocab.txt + bert_model.ckpt.*): --bert <folder>'
const BERT_PRESETS: Record<string, BiLstmPreset> = {
  bert: {
    description: 'Chinese BERT → softmax over flat BIO tags; encoder lr 1e-4, heads 1e-3 (study: F1 80.92).',
    model: { architecture: 'flat', head: 'softmax', scheme: 'BIO' },
  },
  'bert-crf': {
    description: 'Chinese BERT with a CRF over flat BIO tags (study: F1 81.60).',
    model: { architecture: 'flat', head: 'crf', scheme: 'BIO' },
  },
  'bert-bilstm-crf': {
    description: 'Chinese BERT → BiLSTM (300, fw+bw added) → CRF over flat BIO tags (study: F1 81.30).',
    model: { architecture: 'flat', head: 'crf', scheme: 'BIO', bert: { lstm: true, freezeLayers: 0, dropout: null } },
  },
  'cascade-bert-crf': {
    description: 'Cascade on Chinese BERT: CRF over type-free BIOES boundaries + a type voted over each entity’s characters (study: F1 83.33).',
    model: { architecture: 'cascade', head: 'crf', scheme: 'BIOES' },
  },
  'cascade-bert-crf-wol': {
    description:
      'Cascade BERT with loss weights (entity chars 1.5, O chars 0.5); as in the study the boundary head is softmax, since a CRF has no per-char loss (study: F1 83.86).',
    model: { architecture: 'cascade', head: 'softmax', scheme: 'BIOES' },
    train: { lossWeights: { entity: 1.5, outside: 0.5 } },
  },
}

/**
 * All presets (the study's ten in its order, then bilstm-globalpointer), with availability: the BERT ones are available when a
 * BERT folder is given (`bert: true`); default false (nothing given).
 */
export function listPresets(opts: { bert?: boolean } = {}): PresetInfo[] {
  return PRESET_NAMES.map((name) => {
    const b = BILSTM_PRESETS[name]
    if (b) return { name, description: b.description, available: true }
    const p = BERT_PRESETS[name]!
    return opts.bert ? { name, description: p.description, available: true, needsBert: true } : { name, description: p.description, available: false, needsBert: true, requires: BERT_REQUIRES }
  })
}

/** The preset fine-tunes an imported BERT. */
export function isBertPreset(name: string): boolean {
  return name in BERT_PRESETS
}

/**
 * A fresh, editable config for a preset, optionally overridden (deep for `model`, `model.bert`
 * and `lossWeights`). Throws for unknown presets. BERT presets build fine without a folder (the
 * encoder is given to `train()`, which refuses a BERT config without one).
 */
export function presetConfig(
  name: PresetName,
  overrides: Partial<Omit<TrainConfig, 'model' | 'lossWeights'>> & {
    model?: Partial<Omit<ModelConfig, 'bert'>> & { bert?: Partial<NonNullable<ModelConfig['bert']>> }
    lossWeights?: Partial<TrainConfig['lossWeights']>
  } = {},
): TrainConfig {
  const bertPreset = BERT_PRESETS[name]
  const p = BILSTM_PRESETS[name] ?? bertPreset
  if (!p) throw new Error(name === 'auto' ? "'auto' is built from the project's data: autoConfig (models/auto.ts)" : `unknown preset '${name}'`)
  const modelBase = bertPreset ? DEFAULT_BERT_MODEL : DEFAULT_MODEL
  const base: TrainConfig = {
    preset: name,
    ...DEFAULT_TRAIN,
    ...(bertPreset ? DEFAULT_BERT_TRAIN : {}),
    ...p.train,
    model: { ...modelBase, ...p.model, ...(bertPreset ? { bert: { ...modelBase.bert!, ...p.model.bert } } : {}) },
    lossWeights: { ...DEFAULT_TRAIN.lossWeights, ...p.train?.lossWeights },
  }
  const { model, lossWeights, ...rest } = overrides
  const { bert, ...modelRest } = model ?? {}
  return {
    ...base,
    ...rest,
    preset: name,
    model: { ...base.model, ...modelRest, ...(base.model.bert || bert ? { bert: { ...(base.model.bert ?? DEFAULT_BERT_MODEL.bert!), ...bert } } : {}) },
    lossWeights: { ...base.lossWeights, ...lossWeights },
  }
}

/** Problems with a config (empty when fine). WOL weights ≠ 1 with a CRF head are reported. */
export function validateConfig(c: TrainConfig): string[] {
  const errs: string[] = []
  const m = c.model
  if (m.encoder !== 'bilstm' && m.encoder !== 'bert') errs.push(`unknown encoder '${String(m.encoder)}'`)
  const bert = m.encoder === 'bert'
  const positive = bert ? (['batchSize', 'epochs', ...(m.bert?.lstm ? (['hidden'] as const) : [])] as const) : (['charEmbedding', 'hidden', 'batchSize', 'epochs'] as const)
  for (const k of positive) {
    const v = k === 'batchSize' || k === 'epochs' ? c[k] : m[k]
    if (!Number.isInteger(v) || v <= 0) errs.push(`${k} must be a positive integer`)
  }
  if (bert) {
    const b = m.bert
    if (b && (!Number.isInteger(b.freezeLayers) || b.freezeLayers < 0)) errs.push('bert.freezeLayers must be an integer ≥ 0')
    if (b && b.dropout !== null && !(b.dropout >= 0 && b.dropout < 1)) errs.push('bert.dropout must be null or in [0, 1)')
    if (b && b.freezeEmbeddings !== undefined && typeof b.freezeEmbeddings !== 'boolean') errs.push('bert.freezeEmbeddings must be true or false')
    if (m.wordEmbedding > 0) errs.push('word features (wordEmbedding) are not available with BERT')
  }
  if (c.encoderLearningRate !== null && !(c.encoderLearningRate > 0)) errs.push('encoderLearningRate must be > 0 or null')
  if (c.warmupRatio !== undefined && !(c.warmupRatio >= 0 && c.warmupRatio < 1)) errs.push('warmupRatio must be in [0, 1)')
  if (c.lrDecay !== undefined && c.lrDecay !== 'none' && c.lrDecay !== 'linear') errs.push("lrDecay must be 'none' or 'linear'")
  if (c.accumulateSteps !== undefined && (!Number.isInteger(c.accumulateSteps) || c.accumulateSteps < 1 || c.accumulateSteps > c.batchSize))
    errs.push('accumulateSteps must be an integer in [1, batchSize]')
  if (c.workers !== undefined && (!Number.isInteger(c.workers) || c.workers < 1 || c.workers > 64)) errs.push('workers must be an integer in [1, 64]')
  if (m.wordEmbedding < 0) errs.push('wordEmbedding must be ≥ 0')
  if (m.dropout < 0 || m.dropout >= 1) errs.push('dropout must be in [0, 1)')
  if (!(c.learningRate > 0)) errs.push('learningRate must be > 0')
  const wl = c.weakLoss
  if (wl) {
    if (!(wl.unknownEntityPrior > 0 && wl.unknownEntityPrior <= 1)) errs.push('weakLoss.unknownEntityPrior must be in (0, 1]')
    for (const o of ['gold', 'weak', 'dictionary', 'model'] as const) if (!(wl.originWeights?.[o] >= 0)) errs.push(`weakLoss.originWeights.${o} must be a number ≥ 0`)
    if (wl.softSpans !== undefined && typeof wl.softSpans !== 'boolean') errs.push('weakLoss.softSpans must be true or false')
    if (wl.minDictionaryPrecision !== undefined && !(wl.minDictionaryPrecision >= 0 && wl.minDictionaryPrecision <= 1)) errs.push('weakLoss.minDictionaryPrecision must be in [0, 1]')
  }
  const st = c.selfTraining
  if (st) {
    if (!Number.isInteger(st.rounds) || st.rounds < 0) errs.push('selfTraining.rounds must be an integer ≥ 0')
    if (!Number.isInteger(st.epochs) || st.epochs < 1) errs.push('selfTraining.epochs must be a positive integer')
    if (!(st.minConfidence >= 0 && st.minConfidence <= 1)) errs.push('selfTraining.minConfidence must be in [0, 1]')
    if (st.learningRate !== undefined && !(st.learningRate > 0)) errs.push('selfTraining.learningRate must be a number > 0')
    if (bert && st.rounds > 0) errs.push('selfTraining is not available with BERT (a later round would need a second copy of the encoder)')
  }
  if (m.decodeBias !== undefined && !(Number.isFinite(m.decodeBias) && Math.abs(m.decodeBias) <= 20)) errs.push('decodeBias must be a number in [−20, 20]')
  if (c.tuneDecodeBias !== undefined && typeof c.tuneDecodeBias !== 'boolean') errs.push('tuneDecodeBias must be true or false')
  if (c.tuneDecodeBias && m.head === 'globalpointer') errs.push('tuneDecodeBias is for tag heads (CRF, softmax), not the span head')
  if (m.head === 'crf' && (c.lossWeights.entity !== 1 || c.lossWeights.outside !== 1))
    errs.push('lossWeights (WOL) apply to softmax heads only; with a CRF head set them to 1/1')
  errs.push(...partProblems(c))
  return errs
}

/** Problems with the parts beyond the study (span head, title embeddings, bigrams, lexicon). */
function partProblems(c: TrainConfig): string[] {
  const errs: string[] = []
  const m = c.model
  if (m.head === 'globalpointer') {
    if (m.architecture !== 'flat') errs.push('the globalpointer head needs the flat architecture')
    if (m.pointerSize !== undefined && (!Number.isInteger(m.pointerSize) || m.pointerSize <= 0 || m.pointerSize % 2 !== 0)) errs.push('pointerSize must be a positive even integer')
    if (c.lossWeights.entity !== 1 || c.lossWeights.outside !== 1) errs.push('lossWeights (WOL) apply to softmax heads only; with the globalpointer head set them to 1/1')
  }
  if (m.bigramEmbedding !== undefined && (!Number.isInteger(m.bigramEmbedding) || m.bigramEmbedding < 0)) errs.push('bigramEmbedding must be an integer ≥ 0')
  if (m.encoder === 'bert' && (m.pretrainedEmbeddings || (m.bigramEmbedding ?? 0) > 0 || m.lexicon))
    errs.push('pretrainedEmbeddings, bigramEmbedding and lexicon are for the BiLSTM models, not BERT')
  return errs
}

/** The parts beyond the study that a config uses (for the Runs board): e.g. ['span head', 'title embeddings', 'bigrams', 'lexicon']. */
export function configParts(m: ModelConfig): string[] {
  const parts: string[] = []
  if (m.head === 'globalpointer') parts.push('span head')
  if (m.pretrainedEmbeddings) parts.push('title embeddings')
  if ((m.bigramEmbedding ?? 0) > 0) parts.push('bigrams')
  if (m.lexicon) parts.push('lexicon')
  if (m.decodeBias) parts.push(`O bias ${m.decodeBias}`)
  return parts
}
