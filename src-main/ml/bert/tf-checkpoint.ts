/**
 * Reader for TensorFlow's tensor-bundle checkpoints (`<prefix>.index` + `<prefix>.data-NNNNN-of-MMMMM`),
 * the layout of Google's released BERT models (`bert_model.ckpt.*`). Own implementation of:
 *
 * - the `.index` file: a LevelDB-format table (TF's `tensorflow/core/lib/io/table`). A 48-byte footer
 *   holds the metaindex and index `BlockHandle`s (varint64 offset, varint64 size), zero padding to 40
 *   bytes and the magic 0xdb4775248b80fb57 (fixed64 LE). Every block is followed by a 5-byte trailer:
 *   compression type (0 none, 1 snappy — both supported here) and a masked CRC32C of block + type.
 *   A block is a run of entries `varint shared, varint non_shared, varint value_len, key delta, value`
 *   (keys prefix-compressed against the previous key, reset at restart points), then the restart
 *   offsets (fixed32 each) and their count (fixed32). The index block maps keys to data-block handles.
 * - the values: protobufs, decoded by hand. Key "" → `BundleHeaderProto { num_shards=1, endianness=2,
 *   version=3 }`; every other key is a tensor name → `BundleEntryProto { dtype=1, shape=2
 *   (TensorShapeProto { dim=2 { size=1 } }), shard_id=3, offset=4, size=5, crc32c=6 (fixed32, masked),
 *   slices=7 }`.
 * - the data shards: raw little-endian tensor bytes at `offset`, `size` long, checked against the CRC.
 *
 * Sliced (partitioned) variables (`slices`) and string tensors are not supported and are reported
 * by name if a caller asks for them.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs'
import type { FloatTensor } from './safetensors'
import { f16ToF32 } from './safetensors'

class TfCheckpointError extends Error {
  override name = 'TfCheckpointError'
}

// ---------------------------------------------------------------- CRC32C (Castagnoli)
const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    t[i] = c >>> 0
  }
  return t
})()

export function crc32c(buf: Uint8Array, init = 0): number {
  let c = ~init >>> 0
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}
export const maskCrc = (c: number): number => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0
export const unmaskCrc = (m: number): number => {
  const rot = (m - 0xa282ead8) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}

// ---------------------------------------------------------------- varints
class Reader {
  pos: number
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    readonly what = 'buffer',
  ) {
    this.pos = start
  }
  get done(): boolean {
    return this.pos >= this.end
  }
  varint(): number {
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new TfCheckpointError(`${this.what}: truncated varint`)
      const b = this.buf[this.pos++]!
      result += (b & 0x7f) * mul
      if (!(b & 0x80)) return result
      mul *= 128
    }
    throw new TfCheckpointError(`${this.what}: varint too long`)
  }
  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new TfCheckpointError(`${this.what}: length ${n} runs past the end`)
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }
  fixed32(): number {
    const b = this.bytes(4)
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0
  }
}

// ---------------------------------------------------------------- snappy (raw format, no framing)
/** Decompress a raw snappy block (varint length preamble, literal and copy elements). */
export function snappyDecompress(src: Uint8Array, what = 'snappy block'): Uint8Array {
  const r = new Reader(src, 0, src.length, what)
  const n = r.varint()
  const out = new Uint8Array(n)
  let o = 0
  while (!r.done) {
    const tag = src[r.pos++]!
    const kind = tag & 3
    if (kind === 0) {
      let len = tag >>> 2
      if (len >= 60) {
        const nb = len - 59
        const b = r.bytes(nb)
        len = 0
        for (let i = nb - 1; i >= 0; i--) len = len * 256 + b[i]!
      }
      len += 1
      if (o + len > n) throw new TfCheckpointError(`${what}: literal overruns the declared length ${n}`)
      out.set(r.bytes(len), o)
      o += len
      continue
    }
    let len: number
    let off: number
    if (kind === 1) {
      len = ((tag >>> 2) & 7) + 4
      off = ((tag >>> 5) << 8) | r.bytes(1)[0]!
    } else if (kind === 2) {
      len = (tag >>> 2) + 1
      const b = r.bytes(2)
      off = b[0]! | (b[1]! << 8)
    } else {
      len = (tag >>> 2) + 1
      off = r.fixed32()
    }
    if (off === 0 || off > o) throw new TfCheckpointError(`${what}: bad copy offset ${off} at output ${o}`)
    if (o + len > n) throw new TfCheckpointError(`${what}: copy overruns the declared length ${n}`)
    for (let i = 0; i < len; i++, o++) out[o] = out[o - off]!
  }
  if (o !== n) throw new TfCheckpointError(`${what}: decompressed ${o} bytes, header says ${n}`)
  return out
}

