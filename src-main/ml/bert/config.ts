/**
 * BERT configuration, parsed from Hugging Face `config.json` or Google `bert_config.json`.
 *
 * Both files use the same field names (Google's `modeling.BertConfig` is the origin of HF's
 * `BertConfig`); HF adds `model_type`, `layer_norm_eps`, `pad_token_id`, … Google's files have no
 * `layer_norm_eps` (its LayerNorm uses 1e-12 — HF's default too).
 */
import { readFileSync } from 'node:fs'

export interface BertConfig {
  vocabSize: number
  hiddenSize: number
  numLayers: number
  numHeads: number
  intermediateSize: number
  maxPositions: number
  typeVocabSize: number
  layerNormEps: number
  /** Only exact (erf) GELU is supported: `gelu` in both HF and Google configs. */
  hiddenAct: 'gelu'
  hiddenDropout: number
  attentionDropout: number
  initializerRange: number
}

class BertConfigError extends Error {
  override name = 'BertConfigError'
}

const DEFAULTS = {
  layerNormEps: 1e-12,
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
  initializerRange: 0.02,
  typeVocabSize: 2,
}

/** Parse an already-decoded JSON object. `source` names the file in error messages. */
export function parseBertConfig(raw: unknown, source = 'config.json'): BertConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BertConfigError(`${source}: expected a JSON object`)
  }
  const o = raw as Record<string, unknown>
  const int = (field: string, min: number, dflt?: number): number => {
    const v = o[field]
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt
      throw new BertConfigError(`${source}: missing required field "${field}"`)
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new BertConfigError(`${source}: field "${field}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`)
    }
    return v
  }
  const num = (field: string, min: number, max: number, dflt: number): number => {
    const v = o[field]
    if (v === undefined || v === null) return dflt
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new BertConfigError(`${source}: field "${field}" must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`)
    }
    return v
  }
  if (o.model_type !== undefined && o.model_type !== 'bert') {
    throw new BertConfigError(`${source}: field "model_type" is ${JSON.stringify(o.model_type)}; only "bert" is supported`)
  }
  const act = o.hidden_act ?? 'gelu'
  if (act !== 'gelu') {
    throw new BertConfigError(
      `${source}: field "hidden_act" is ${JSON.stringify(act)}; only "gelu" (exact erf GELU) is supported`,
    )
  }
  const pet = o.position_embedding_type
  if (pet !== undefined && pet !== 'absolute') {
    throw new BertConfigError(`${source}: field "position_embedding_type" is ${JSON.stringify(pet)}; only "absolute" is supported`)
  }
  const hiddenSize = int('hidden_size', 1)
  const numHeads = int('num_attention_heads', 1)
  if (hiddenSize % numHeads !== 0) {
    throw new BertConfigError(
      `${source}: field "hidden_size" (${hiddenSize}) must be divisible by "num_attention_heads" (${numHeads})`,
    )
  }
  return {
    vocabSize: int('vocab_size', 1),
    hiddenSize,
    numLayers: int('num_hidden_layers', 1),
    numHeads,
    intermediateSize: int('intermediate_size', 1),
    maxPositions: int('max_position_embeddings', 3),
    typeVocabSize: int('type_vocab_size', 1, DEFAULTS.typeVocabSize),
    layerNormEps: num('layer_norm_eps', 0, 1, DEFAULTS.layerNormEps),
    hiddenAct: 'gelu',
    hiddenDropout: num('hidden_dropout_prob', 0, 0.999, DEFAULTS.hiddenDropout),
    attentionDropout: num('attention_probs_dropout_prob', 0, 0.999, DEFAULTS.attentionDropout),
    initializerRange: num('initializer_range', 0, 10, DEFAULTS.initializerRange),
  }
}

/** Read and parse a config file (`config.json` or `bert_config.json`). */
export function readBertConfig(path: string): BertConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new BertConfigError(`${path}: cannot read (${(e as Error).message})`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new BertConfigError(`${path}: invalid JSON (${(e as Error).message})`)
  }
  return parseBertConfig(raw, path)
}

/** Back to HF `config.json` field names (stored in saved safetensors metadata). */
export function bertConfigToJson(c: BertConfig): Record<string, unknown> {
  return {
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.maxPositions,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_act: c.hiddenAct,
    hidden_dropout_prob: c.hiddenDropout,
    attention_probs_dropout_prob: c.attentionDropout,
    initializer_range: c.initializerRange,
  }
}
