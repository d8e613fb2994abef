/**
 * Checkpoints: weights + a JSON manifest (config, vocabularies, scheme, metrics, backend).
 * Three forms: a directory (`manifest.json` + `weights.bin`), an in-memory
 * `{ manifest, weights: Uint8Array }` pair, and one byte string (for a SQLite BLOB):
 *   "NERCKPT1" | u32 LE manifest byte length | manifest UTF-8 JSON | weights.
 * Weights are float32 little-endian, in manifest order. Optimiser state is not stored.
 *
 * Version 2 (BERT presets): a BERT tagger's checkpoint is self-contained. `manifest.bert` holds
 * the encoder's config (Hugging Face config.json fields) and its vocabulary (vocab.txt lines), and
 * the encoder's weights are ordinary entries named `bert/<HF name>` (e.g.
 * `bert/encoder.layer.0.attention.self.query.weight`; Linear weights as the variables hold them,
 * [in, out], i.e. transposed w.r.t. the HF file), frozen layers included. The byte layout and the
 * magic are unchanged; version 1 checkpoints (BiLSTM only, no `bert`) load as before.
 */
import * as tf from '@tensorflow/tfjs'
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs'
import path from 'node:path'
import type { TrainConfig } from '../../shared/training'
import type { EvalReport } from '../eval'
import type { TaggerVocabs } from '../models/features'
import { Tagger } from '../models/tagger'
import { BertEncoder } from '../bert/encoder'
import { bertConfigToJson, parseBertConfig } from '../bert/config'
import { Vocab as BertVocab } from '../bert/tokenizer'

const CHECKPOINT_FORMAT = 'ner-studio-tagger'
/** 2: `bert` section + `bert/*` weights for BERT taggers (v1 still loads). */
export const CHECKPOINT_VERSION = 2
const MAGIC = 'NERCKPT1'

interface WeightEntry {
  name: string
  shape: number[]
  offset: number
  length: number
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT
  version: number
  config: TrainConfig
  vocabs: TaggerVocabs
  scheme: TrainConfig['model']['scheme']
  /** Dev metrics of the saved epoch (micro P/R/F1 etc.), when evaluated. */
  metrics: Pick<EvalReport, 'micro' | 'macro' | 'boundary' | 'study'> | null
  epoch: number
  step: number
  backend: string
  createdAt: string
  weights: WeightEntry[]
  /** BERT taggers (version ≥ 2): the encoder's config and vocabulary; its weights are the `bert/*` entries. */
  bert?: BertManifest
}

interface BertManifest {
  /** Hugging Face config.json fields. */
  config: Record<string, unknown>
  /** vocab.txt, one token per entry (id = index). */
  vocab: string[]
  /** Where the encoder was imported from (informative). */
  source?: { dir?: string; layout?: string }
}

export interface Checkpoint {
  manifest: CheckpointManifest
  weights: Uint8Array
}

interface SaveMeta {
  config: TrainConfig
  metrics?: CheckpointManifest['metrics']
  epoch?: number
  step?: number
  backend?: string
  /** Where a BERT encoder was imported from (informative, kept in the manifest). */
  bertSource?: BertManifest['source']
}

/** Snapshot a model's weights into an in-memory checkpoint. */
/** What a checkpoint keeps of a dev report (`manifest.metrics`): the summary scores, not the per-type tables. */
export function checkpointMetrics(rep: EvalReport): NonNullable<CheckpointManifest['metrics']> {
  return { micro: rep.micro, macro: rep.macro, boundary: rep.boundary, study: rep.study }
}

export async function saveCheckpoint(model: Tagger, meta: SaveMeta): Promise<Checkpoint> {
  const entries: WeightEntry[] = []
  const chunks: Float32Array[] = []
  let offset = 0
  for (const v of model.variables) {
    const data = (await v.data()) as Float32Array
    entries.push({ name: model.localName(v), shape: v.shape, offset, length: data.length })
    chunks.push(data)
    offset += data.length * 4
  }
  const weights = new Uint8Array(offset)
  let o = 0
  for (const c of chunks) {
    weights.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), o)
    o += c.byteLength
  }
  return {
    manifest: {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      config: meta.config,
      vocabs: model.vocabData,
      scheme: meta.config.model.scheme,
      metrics: meta.metrics ?? null,
      epoch: meta.epoch ?? 0,
      step: meta.step ?? 0,
      backend: meta.backend ?? tf.getBackend(),
      createdAt: new Date().toISOString(),
      weights: entries,
      ...(model.bert
        ? { bert: { config: bertConfigToJson(model.bert.config), vocab: model.vocabs.bert!.tokens, ...(meta.bertSource ? { source: meta.bertSource } : {}) } }
        : {}),
    },
    weights,
  }
}