// ---------------------------------------------------------------- table
const MAGIC_LO = 0x8b80fb57
const MAGIC_HI = 0xdb477524
const FOOTER = 48

interface Handle {
  offset: number
  size: number
}

function readHandle(r: Reader): Handle {
  return { offset: r.varint(), size: r.varint() }
}

function readBlock(file: Uint8Array, h: Handle, source: string, what: string): Uint8Array {
  if (h.offset + h.size + 5 > file.length) {
    throw new TfCheckpointError(`${source}: ${what} block [${h.offset}, +${h.size}] runs past the end of the file (${file.length} bytes; truncated?)`)
  }
  const contents = file.subarray(h.offset, h.offset + h.size)
  const type = file[h.offset + h.size]!
  const stored = new Reader(file, h.offset + h.size + 1).fixed32()
  const actual = crc32c(file.subarray(h.offset, h.offset + h.size + 1))
  if (unmaskCrc(stored) !== actual) throw new TfCheckpointError(`${source}: checksum mismatch in ${what} block at offset ${h.offset}`)
  if (type === 0) return contents
  if (type === 1) return snappyDecompress(contents, `${source}: snappy ${what} block at offset ${h.offset}`)
  throw new TfCheckpointError(`${source}: ${what} block at offset ${h.offset} has unsupported compression type ${type} (only none and snappy are supported)`)
}

function blockEntries(block: Uint8Array, source: string, what: string): [Uint8Array, Uint8Array][] {
  const w = `${source}: ${what} block`
  if (block.length < 4) throw new TfCheckpointError(`${w}: too short`)
  const nRestarts = new Reader(block, block.length - 4).fixed32()
  const end = block.length - 4 - 4 * nRestarts
  if (end < 0) throw new TfCheckpointError(`${w}: bad restart count ${nRestarts}`)
  const r = new Reader(block, 0, end, w)
  const out: [Uint8Array, Uint8Array][] = []
  let prev: Uint8Array = new Uint8Array(0)
  while (!r.done) {
    const shared = r.varint()
    const nonShared = r.varint()
    const valueLen = r.varint()
    if (shared > prev.length) throw new TfCheckpointError(`${w}: entry shares ${shared} bytes with a ${prev.length}-byte key`)
    const key = new Uint8Array(shared + nonShared)
    key.set(prev.subarray(0, shared))
    key.set(r.bytes(nonShared), shared)
    out.push([key, r.bytes(valueLen)])
    prev = key
  }
  return out
}

/** Every (key, value) of a LevelDB/TF table file, in order. */
function readTable(file: Uint8Array, source = 'table'): [Uint8Array, Uint8Array][] {
  if (file.length < FOOTER) throw new TfCheckpointError(`${source}: too short for a table footer (${file.length} bytes)`)
  const fr = new Reader(file, file.length - 8, file.length, source)
  const lo = fr.fixed32()
  const hi = fr.fixed32()
  if (lo !== MAGIC_LO || hi !== MAGIC_HI) throw new TfCheckpointError(`${source}: bad table magic (not a TensorFlow checkpoint .index file?)`)
  const hr = new Reader(file, file.length - FOOTER, file.length - 8, `${source}: footer`)
  readHandle(hr) // metaindex: unused (no filters in tensor bundles)
  const indexHandle = readHandle(hr)
  const index = blockEntries(readBlock(file, indexHandle, source, 'index'), source, 'index')
  const out: [Uint8Array, Uint8Array][] = []
  for (const [, v] of index) {
    const h = readHandle(new Reader(v, 0, v.length, `${source}: index entry`))
    out.push(...blockEntries(readBlock(file, h, source, 'data'), source, 'data'))
  }
  return out
}

// ---------------------------------------------------------------- protobuf
type Fields = Map<number, (number | Uint8Array)[]>

function decodeMessage(buf: Uint8Array, what: string): Fields {
  const r = new Reader(buf, 0, buf.length, what)
  const f: Fields = new Map()
  while (!r.done) {
    const key = r.varint()
    const field = Math.floor(key / 8)
    const wire = key & 7
    let v: number | Uint8Array
    if (wire === 0) v = r.varint()
    else if (wire === 1) {
      const b = r.bytes(8)
      v = new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true)
    } else if (wire === 2) v = r.bytes(r.varint())
    else if (wire === 5) v = r.fixed32()
    else throw new TfCheckpointError(`${what}: unsupported protobuf wire type ${wire}`)
    const list = f.get(field) ?? []
    list.push(v)
    f.set(field, list)
  }
  return f
}
const num = (f: Fields, k: number): number => {
  const v = f.get(k)?.at(-1)
  return typeof v === 'number' ? v : 0
}

