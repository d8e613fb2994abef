import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  f16ToF32,
  f32ToF16,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  SafetensorsError,
  writeSafetensors,
} from '../../../../src-main/ml/bert/safetensors'
import { tmpDir } from '../../../helpers/tmp'

/** Build a file from a raw header object and data bytes (for malformed cases). */
function raw(header: unknown, data: Buffer | number[] = [], headerText?: string): Buffer {
  const h = Buffer.from(headerText ?? JSON.stringify(header), 'utf8')
  const n = Buffer.alloc(8)
  n.writeBigUInt64LE(BigInt(h.length))
  return Buffer.concat([n, h, Buffer.from(data)])
}

describe('safetensors', () => {
  it('round-trips F32, I32, I64 and metadata; header is 8-byte aligned', () => {
    const buf = serializeSafetensors(
      {
        a: { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) },
        i: { shape: [2], data: new Int32Array([-7, 9]) },
        l: { shape: [1], data: new BigInt64Array([123456789012n]) },
        s: { shape: [], data: new Float32Array([3]) },
      },
      { format: 'pt' },
    )
    expect(Number(buf.readBigUInt64LE(0)) % 8).toBe(0)
    const f = parseSafetensors(buf)
    expect(f.metadata).toEqual({ format: 'pt' })
    expect(f.tensors.get('a')).toMatchObject({ dtype: 'F32', shape: [2, 3] })
    expect([...f.tensors.get('a')!.data]).toEqual([1, 2, 3, 4, 5, 6.5])
    expect([...f.tensors.get('i')!.data]).toEqual([-7, 9])
    expect([...f.tensors.get('l')!.data]).toEqual([123456789012n])
    expect(f.tensors.get('s')!.shape).toEqual([])
  })

  it('decodes F16 and BF16 (written by the writer) to float32', () => {
    const vals = [0, 1, -2, 0.5, 65504, 1e-7, -0.333251953125, 3.140625]
    const dir = tmpDir('st-')
    const p = join(dir, 'h.safetensors')
    writeSafetensors(p, {
      h: { shape: [vals.length], data: vals, dtype: 'F16' },
      b: { shape: [vals.length], data: vals, dtype: 'BF16' },
      d: { shape: [2], data: [1.5, -1e-3], dtype: 'F64' },
    })
    const f = readSafetensors(p)
    const h = f.tensors.get('h')!.data as Float32Array
    const b = f.tensors.get('b')!.data as Float32Array
    // F16: exact for representable values; 1e-7 is subnormal in half
    expect(h[0]).toBe(0)
    expect(h[1]).toBe(1)
    expect(h[2]).toBe(-2)
    expect(h[4]).toBe(65504)
    expect(Math.abs(h[5]! - 1e-7)).toBeLessThan(6e-8)
    expect(h[6]).toBe(-0.333251953125)
    // BF16: 8 mantissa bits
    expect(b[1]).toBe(1)
    expect(b[7]).toBe(3.140625)
    expect(Math.abs(b[4]! - 65504) / 65504).toBeLessThan(4e-3)
    expect([...(f.tensors.get('d')!.data as Float32Array)]).toEqual([1.5, Math.fround(-1e-3)])
  })

  it('F16 bit patterns decode per IEEE 754 (hand-written bytes)', () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504, 0x0001 = 2^-24, 0x7c00 = inf, 0x3555 ≈ 0.33325
    const bytes = Buffer.alloc(12)
    ;[0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555].forEach((v, i) => bytes.writeUInt16LE(v, i * 2))
    const f = parseSafetensors(raw({ x: { dtype: 'F16', shape: [6], data_offsets: [0, 12] } }, bytes))
    expect([...f.tensors.get('x')!.data]).toEqual([1, -2, 65504, 2 ** -24, Infinity, 0.333251953125])
    // BF16 0x3f80 = 1, 0xc040 = -3
    const bb = Buffer.alloc(4)
    bb.writeUInt16LE(0x3f80, 0)
    bb.writeUInt16LE(0xc040, 2)
    const g = parseSafetensors(raw({ y: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, bb))
    expect([...g.tensors.get('y')!.data]).toEqual([1, -3])
    expect(f16ToF32(f32ToF16(0.1))).toBeCloseTo(0.1, 3)
  })

  it('rejects a truncated file, naming the file', () => {
    const good = serializeSafetensors({ w: { shape: [4], data: new Float32Array(4) } })
    expect(() => parseSafetensors(good.subarray(0, 5), 'x.safetensors')).toThrow(/x\.safetensors: truncated file/)
    expect(() => parseSafetensors(good.subarray(0, 20), 'x.safetensors')).toThrow(/x\.safetensors: truncated file: header size/)
    expect(() => parseSafetensors(good.subarray(0, good.length - 3), 'x.safetensors')).toThrow(
      /x\.safetensors: tensor "w": data_offsets \[0, 16\] out of range/,
    )
  })

  it('rejects bad header JSON', () => {
    expect(() => parseSafetensors(raw(null, [], '{"w": {'), 'bad.safetensors')).toThrow(/bad\.safetensors: bad header JSON/)
    expect(() => parseSafetensors(raw([1, 2]), 'bad.safetensors')).toThrow(/bad header JSON \(not an object\)/)
  })

  it('rejects an unknown dtype, naming the tensor', () => {
    expect(() => parseSafetensors(raw({ q: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, [0]), 'm.safetensors')).toThrow(
      /m\.safetensors: tensor "q": unknown or unsupported dtype "F8_E4M3"/,
    )
  })

  it('rejects overlapping, holey and size-inconsistent offsets', () => {
    const d = Buffer.alloc(16)
    expect(() =>
      parseSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, d.subarray(0, 12))),
    ).toThrow(/tensor "b" overlaps/)
    expect(() => parseSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, d))).toThrow(/hole in the byte buffer before tensor "a"/)
    expect(() => parseSafetensors(raw({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d.subarray(0, 8)))).toThrow(
      /tensor "a": data_offsets span 8 bytes but shape \[3\] × F32 needs 12/,
    )
    expect(() => parseSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, d))).toThrow(/8 trailing bytes/)
  })

  it('readSafetensors names a missing file', () => {
    const dir = tmpDir('st-')
    const p = join(dir, 'does-not-exist.safetensors')
    expect(() => readSafetensors(p)).toThrow(SafetensorsError)
    writeFileSync(join(dir, 'empty.safetensors'), '')
    expect(() => readSafetensors(join(dir, 'empty.safetensors'))).toThrow(/empty\.safetensors: truncated/)
  })
})
