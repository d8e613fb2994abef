/**
 * Safetensors reader and writer (own implementation of the format).
 *
 * Layout: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the byte buffer.
 * Header: `{ "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, …,
 * "__metadata__": { string: string } }`; offsets are relative to the start of the byte buffer, end
 * exclusive; data is little-endian, row-major. The spec requires the buffer to be entirely indexed
 * (no holes, no overlap); this reader rejects both.
 *
 * Floating dtypes (F32, F16, BF16, F64) decode to Float32Array; I32 to Int32Array; I64 to
 * BigInt64Array. Other dtypes are rejected with the tensor named.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs'

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32'
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 }

export interface FloatTensor {
  shape: number[]
  data: Float32Array
}

interface ReadTensor {
  dtype: SafetensorsDtype
  shape: number[]
  data: Float32Array | Int32Array | BigInt64Array
}

interface SafetensorsFile {
  tensors: Map<string, ReadTensor>
  metadata: Record<string, string>
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError'
}

/** IEEE half → float. */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1
  const e = (h >> 10) & 0x1f
  const m = h & 0x3ff
  if (e === 0) return s * m * 2 ** -24
  if (e === 31) return m ? NaN : s * Infinity
  return s * (1 + m / 1024) * 2 ** (e - 15)
}

const f32buf = new Float32Array(1)
const u32buf = new Uint32Array(f32buf.buffer)

/** float → IEEE half, round to nearest even. */
export function f32ToF16(v: number): number {
  f32buf[0] = v
  const x = u32buf[0]!
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 31) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    let half = mant >>> shift
    const rem = mant & ((1 << shift) - 1)
    const mid = 1 << (shift - 1)
    if (rem > mid || (rem === mid && half & 1)) half++
    return sign | half
  }
  let half = (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++ // may carry into the exponent: correct
  return sign | half
}

/** float → bfloat16, round to nearest even. */
function f32ToBf16(v: number): number {
  f32buf[0] = v
  const x = u32buf[0]!
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40
  const r = x + 0x7fff + ((x >>> 16) & 1)
  return (r >>> 16) & 0xffff
}

function decode(dtype: SafetensorsDtype, bytes: Buffer, n: number): ReadTensor['data'] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(n)
      // copy into an aligned buffer (the source may be unaligned); host is little-endian on all
      // platforms Electron supports, checked below.
      new Uint8Array(out.buffer).set(bytes)
      return out
    }
    case 'F64': {
      const out = new Float32Array(n)
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true)
      return out
    }
    case 'F16': {
      const out = new Float32Array(n)
      for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true))
      return out
    }
    case 'BF16': {
      const out = new Float32Array(n)
      const u = new Uint32Array(out.buffer)
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16
      return out
    }
    case 'I32': {
      const out = new Int32Array(n)
      new Uint8Array(out.buffer).set(bytes)
      return out
    }
    case 'I64': {
      const out = new BigInt64Array(n)
      new Uint8Array(out.buffer).set(bytes)
      return out
    }
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('safetensors.ts assumes a little-endian host')
}

/** One header entry: where a tensor's bytes lie in the byte buffer (offsets relative to its start). */
interface SafetensorsEntry {
  dtype: SafetensorsDtype
  shape: number[]
  begin: number
  end: number
}

/** A parsed header: every tensor's dtype, shape and byte range, checked against the file size. */
interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>
  metadata: Record<string, string>
  /** File offset of the byte buffer (8 + header length). */
  dataStart: number
}

/** The u64 header length from a file's first 8 bytes, checked against the file size. */
function headerLength(first8: Buffer, fileSize: number, source: string): number {
  if (fileSize < 8) throw new SafetensorsError(`${source}: truncated file (${fileSize} bytes, need ≥ 8 for the header size)`)
  const n = first8.readBigUInt64LE(0)
  if (n > BigInt(fileSize - 8)) {
    throw new SafetensorsError(`${source}: truncated file: header size ${n} exceeds the ${fileSize - 8} bytes after it`)
  }
  return Number(n)
}

/**
 * Parse and check the JSON header (the bytes after the 8-byte length) of a file of `fileSize`
 * bytes: dtypes, shapes, offsets within the file, offsets matching shape × dtype, and the byte
 * buffer entirely indexed (no holes, no overlap, no trailing bytes). Reads no tensor data.
 */
