// inspectBertFolder: the shapes-only validation checkBertFolder runs on the host. It must agree with
// importBertFolder (layout, config, vocabulary, parameter count, and the same errors), while reading
// only headers: the safetensors JSON header, the TF checkpoint's .index.
import fs, { readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseBertConfig, type BertConfig } from '../../../../src-main/ml/bert/config'
import { expectedShapes } from '../../../../src-main/ml/bert/encoder'
import { importBertFolder, inspectBertFolder } from '../../../../src-main/ml/bert/import'
import { readSafetensors, writeSafetensors, type SafetensorsDtype, type WriteTensor } from '../../../../src-main/ml/bert/safetensors'
import { makeRng } from '../../../../src-main/ml/train/rng'
import { checkBertFolder } from '../../../../src-main/services/runs/training'
import { BERT_TINY as FIX, copyBertTiny as copy, editConfig } from '../../../helpers/bert'
import { tmpDir } from '../../../helpers/tmp'

/** Rewrite the fixture's model.safetensors in `dir` through `edit` (tensors by HF name). */
function editSafetensors(dir: string, edit: (t: Map<string, WriteTensor>) => void): void {
  const p = join(dir, 'model.safetensors')
  const f = readSafetensors(p)
  const t = new Map<string, WriteTensor>([...f.tensors].map(([n, x]) => [n, { shape: x.shape, data: x.data, dtype: x.dtype }]))
  edit(t)
  writeSafetensors(p, t, f.metadata)
}

/** Both readers reject the folder with the same message, which matches `re`. */
function bothReject(dir: string, re: RegExp): void {
  let full = ''
  let shapes = ''
  try {
    importBertFolder(dir)
  } catch (e) {
    full = (e as Error).message
  }
  try {
    inspectBertFolder(dir)
  } catch (e) {
    shapes = (e as Error).message
  }
  expect(full, 'importBertFolder').toMatch(re)
  expect(shapes, 'inspectBertFolder').toBe(full)
}

/** The inspection equals what the full import learns. */
function expectAgree(dir: string): void {
  const imp = importBertFolder(dir)
  const ins = inspectBertFolder(dir)
  expect(ins.layout).toBe(imp.layout)
  expect(ins.config).toEqual(imp.config)
  expect(ins.vocab.tokens).toEqual(imp.vocab.tokens)
  expect(ins.files).toEqual(imp.files)
  expect([...ins.shapes.keys()].sort()).toEqual([...imp.weights.keys()].sort())
  for (const [k, t] of imp.weights) expect(ins.shapes.get(k), k).toEqual(t.shape)
  let parameters = 0
  for (const t of imp.weights.values()) parameters += t.data.length
  expect(ins.parameters).toBe(parameters)
}