/** TensorFlow DataType enum values this reader understands. */
const TF_DTYPES: Record<number, { name: string; bytes: number }> = {
  1: { name: 'DT_FLOAT', bytes: 4 },
  2: { name: 'DT_DOUBLE', bytes: 8 },
  3: { name: 'DT_INT32', bytes: 4 },
  9: { name: 'DT_INT64', bytes: 8 },
  14: { name: 'DT_BFLOAT16', bytes: 2 },
  19: { name: 'DT_HALF', bytes: 2 },
}

interface BundleEntry {
  dtype: number
  shape: number[]
  shardId: number
  offset: number
  size: number
  /** Masked CRC32C of the tensor bytes, as stored. */
  crc32c: number
  sliced: boolean
}

interface BundleIndex {
  numShards: number
  /** 0 little, 1 big. */
  endianness: number
  entries: Map<string, BundleEntry>
}

const utf8 = new TextDecoder('utf-8')

export function parseBundleIndex(file: Uint8Array, source = 'checkpoint.index'): BundleIndex {
  const kvs = readTable(file, source)
  let header: Fields | undefined
  const entries = new Map<string, BundleEntry>()
  for (const [k, v] of kvs) {
    const name = utf8.decode(k)
    if (name === '') {
      header = decodeMessage(v, `${source}: BundleHeaderProto`)
      continue
    }
    const f = decodeMessage(v, `${source}: entry "${name}"`)
    const shapeMsg = f.get(2)?.at(-1)
    const shape: number[] = []
    if (shapeMsg instanceof Uint8Array) {
      const sf = decodeMessage(shapeMsg, `${source}: shape of "${name}"`)
      for (const d of sf.get(2) ?? []) {
        if (!(d instanceof Uint8Array)) continue
        shape.push(num(decodeMessage(d, `${source}: dim of "${name}"`), 1))
      }
    }
    entries.set(name, {
      dtype: num(f, 1),
      shape,
      shardId: num(f, 3),
      offset: num(f, 4),
      size: num(f, 5),
      crc32c: num(f, 6),
      sliced: (f.get(7)?.length ?? 0) > 0,
    })
  }
  if (!header) throw new TfCheckpointError(`${source}: no BundleHeaderProto (key "") — not a tensor bundle index`)
  const numShards = num(header, 1)
  const endianness = num(header, 2)
  if (numShards < 1) throw new TfCheckpointError(`${source}: header says ${numShards} shards`)
  if (endianness !== 0) throw new TfCheckpointError(`${source}: big-endian checkpoints are not supported`)
  return { numShards, endianness, entries }
}

interface CheckpointTensor {
  dtype: string
  shape: number[]
  data: Float32Array | Int32Array | BigInt64Array
}

interface ReadCheckpointOptions {
  /** Which tensors to read (default all). Tensors not selected are never read from disk. */
  filter?: (name: string) => boolean
  /** Verify each tensor's CRC32C (default true). */
  verifyChecksums?: boolean
}

const dataShardPath = (prefix: string, shard: number, numShards: number): string =>
  `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`

/** A bundle entry checked as readable: its dtype, element count and data shard (open, size known). */
interface CheckedEntry {
  dt: { name: string; bytes: number }
  numel: number
  shard: { fd: number; size: number; path: string }
}

function readIndexFile(prefix: string): { indexPath: string; index: BundleIndex } {
  const indexPath = `${prefix}.index`
  let indexBuf: Buffer
  try {
    indexBuf = readFileSync(indexPath)
  } catch (e) {
    throw new TfCheckpointError(`${indexPath}: cannot read (${(e as Error).message})`)
  }
  return { indexPath, index: parseBundleIndex(indexBuf, indexPath) }
}

/**
 * Walk the selected entries of a bundle, each checked without reading tensor bytes: supported
 * dtype, not sliced, size = shape × dtype, shard in range and its data file open and long enough
 * for [offset, offset + size). `visit` gets every checked entry; shards are closed afterwards.
 * Shared by `readTfCheckpoint` (which then reads the bytes) and `inspectTfCheckpoint`.
 */