function parseSafetensorsHeader(headerBytes: Buffer, fileSize: number, source = '<buffer>'): SafetensorsHeader {
  const headerLen = headerBytes.length
  let header: unknown
  try {
    header = JSON.parse(headerBytes.toString('utf8'))
  } catch (e) {
    throw new SafetensorsError(`${source}: bad header JSON (${(e as Error).message})`)
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`${source}: bad header JSON (not an object)`)
  }
  const dataStart = 8 + headerLen
  const dataLen = fileSize - dataStart
  const entries = new Map<string, SafetensorsEntry>()
  let metadata: Record<string, string> = {}
  const spans: { name: string; begin: number; end: number }[] = []
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw new SafetensorsError(`${source}: "__metadata__" must be an object of strings`)
      }
      metadata = v as Record<string, string>
      continue
    }
    const where = `${source}: tensor "${name}"`
    if (typeof v !== 'object' || v === null) throw new SafetensorsError(`${where}: entry is not an object`)
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      throw new SafetensorsError(
        `${where}: unknown or unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`,
      )
    }
    const dtype = e.dtype as SafetensorsDtype
    if (!Array.isArray(e.shape) || e.shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
      throw new SafetensorsError(`${where}: bad shape ${JSON.stringify(e.shape)}`)
    }
    const shape = e.shape as number[]
    const offs = e.data_offsets
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      offs.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0) ||
      offs[0] > offs[1]
    ) {
      throw new SafetensorsError(`${where}: bad data_offsets ${JSON.stringify(offs)}`)
    }
    const [begin, end] = offs as [number, number]
    if (end > dataLen) {
      throw new SafetensorsError(
        `${where}: data_offsets [${begin}, ${end}] out of range (byte buffer has ${dataLen} bytes; file truncated?)`,
      )
    }
    const numel = shape.reduce((a, b) => a * b, 1)
    if (end - begin !== numel * DTYPE_BYTES[dtype]) {
      throw new SafetensorsError(
        `${where}: data_offsets span ${end - begin} bytes but shape ${JSON.stringify(shape)} × ${dtype} needs ${numel * DTYPE_BYTES[dtype]}`,
      )
    }
    spans.push({ name, begin, end })
    entries.set(name, { dtype, shape: [...shape], begin, end })
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end)
  let pos = 0
  for (const s of spans) {
    if (s.begin < pos) throw new SafetensorsError(`${source}: tensor "${s.name}" overlaps the previous tensor's bytes`)
    if (s.begin > pos) throw new SafetensorsError(`${source}: hole in the byte buffer before tensor "${s.name}" (bytes ${pos}..${s.begin} unindexed)`)
    pos = s.end
  }
  if (pos !== dataLen) throw new SafetensorsError(`${source}: ${dataLen - pos} trailing bytes after the last tensor are not indexed`)
  return { entries, metadata, dataStart }
}

/** Parse safetensors bytes. `source` (a path) is used in every error message. */
export function parseSafetensors(buf: Buffer, source = '<buffer>'): SafetensorsFile {
  const headerLen = headerLength(buf, buf.length, source)
  const h = parseSafetensorsHeader(buf.subarray(8, 8 + headerLen), buf.length, source)
  const tensors = new Map<string, ReadTensor>()
  for (const [name, e] of h.entries) {
    const numel = e.shape.reduce((a, b) => a * b, 1)
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: decode(e.dtype, buf.subarray(h.dataStart + e.begin, h.dataStart + e.end), numel) })
  }
  return { tensors, metadata: h.metadata }
}

export function readSafetensors(path: string): SafetensorsFile {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (e) {
    throw new SafetensorsError(`${path}: cannot read (${(e as Error).message})`)
  }
  return parseSafetensors(buf, path)
}

