/**
 * Import a pre-trained BERT from a user-picked folder, in either layout:
 *
 * - Hugging Face: `config.json`, `vocab.txt`, `model.safetensors`
 * - Google (original TF release, e.g. chinese_L-12_H-768_A-12): `bert_config.json`, `vocab.txt`,
 *   `bert_model.ckpt.index` + `bert_model.ckpt.data-00000-of-00001`
 *
 * The weights come back in internal names (HF `BertModel` names, Linear weights [out, in]) and are
 * validated against the config (missing / unknown / wrong-shape tensors are named); pass them to
 * `BertEncoder.fromWeights(config, weights)`. `inspectBertFolder` runs the same validation from
 * the tensor headers alone (no weights read), for a host that only needs to know the folder is good.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseBertConfig, readBertConfig, type BertConfig } from './config'
import { BertEncoder, fromHfNames, normalizeHfName, validateShapes, validateWeights, type LoadWeightsOptions, type WeightMap } from './encoder'
import { floatShapes, floatTensors, readSafetensors, readSafetensorsHeader } from './safetensors'
import { inspectGoogleBertCheckpoint, readGoogleBertCheckpoint } from './tf-checkpoint'
import { Vocab } from './tokenizer'

class BertImportError extends Error {
  override name = 'BertImportError'
}

interface ImportedBert {
  config: BertConfig
  vocab: Vocab
  weights: WeightMap
  layout: 'hf' | 'google'
  /** Files read, for the run manifest. */
  files: { config: string; vocab: string; weights: string[] }
}

function detectLayout(dir: string): 'hf' | 'google' {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BertImportError(`${dir}: not a folder`)
  const files = new Set(readdirSync(dir))
  if (files.has('config.json') && (files.has('model.safetensors') || files.has('pytorch_model.bin') || files.has('tf_model.h5'))) return 'hf'
  if (files.has('bert_config.json') || files.has('bert_model.ckpt.index')) return 'google'
  if (files.has('config.json')) return 'hf'
  throw new BertImportError(
    `${dir}: not a BERT folder — expected Hugging Face files (config.json, vocab.txt, model.safetensors) ` +
      `or Google files (bert_config.json, vocab.txt, bert_model.ckpt.index, bert_model.ckpt.data-00000-of-00001)`,
  )
}

/** The files of a BERT folder, every one checked to exist (missing ones named). */
interface FolderFiles {
  layout: 'hf' | 'google'
  config: string
  vocab: string
  /** HF: [model.safetensors]; Google: [.index, .data-00000-of-00001]. */
  weights: string[]
}

function locateFiles(dir: string): FolderFiles {
  const layout = detectLayout(dir)
  const need = (name: string, hint = ''): string => {
    const p = join(dir, name)
    if (!existsSync(p)) throw new BertImportError(`${dir}: missing file ${name}${hint}`)
    return p
  }
  if (layout === 'hf') {
    const config = need('config.json')
    const vocab = need('vocab.txt')
    if (!existsSync(join(dir, 'model.safetensors'))) {
      const other = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack'].filter((f) => existsSync(join(dir, f)))
      if (existsSync(join(dir, 'model.safetensors.index.json'))) throw new BertImportError(`${dir}: sharded safetensors (model.safetensors.index.json) are not supported; save the model as a single model.safetensors`)
      throw new BertImportError(
        `${dir}: missing file model.safetensors` +
          (other.length ? ` (found ${other.join(', ')}, which cannot be read; convert with \`model.save_pretrained(dir, safe_serialization=True)\`)` : ''),
      )
    }
    return { layout, config, vocab, weights: [join(dir, 'model.safetensors')] }
  }
  const config = need('bert_config.json')
  const vocab = need('vocab.txt')
  const indexPath = need('bert_model.ckpt.index')
  const dataPath = need('bert_model.ckpt.data-00000-of-00001', ' (only single-shard checkpoints are supported)')
  return { layout, config, vocab, weights: [indexPath, dataPath] }
}

/**
 * Tensors the encoder drops by name (pooler, pre-training heads, `embeddings.position_ids`) are
 * skipped before the float-dtype check: checkpoints saved by transformers < 4.31 carry
 * `position_ids` as an int64 buffer, and rejecting them would refuse a valid BERT release.
 */
const ignoredByEncoder = (name: string): boolean => normalizeHfName(name) === null

/**
 * The folder's config and vocabulary (sizes checked against each other) and its tensors read by
 * `tensors` — every tensor's bytes (import) or only its shape (inspect) — validated against the
 * config by one function, `validateShapes`.
 */