/** A random HF folder: HF names with a `bert.` prefix, pooler and MLM head (ignored), given dtype. */
function randomHfFolder(c: Record<string, number>, dtype: SafetensorsDtype, seed: number): { dir: string; config: BertConfig } {
  const dir = tmpDir('bert-rand-')
  const json = { model_type: 'bert', hidden_act: 'gelu', ...c }
  const config = parseBertConfig(json)
  writeFileSync(join(dir, 'config.json'), JSON.stringify(json))
  writeFileSync(join(dir, 'vocab.txt'), Array.from({ length: config.vocabSize }, (_, i) => (i < 5 ? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'][i] : `t${i}`)).join('\n') + '\n')
  const rng = makeRng(seed)
  const rand = (shape: number[]): WriteTensor => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() - 0.5), dtype })
  const t = new Map<string, WriteTensor>()
  for (const [name, shape] of expectedShapes(config)) t.set(`bert.${name}`, rand(shape))
  t.set('bert.pooler.dense.weight', rand([config.hiddenSize, config.hiddenSize]))
  t.set('cls.predictions.bias', rand([config.vocabSize]))
  writeSafetensors(join(dir, 'model.safetensors'), t, { format: 'pt' })
  return { dir, config }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('inspectBertFolder agrees with importBertFolder', () => {
  it('on the committed fixture, both layouts', () => {
    expectAgree(FIX)
    expectAgree(join(FIX, 'google'))
    const hf = inspectBertFolder(FIX)
    expect(hf.layout).toBe('hf')
    expect(inspectBertFolder(join(FIX, 'google')).layout).toBe('google')
    // 2 layers, H 32, I 64, V 76, P 64, T 2
    const H = 32
    const I = 64
    const layer = 4 * (H * H + H) + 2 * H + (I * H + I) + (H * I + H) + 2 * H
    expect(hf.parameters).toBe((76 + 64 + 2) * H + 2 * H + 2 * layer)
  })

  it('on random HF folders in F32, F16 and BF16 with prefixed names and ignored heads', () => {
    const shapes: Record<string, number>[] = [
      { vocab_size: 40, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 20 },
      { vocab_size: 23, hidden_size: 12, num_hidden_layers: 3, num_attention_heads: 3, intermediate_size: 8, max_position_embeddings: 9, type_vocab_size: 3 },
    ]
    let seed = 1
    for (const c of shapes) {
      for (const dtype of ['F32', 'F16', 'BF16'] as const) {
        const { dir } = randomHfFolder(c, dtype, seed++)
        expectAgree(dir)
      }
    }
  })

  it('checkBertFolder reports the inspection', () => {
    const info = checkBertFolder(join(FIX, 'google'))
    expect(info).toMatchObject({ layout: 'google', layers: 2, hidden: 32, heads: 4, maxPositions: 64, vocab: 76, parameters: inspectBertFolder(FIX).parameters })
    const d = copy()
    editConfig(join(d, 'config.json'), { intermediate_size: 65 })
    expect(() => checkBertFolder(d)).toThrow(/^BERT folder: .*shape mismatch for "encoder\.layer\.0\.intermediate\.dense\.weight"/)
  })
})

describe('inspectBertFolder reports what importBertFolder reports', () => {
  it('missing files', () => {
    const d = copy()
    rmSync(join(d, 'vocab.txt'))
    bothReject(d, /missing file vocab\.txt/)
    const d2 = copy()
    rmSync(join(d2, 'model.safetensors'))
    writeFileSync(join(d2, 'pytorch_model.bin'), 'x')
    bothReject(d2, /missing file model\.safetensors \(found pytorch_model\.bin/)
    const g = copy('google')
    rmSync(join(g, 'bert_model.ckpt.data-00000-of-00001'))
    bothReject(g, /missing file bert_model\.ckpt\.data-00000-of-00001 \(only single-shard/)
    const g2 = copy('google')
    rmSync(join(g2, 'bert_model.ckpt.index'))
    bothReject(g2, /missing file bert_model\.ckpt\.index/)
    bothReject(tmpDir('bert-empty-'), /not a BERT folder/)
  })

  it('missing tensors, by name', () => {
    const d = copy()
    editSafetensors(d, (t) => t.delete('encoder.layer.1.output.dense.bias'))
    bothReject(d, /model\.safetensors: missing tensor: "encoder\.layer\.1\.output\.dense\.bias"$/)
    const g = copy('google')
    editConfig(join(g, 'bert_config.json'), { num_hidden_layers: 3 })
    bothReject(g, /bert_model\.ckpt\.index: missing tensors: "encoder\.layer\.2\.attention\.self\.query\.weight"/)
  })

  it('unknown tensors, by name', () => {
    const d = copy()
    editSafetensors(d, (t) => t.set('encoder.layer.0.adapter.weight', { shape: [2], data: [1, 2] }))
    bothReject(d, /model\.safetensors: unknown tensor \(not in a 2-layer BERT encoder\): "encoder\.layer\.0\.adapter\.weight"$/)
    const g = copy('google')
    editConfig(join(g, 'bert_config.json'), { num_hidden_layers: 1 })
    bothReject(g, /bert_model\.ckpt\.index: unknown tensors \(not in a 1-layer BERT encoder\): "encoder\.layer\.1\./)
    // the unknown-tensor policy applies to both
    expect(inspectBertFolder(g, { unknownTensors: 'ignore' }).shapes.size).toBe(5 + 16)
  })

  it('shape mismatches, by name (Google kernels compared in HF [out, in] layout)', () => {
    const d = copy()
    editConfig(join(d, 'config.json'), { intermediate_size: 65 })
    bothReject(d, /shape mismatch for "encoder\.layer\.0\.intermediate\.dense\.weight": file has \[64, 32\], config needs \[65, 32\]/)
    const g = copy('google')
    editConfig(join(g, 'bert_config.json'), { intermediate_size: 65 })
    bothReject(g, /bert_model\.ckpt\.index: shape mismatch .*"encoder\.layer\.0\.intermediate\.dense\.weight": file has \[64, 32\], config needs \[65, 32\]/)
  })

  it('integer dtypes, by name', () => {
    const d = copy()
    editSafetensors(d, (t) => t.set('embeddings.LayerNorm.bias', { shape: [32], data: new Int32Array(32), dtype: 'I32' }))
    bothReject(d, /tensor "embeddings\.LayerNorm\.bias" has integer dtype I32, expected a float dtype/)
  })

  it('but not the int64 position_ids buffer that transformers < 4.31 saved: both skip it', () => {
    const d = copy()
    const plain = importBertFolder(d)
    editSafetensors(d, (t) =>
      t.set('embeddings.position_ids', { shape: [1, plain.config.maxPositions], data: BigInt64Array.from({ length: plain.config.maxPositions }, (_, i) => BigInt(i)), dtype: 'I64' }),
    )
    expectAgree(d)
    const withBuffer = importBertFolder(d)
    expect([...withBuffer.weights.keys()].sort()).toEqual([...plain.weights.keys()].sort())
    expect(inspectBertFolder(d).parameters).toBe(inspectBertFolder(copy()).parameters)
  })

  it('data files shorter than the headers say', () => {
    const d = copy()
    const p = join(d, 'model.safetensors')
    truncateSync(p, statSync(p).size - 100)
    bothReject(d, /model\.safetensors: tensor "[^"]+": data_offsets \[\d+, \d+\] out of range \(byte buffer has \d+ bytes; file truncated\?\)/)
    const d2 = copy()
    truncateSync(join(d2, 'model.safetensors'), 5)
    bothReject(d2, /truncated file \(5 bytes/)
    const g = copy('google')
    const data = join(g, 'bert_model.ckpt.data-00000-of-00001')
    truncateSync(data, statSync(data).size / 2) // the tail holds Adam slots, which neither reader reads
    bothReject(g, /bert_model\.ckpt\.index: tensor "[^"]+": bytes \[\d+, \d+\) lie beyond the end of .*bert_model\.ckpt\.data-00000-of-00001 \(\d+ bytes; truncated\?\)/)
  })
})

describe('inspectBertFolder reads headers only', () => {
  /**
   * Bytes read from `path` by readFileSync / readSync while `fn` runs. The spies go on the fs
   * object; syncBuiltinESMExports hands them to the `import { … } from 'node:fs'` of the readers.
   */
  function bytesRead(path: string, fn: () => void): { whole: number; partial: number } {
    const fds = new Set<number>()
    const n = { whole: 0, partial: 0 }
    const open = fs.openSync
    vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      const fd = (open as (...a: unknown[]) => number)(p, ...rest)
      if (String(p) === path) fds.add(fd)
      return fd
    }) as typeof fs.openSync)
    const readFile = fs.readFileSync
    vi.spyOn(fs, 'readFileSync').mockImplementation(((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      const out = (readFile as (...a: unknown[]) => Buffer | string)(p, ...rest)
      if (String(p) === path) n.whole += out.length
      return out
    }) as typeof fs.readFileSync)
    const read = fs.readSync
    vi.spyOn(fs, 'readSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
      const got = (read as (...a: unknown[]) => number)(fd, ...rest)
      if (fds.has(fd)) n.partial += got
      return got
    }) as typeof fs.readSync)
    syncBuiltinESMExports()
    try {
      fn()
    } finally {
      vi.restoreAllMocks()
      syncBuiltinESMExports()
    }
    return n
  }

  it('safetensors: the 8-byte length and the JSON header, never the tensor bytes', () => {
    const p = join(FIX, 'model.safetensors')
    const headerLen = Number(readFileSync(p).readBigUInt64LE(0))
    const ins = bytesRead(p, () => inspectBertFolder(FIX))
    expect(ins).toEqual({ whole: 0, partial: 8 + headerLen })
    // the spies see the full import's reads (so the zero above means something)
    expect(bytesRead(p, () => importBertFolder(FIX)).whole).toBe(statSync(p).size)
  })

  it('TF checkpoint: the .index, not the data shard', () => {
    const data = join(FIX, 'google/bert_model.ckpt.data-00000-of-00001')
    expect(bytesRead(data, () => inspectBertFolder(join(FIX, 'google')))).toEqual({ whole: 0, partial: 0 })
    expect(bytesRead(data, () => importBertFolder(join(FIX, 'google'))).partial).toBeGreaterThan(0)
  })

  it('so a corrupt (but long enough) data shard passes inspection and fails the import on its CRC', () => {
    const g = copy('google')
    const data = join(g, 'bert_model.ckpt.data-00000-of-00001')
    const bytes = readFileSync(data)
    bytes[100]! ^= 0x01
    writeFileSync(data, bytes)
    expect(() => importBertFolder(g)).toThrow(/CRC32C mismatch/)
    expect(inspectBertFolder(g).parameters).toBe(inspectBertFolder(join(FIX, 'google')).parameters)
  })
})