/** Copy a checkpoint's weights into an existing model of the same config and vocabularies. */
export function assignWeights(model: Tagger, ckpt: Checkpoint): void {
  const byName = new Map(ckpt.manifest.weights.map((w) => [w.name, w]))
  const buf = ckpt.weights
  const aligned = buf.byteOffset % 4 === 0 ? buf : buf.slice()
  for (const v of model.variables) {
    const w = byName.get(model.localName(v))
    if (!w) throw new Error(`checkpoint lacks weight '${model.localName(v)}'`)
    if (w.shape.join('x') !== v.shape.join('x')) throw new Error(`weight '${w.name}': shape ${w.shape} ≠ model ${v.shape}`)
    const arr = new Float32Array(aligned.buffer, aligned.byteOffset + w.offset, w.length)
    tf.tidy(() => v.assign(tf.tensor(arr, v.shape)))
  }
}

/** Build a model from a checkpoint (the caller disposes it). */
export function loadCheckpoint(ckpt: Checkpoint): Tagger {
  const m = ckpt.manifest
  if (m.format !== CHECKPOINT_FORMAT) throw new Error(`not a ${CHECKPOINT_FORMAT} checkpoint`)
  if (m.version > CHECKPOINT_VERSION) throw new Error(`checkpoint version ${m.version} is newer than this build (${CHECKPOINT_VERSION})`)
  let bert: { encoder: BertEncoder; vocab: BertVocab } | undefined
  if (m.config.model.encoder === 'bert') {
    if (!m.bert) throw new Error('BERT checkpoint without its encoder (no "bert" section in the manifest)')
    const config = parseBertConfig(m.bert.config, 'checkpoint manifest (bert.config)')
    const vocab = new BertVocab(m.bert.vocab, 'checkpoint manifest (bert.vocab)')
    bert = { encoder: BertEncoder.zeros(config), vocab }
  }
  const model = Tagger.build({ config: m.config.model, vocabs: m.vocabs, seed: m.config.seed, ...(bert ? { bert } : {}) })
  try {
    assignWeights(model, ckpt)
  } catch (e) {
    model.dispose()
    throw e
  }
  return model
}

/** One byte string (for a BLOB). */
export function checkpointToBytes(ckpt: Checkpoint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(ckpt.manifest))
  const out = new Uint8Array(MAGIC.length + 4 + json.length + ckpt.weights.length)
  out.set(new TextEncoder().encode(MAGIC), 0)
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true)
  out.set(json, MAGIC.length + 4)
  out.set(ckpt.weights, MAGIC.length + 4 + json.length)
  return out
}

export function checkpointFromBytes(bytes: Uint8Array): Checkpoint {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length))
  if (magic !== MAGIC) throw new Error('not a NER Studio checkpoint (bad magic)')
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true)
  const start = MAGIC.length + 4
  const manifest = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + n))) as CheckpointManifest
  return { manifest, weights: bytes.slice(start + n) }
}

/** Write `manifest.json` + `weights.bin` (atomically: temp files renamed). */
export function writeCheckpointDir(dir: string, ckpt: Checkpoint): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'weights.bin.tmp'), ckpt.weights)
  writeFileSync(path.join(dir, 'manifest.json.tmp'), JSON.stringify(ckpt.manifest, null, 1))
  renameSync(path.join(dir, 'weights.bin.tmp'), path.join(dir, 'weights.bin'))
  renameSync(path.join(dir, 'manifest.json.tmp'), path.join(dir, 'manifest.json'))
}

export function readCheckpointDir(dir: string): Checkpoint {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest
  const weights = new Uint8Array(readFileSync(path.join(dir, 'weights.bin')))
  return { manifest, weights }
}
