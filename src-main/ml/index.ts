/**
 * Public API of the tagging engine (Electron-free; runs in the trainer process, the CLI, tests).
 * See src-main/ml/README.md.
 */
export { initBackend, backendReport, type BackendName, type BackendReport, type BackendAttempt } from './backend'
export { listPresets, presetConfig, validateConfig, isPresetAvailable, DEFAULT_MODEL, DEFAULT_TRAIN, PRESET_NAMES } from './models/presets'
export { Tagger, type TitlePrediction } from './models/tagger'
export { buildVocabs, type TaggerVocabs } from './models/features'
export { train, evaluateModel, trainStep, makeOptimizer, type TrainOptions, type TrainResult, type TrainCallbacks } from './train/trainer'
export { GroupedAdam, type ParamGroup } from './train/optimizer'
export { evaluate, prf, type EvalReport, type ErrorBuckets, type TypeScore } from './eval'
export { predict, type PredictInput, type PredictOptions } from './predict'
export {
  saveCheckpoint,
  loadCheckpoint,
  assignWeights,
  checkpointToBytes,
  checkpointFromBytes,
  writeCheckpointDir,
  readCheckpointDir,
  type Checkpoint,
  type CheckpointManifest,
} from './checkpoint'
export { encodeSpans, decodeTags, cascadeDecode, LabelVocab, TypeVocab, spansFromTagLine } from './tagging'
export { readJsonl, writeJsonl } from './data/jsonl'
export { readSeedDir } from './data/seed'
export { segmentWords, wordPerChar } from './text/words'