/**
 * Read only the header of a safetensors file (the 8-byte length and the JSON; the tensor bytes are
 * never read) and check it as `readSafetensors` does, offsets against the file's size included.
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    throw new SafetensorsError(`${path}: cannot read (${(e as Error).message})`)
  }
  try {
    const size = fstatSync(fd).size
    const first8 = Buffer.alloc(8)
    readFully(fd, first8, 0)
    const headerLen = headerLength(first8, size, path)
    const headerBytes = Buffer.alloc(headerLen)
    readFully(fd, headerBytes, 8)
    return parseSafetensorsHeader(headerBytes, size, path)
  } finally {
    closeSync(fd)
  }
}

function readFully(fd: number, into: Buffer, position: number): void {
  let got = 0
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, position + got)
    if (n <= 0) return // the size checks against fstat report the truncation
    got += n
  }
}

const FLOAT_DTYPES: ReadonlySet<string> = new Set<SafetensorsDtype>(['F64', 'F32', 'F16', 'BF16'])

/** The error `floatTensors` raises for a tensor of an integer dtype, or nothing for a float one. */
function requireFloatDtype(name: string, dtype: SafetensorsDtype, source = '<buffer>'): void {
  if (!FLOAT_DTYPES.has(dtype)) throw new SafetensorsError(`${source}: tensor "${name}" has integer dtype ${dtype}, expected a float dtype`)
}

/**
 * Shapes of a header's tensors, floating dtypes required (as `floatTensors` requires of a full read).
 * Tensors for which `skip` answers true are left out before their dtype is checked.
 */
export function floatShapes(h: SafetensorsHeader, source = '<buffer>', skip: (name: string) => boolean = () => false): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const [name, e] of h.entries) {
    if (skip(name)) continue
    requireFloatDtype(name, e.dtype, source)
    out.set(name, e.shape)
  }
  return out
}

/**
 * Float view of a parsed file: every floating tensor as Float32Array; integer tensors are rejected.
 * Tensors for which `skip` answers true (e.g. a model's integer buffers) are left out first.
 */
export function floatTensors(f: SafetensorsFile, source = '<buffer>', skip: (name: string) => boolean = () => false): Map<string, FloatTensor> {
  const out = new Map<string, FloatTensor>()
  for (const [name, t] of f.tensors) {
    if (skip(name)) continue
    requireFloatDtype(name, t.dtype, source)
    out.set(name, { shape: t.shape, data: t.data as Float32Array })
  }
  return out
}

export interface WriteTensor {
  shape: number[]
  data: Float32Array | Int32Array | BigInt64Array | ArrayLike<number>
  /** Default F32 for float data, I32 for Int32Array, I64 for BigInt64Array. */
  dtype?: SafetensorsDtype
}

/** Serialise tensors (in the given order) to safetensors bytes; header padded with spaces to 8 bytes. */
export function serializeSafetensors(tensors: Map<string, WriteTensor> | Record<string, WriteTensor>, metadata?: Record<string, string>): Buffer {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)
  const header: Record<string, unknown> = {}
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata
  const chunks: Buffer[] = []
  let off = 0
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new SafetensorsError('tensor name "__metadata__" is reserved')
    const dtype: SafetensorsDtype = t.dtype ?? (t.data instanceof BigInt64Array ? 'I64' : t.data instanceof Int32Array ? 'I32' : 'F32')
    const numel = t.shape.reduce((a, b) => a * b, 1)
    if (t.data.length !== numel) throw new SafetensorsError(`tensor "${name}": ${t.data.length} values for shape ${JSON.stringify(t.shape)}`)
    let b = Buffer.alloc(numel * DTYPE_BYTES[dtype])
    if (dtype === 'F32' && t.data instanceof Float32Array) {
      b = Buffer.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
    } else for (let i = 0; i < numel; i++) {
      const v = t.data[i] as number | bigint
      switch (dtype) {
        case 'F32': b.writeFloatLE(Number(v), i * 4); break
        case 'F64': b.writeDoubleLE(Number(v), i * 8); break
        case 'F16': b.writeUInt16LE(f32ToF16(Number(v)), i * 2); break
        case 'BF16': b.writeUInt16LE(f32ToBf16(Number(v)), i * 2); break
        case 'I32': b.writeInt32LE(Number(v), i * 4); break
        case 'I64': b.writeBigInt64LE(BigInt(v), i * 8); break
      }
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + b.length] }
    off += b.length
    chunks.push(b)
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8')
  const pad = (8 - (json.length % 8)) % 8
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)])
  const size = Buffer.alloc(8)
  size.writeBigUInt64LE(BigInt(json.length))
  return Buffer.concat([size, json, ...chunks])
}

export function writeSafetensors(path: string, tensors: Map<string, WriteTensor> | Record<string, WriteTensor>, metadata?: Record<string, string>): void {
  writeFileSync(path, serializeSafetensors(tensors, metadata))
}