function readFolder<T>(dir: string, tensors: (f: FolderFiles) => Map<string, T>, validate: (config: BertConfig, raw: Map<string, T>, source: string) => Map<string, T>) {
  const files = locateFiles(dir)
  const config = readBertConfig(files.config)
  const vocab = Vocab.read(files.vocab)
  checkVocab(config, vocab, files.vocab, files.config)
  const tensorMap = validate(config, tensors(files), files.weights[0]!)
  return { config, vocab, tensors: tensorMap, layout: files.layout, files: { config: files.config, vocab: files.vocab, weights: files.weights } }
}

const googlePrefix = (f: FolderFiles): string => f.weights[0]!.slice(0, -'.index'.length)

export function importBertFolder(dir: string, opts: LoadWeightsOptions = {}): ImportedBert {
  const r = readFolder(
    dir,
    (f) => (f.layout === 'hf' ? fromHfNames(floatTensors(readSafetensors(f.weights[0]!), f.weights[0]!, ignoredByEncoder)) : readGoogleBertCheckpoint(googlePrefix(f))),
    (config, raw, source) => validateWeights(config, raw, { source, ...opts }),
  )
  return { config: r.config, vocab: r.vocab, weights: r.tensors, layout: r.layout, files: r.files }
}

interface InspectedBert {
  config: BertConfig
  vocab: Vocab
  layout: 'hf' | 'google'
  /** Every encoder tensor's shape, internal names, HF layout (Linear weights [out, in]). */
  shapes: Map<string, number[]>
  /** Sum of the encoder tensors' element counts. */
  parameters: number
  files: { config: string; vocab: string; weights: string[] }
}

/**
 * Validate a BERT folder as `importBertFolder` does — same files, config, vocabulary, the same
 * missing / unknown / shape-mismatch errors — from the tensor headers alone: the safetensors JSON
 * header (dtypes, shapes, offsets within the file), or the TF checkpoint's `.index` (dtypes,
 * shapes, offset + size within the data file). No tensor bytes are read, so corrupt values or a
 * bad CRC in a data file that is long enough only show when the weights are imported.
 */
export function inspectBertFolder(dir: string, opts: LoadWeightsOptions = {}): InspectedBert {
  const r = readFolder(
    dir,
    (f) => (f.layout === 'hf' ? fromHfNames(floatShapes(readSafetensorsHeader(f.weights[0]!), f.weights[0]!, ignoredByEncoder)) : inspectGoogleBertCheckpoint(googlePrefix(f))),
    (config, raw, source) => {
      const known = validateShapes(config, raw, { source, ...opts })
      return new Map(known.map((n) => [n, raw.get(n)!]))
    },
  )
  let parameters = 0
  for (const s of r.tensors.values()) parameters += s.reduce((a, b) => a * b, 1)
  return { config: r.config, vocab: r.vocab, layout: r.layout, shapes: r.tensors, parameters, files: r.files }
}

function checkVocab(config: BertConfig, vocab: Vocab, vocabPath: string, configPath: string): void {
  if (vocab.size !== config.vocabSize) {
    throw new BertImportError(`${vocabPath}: ${vocab.size} tokens, but ${configPath} field "vocab_size" is ${config.vocabSize}`)
  }
}

/**
 * Store an encoder together with its vocabulary in ONE safetensors file (weights F32 with HF
 * names; `__metadata__` holds `bert_config` (HF config.json fields) and `bert_vocab` (vocab.txt
 * lines joined by "\n")) — the self-contained form kept with a trained run.
 */
export function saveBertModel(path: string, encoder: BertEncoder, vocab: Vocab): void {
  encoder.saveToSafetensors(path, { bert_vocab: vocab.tokens.join('\n') })
}

/** Load what `saveBertModel` wrote. */
export function loadBertModel(path: string, opts: LoadWeightsOptions = {}): { encoder: BertEncoder; vocab: Vocab; config: BertConfig } {
  const f = readSafetensors(path)
  const metaConfig = f.metadata.bert_config
  const metaVocab = f.metadata.bert_vocab
  if (!metaConfig) throw new BertImportError(`${path}: no "bert_config" in __metadata__ (not written by saveBertModel)`)
  if (metaVocab === undefined) throw new BertImportError(`${path}: no "bert_vocab" in __metadata__ (not written by saveBertModel)`)
  let raw: unknown
  try {
    raw = JSON.parse(metaConfig)
  } catch (e) {
    throw new BertImportError(`${path}: __metadata__.bert_config is not JSON (${(e as Error).message})`)
  }
  const config = parseBertConfig(raw, `${path} (__metadata__.bert_config)`)
  const vocab = Vocab.parse(metaVocab, `${path} (__metadata__.bert_vocab)`)
  checkVocab(config, vocab, `${path} (__metadata__.bert_vocab)`, `${path} (__metadata__.bert_config)`)
  const encoder = BertEncoder.fromWeights(config, fromHfNames(floatTensors(f, path, ignoredByEncoder)), { source: path, ...opts })
  return { encoder, vocab, config }
}