function walkEntries(
  prefix: string,
  filter: ((name: string) => boolean) | undefined,
  visit: (name: string, e: BundleEntry, c: CheckedEntry, where: string) => void,
): void {
  const { indexPath, index } = readIndexFile(prefix)
  const fds = new Map<number, { fd: number; size: number; path: string }>()
  try {
    for (const [name, e] of index.entries) {
      if (filter && !filter(name)) continue
      const where = `${indexPath}: tensor "${name}"`
      const dt = TF_DTYPES[e.dtype]
      if (!dt) throw new TfCheckpointError(`${where}: unsupported dtype ${e.dtype} (supported: ${Object.values(TF_DTYPES).map((d) => d.name).join(', ')})`)
      if (e.sliced) throw new TfCheckpointError(`${where}: partitioned (sliced) variables are not supported`)
      const numel = e.shape.reduce((a, b) => a * b, 1)
      if (e.size !== numel * dt.bytes) throw new TfCheckpointError(`${where}: ${e.size} bytes stored but shape [${e.shape.join(', ')}] × ${dt.name} needs ${numel * dt.bytes}`)
      if (e.shardId >= index.numShards) throw new TfCheckpointError(`${where}: shard ${e.shardId} ≥ num_shards ${index.numShards}`)
      let shard = fds.get(e.shardId)
      if (!shard) {
        const path = dataShardPath(prefix, e.shardId, index.numShards)
        let fd: number
        try {
          fd = openSync(path, 'r')
        } catch (err) {
          throw new TfCheckpointError(`${path}: cannot open data shard (${(err as Error).message})`)
        }
        shard = { fd, size: fstatSync(fd).size, path }
        fds.set(e.shardId, shard)
      }
      if (e.offset + e.size > shard.size) throw new TfCheckpointError(`${where}: bytes [${e.offset}, ${e.offset + e.size}) lie beyond the end of ${shard.path} (${shard.size} bytes; truncated?)`)
      visit(name, e, { dt, numel, shard }, where)
    }
  } finally {
    for (const s of fds.values()) closeSync(s.fd)
  }
}

/** Read tensors of a bundle given its prefix (e.g. `dir/bert_model.ckpt`). */
export function readTfCheckpoint(prefix: string, opts: ReadCheckpointOptions = {}): Map<string, CheckpointTensor> {
  const verify = opts.verifyChecksums ?? true
  const out = new Map<string, CheckpointTensor>()
  walkEntries(prefix, opts.filter, (name, e, { dt, numel, shard }, where) => {
    const bytes = new Uint8Array(e.size)
    let got = 0
    while (got < e.size) {
      const n = readSync(shard.fd, bytes, got, e.size - got, e.offset + got)
      if (n <= 0) throw new TfCheckpointError(`${where}: short read from ${shard.path}`)
      got += n
    }
    if (verify && crc32c(bytes) !== unmaskCrc(e.crc32c)) throw new TfCheckpointError(`${where}: CRC32C mismatch in ${shard.path} (corrupt data file?)`)
    out.set(name, { dtype: dt.name, shape: e.shape, data: decodeTf(e.dtype, bytes, numel) })
  })
  return out
}

/** A tensor's dtype and shape, as `inspectTfCheckpoint` reports it. */
interface CheckpointTensorInfo {
  dtype: string
  shape: number[]
}

/**
 * What `readTfCheckpoint` would read, from the `.index` alone: the same checks (dtype, size, shard
 * file present and long enough), no tensor bytes read and no checksums verified.
 */
function inspectTfCheckpoint(prefix: string, opts: { filter?: (name: string) => boolean } = {}): Map<string, CheckpointTensorInfo> {
  const out = new Map<string, CheckpointTensorInfo>()
  walkEntries(prefix, opts.filter, (name, e, { dt }) => out.set(name, { dtype: dt.name, shape: e.shape }))
  return out
}

function decodeTf(dtype: number, bytes: Uint8Array, n: number): CheckpointTensor['data'] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (dtype) {
    case 1:
      return new Float32Array(bytes.buffer, bytes.byteOffset, n)
    case 2: {
      const o = new Float32Array(n)
      for (let i = 0; i < n; i++) o[i] = dv.getFloat64(i * 8, true)
      return o
    }
    case 3:
      return new Int32Array(bytes.buffer, bytes.byteOffset, n)
    case 9:
      return new BigInt64Array(bytes.buffer, bytes.byteOffset, n)
    case 14: {
      const o = new Float32Array(n)
      const u = new Uint32Array(o.buffer)
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16
      return o
    }
    case 19: {
      const o = new Float32Array(n)
      for (let i = 0; i < n; i++) o[i] = f16ToF32(dv.getUint16(i * 2, true))
      return o
    }
  }
  throw new TfCheckpointError(`unsupported dtype ${dtype}`)
}

// ---------------------------------------------------------------- Google BERT names
/**
 * Map a Google BERT checkpoint name to the internal (HF `BertModel`) name.
 * Returns `{ name, transpose }`, or null for variables that are known but not part of the encoder
 * (optimiser slots `…/adam_m`, `…/adam_v`, `global_step`, pre-training heads `cls/…`, the pooler,
 * fine-tuning classifier `output_weights`/`output_bias`). Other names are returned unchanged
 * (so weight validation reports them as unknown).
 */
export function googleToInternalName(name: string): { name: string; transpose: boolean } | null {
  if (/\/(adam_m|adam_v|Adam|Adam_1|Momentum)$/.test(name) || name === 'global_step' || /^(cls|output_weights|output_bias|bert\/pooler)(\/|$)/.test(name)) {
    return null
  }
  if (!name.startsWith('bert/')) return { name, transpose: false }
  let n = name.slice(5)
  const emb = /^embeddings\/(word|position|token_type)_embeddings$/.exec(n)
  if (emb) return { name: `embeddings.${emb[1]}_embeddings.weight`, transpose: false }
  let transpose = false
  n = n
    .replace(/^encoder\/layer_(\d+)\//, 'encoder.layer.$1.')
    .replace(/\/LayerNorm\/gamma$/, '/LayerNorm/weight')
    .replace(/\/LayerNorm\/beta$/, '/LayerNorm/bias')
  if (n.endsWith('/kernel')) {
    n = n.slice(0, -'/kernel'.length) + '/weight'
    transpose = true
  }
  return { name: n.replace(/\//g, '.'), transpose }
}

function transpose2d(t: FloatTensor): FloatTensor {
  const [r, c] = t.shape as [number, number]
  const out = new Float32Array(r * c)
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!
  return { shape: [c, r], data: out }
}

/**
 * Internal name, HF-layout shape and whether to transpose, for a tensor that
 * `googleToInternalName` keeps; float dtype and rank-2 kernels required. Shared by the full and the
 * shapes-only reader.
 */
function googleTensor(prefix: string, name: string, t: CheckpointTensorInfo): { name: string; shape: number[]; transpose: boolean } {
  const m = googleToInternalName(name)!
  if (!FLOAT_TF_DTYPES.has(t.dtype)) throw new TfCheckpointError(`${prefix}.index: tensor "${name}" has integer dtype ${t.dtype}, expected a float`)
  if (!m.transpose) return { name: m.name, shape: t.shape, transpose: false }
  if (t.shape.length !== 2) throw new TfCheckpointError(`${prefix}.index: kernel "${name}" has rank ${t.shape.length}, expected 2`)
  return { name: m.name, shape: [t.shape[1]!, t.shape[0]!], transpose: true }
}
const FLOAT_TF_DTYPES: ReadonlySet<string> = new Set(['DT_FLOAT', 'DT_DOUBLE', 'DT_BFLOAT16', 'DT_HALF'])
const keptByGoogle = (n: string): boolean => googleToInternalName(n) !== null

/**
 * Read a Google BERT checkpoint into internal names (Linear kernels transposed from TF [in, out] to
 * HF [out, in]); optimiser slots and heads are skipped without being read.
 */
export function readGoogleBertCheckpoint(prefix: string, opts: { verifyChecksums?: boolean } = {}): Map<string, FloatTensor> {
  const tensors = readTfCheckpoint(prefix, { filter: keptByGoogle, ...opts })
  const out = new Map<string, FloatTensor>()
  for (const [name, t] of tensors) {
    const g = googleTensor(prefix, name, t)
    const ft: FloatTensor = { shape: t.shape, data: t.data as Float32Array }
    out.set(g.name, g.transpose ? transpose2d(ft) : ft)
  }
  return out
}

/**
 * Shapes of a Google BERT checkpoint in internal names and HF layout, as `readGoogleBertCheckpoint`
 * would return them, from the `.index` alone (the data shard is only checked to exist and be long
 * enough; its bytes and checksums are not read).
 */
export function inspectGoogleBertCheckpoint(prefix: string): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const [name, t] of inspectTfCheckpoint(prefix, { filter: keptByGoogle })) {
    const g = googleTensor(prefix, name, t)
    out.set(g.name, g.shape)
  }
  return out
}
