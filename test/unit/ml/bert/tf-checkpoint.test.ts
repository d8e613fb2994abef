// The tensor-bundle fixture was written by scripts/make-bert-fixture.py with its own Python writer
// (TensorFlow is not installable here), following the LevelDB table format and tensor_bundle.proto.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { floatTensors, readSafetensors } from '../../../../src-main/ml/bert/safetensors'
import {
  crc32c,
  googleToInternalName,
  maskCrc,
  parseBundleIndex,
  readGoogleBertCheckpoint,
  readTfCheckpoint,
  snappyDecompress,
  unmaskCrc,
} from '../../../../src-main/ml/bert/tf-checkpoint'
import { tmpDir } from '../../../helpers/tmp'
import { BERT_TINY } from '../../../helpers/bert'

const FIX = BERT_TINY
const PREFIX = join(FIX, 'google/bert_model.ckpt')

describe('TF tensor-bundle reader', () => {
  it('crc32c matches the standard check value; mask/unmask are inverse', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(unmaskCrc(maskCrc(0xdeadbeef))).toBe(0xdeadbeef)
  })

  it('parses the index: header, entries with dtype/shape/offset/size, across several data blocks', () => {
    const idx = parseBundleIndex(readFileSync(PREFIX + '.index'), 'x.index')
    expect(idx.numShards).toBe(1)
    expect(idx.entries.get('global_step')).toMatchObject({ dtype: 9, shape: [], size: 8 })
    expect(idx.entries.get('bert/embeddings/word_embeddings')).toMatchObject({ dtype: 1, shape: [76, 32], shardId: 0 })
    expect(idx.entries.get('bert/encoder/layer_1/intermediate/dense/kernel')!.shape).toEqual([32, 64])
    expect(idx.entries.size).toBe(5 + 2 * 16 + 3)
  })

  it('reads every tensor, including int64 global_step, with CRC verification', () => {
    const all = readTfCheckpoint(PREFIX)
    expect([...all.get('global_step')!.data]).toEqual([1000n])
    expect(all.get('bert/embeddings/LayerNorm/gamma/adam_m')!.data).toBeInstanceOf(Float32Array)
  })

  it('maps Google names to HF names and transposes kernels to [out, in]', () => {
    expect(googleToInternalName('bert/encoder/layer_11/attention/self/query/kernel')).toEqual({
      name: 'encoder.layer.11.attention.self.query.weight',
      transpose: true,
    })
    expect(googleToInternalName('bert/encoder/layer_0/attention/output/LayerNorm/gamma')!.name).toBe(
      'encoder.layer.0.attention.output.LayerNorm.weight',
    )
    expect(googleToInternalName('bert/embeddings/token_type_embeddings')).toEqual({ name: 'embeddings.token_type_embeddings.weight', transpose: false })
    for (const n of ['global_step', 'bert/encoder/layer_0/output/dense/kernel/adam_v', 'cls/predictions/output_bias', 'bert/pooler/dense/kernel', 'output_weights']) {
      expect(googleToInternalName(n)).toBeNull()
    }
    const g = readGoogleBertCheckpoint(PREFIX)
    const hf = floatTensors(readSafetensors(join(FIX, 'model.safetensors')))
    expect([...g.keys()].sort()).toEqual([...hf.keys()].sort())
    for (const [k, t] of hf) {
      expect(g.get(k)!.shape, k).toEqual(t.shape)
      expect(Buffer.from(g.get(k)!.data.buffer, g.get(k)!.data.byteOffset, g.get(k)!.data.byteLength).equals(Buffer.from(t.data.buffer)), k).toBe(true)
    }
  })

  it('reads an index whose blocks are snappy-compressed', () => {
    const dir = tmpDir('ckpt-')
    copyFileSync(join(FIX, 'snappy-bert_model.ckpt.index'), join(dir, 'm.ckpt.index'))
    copyFileSync(PREFIX + '.data-00000-of-00001', join(dir, 'm.ckpt.data-00000-of-00001'))
    const a = readGoogleBertCheckpoint(join(dir, 'm.ckpt'))
    const b = readGoogleBertCheckpoint(PREFIX)
    expect([...a.keys()]).toEqual([...b.keys()])
    expect(a.get('encoder.layer.1.output.dense.weight')!.data).toEqual(b.get('encoder.layer.1.output.dense.weight')!.data)
  })

  it('snappy: literals, overlapping copies, all element kinds, and errors', () => {
    // "abcabcabcab" = literal "abc" + copy(len 8, offset 3) via 1-byte-offset element
    const s = Uint8Array.from([11, (3 - 1) << 2, 97, 98, 99, ((8 - 4) << 2) | 1, 3])
    expect(Buffer.from(snappyDecompress(s)).toString()).toBe('abcabcabcab')
    // same with a 2-byte-offset copy and a 4-byte-offset copy
    expect(Buffer.from(snappyDecompress(Uint8Array.from([6, 0 << 2, 120, ((5 - 1) << 2) | 2, 1, 0]))).toString()).toBe('xxxxxx')
    expect(Buffer.from(snappyDecompress(Uint8Array.from([3, 0 << 2, 121, ((2 - 1) << 2) | 3, 1, 0, 0, 0]))).toString()).toBe('yyy')
    expect(() => snappyDecompress(Uint8Array.from([4, 0, 97, ((4 - 1) << 2) | 2, 5, 0]))).toThrow(/bad copy offset 5/)
    expect(() => snappyDecompress(Uint8Array.from([5, 0, 97]))).toThrow(/decompressed 1 bytes, header says 5/)
  })

  it('errors: not a table, truncated index, corrupted block, corrupted data, missing shard', () => {
    const dir = tmpDir('ckpt-')
    const idx = readFileSync(PREFIX + '.index')
    const data = readFileSync(PREFIX + '.data-00000-of-00001')
    writeFileSync(join(dir, 'a.index'), Buffer.alloc(100))
    expect(() => readTfCheckpoint(join(dir, 'a'))).toThrow(/a\.index: bad table magic/)
    writeFileSync(join(dir, 'b.index'), idx.subarray(idx.length - 60))
    expect(() => readTfCheckpoint(join(dir, 'b'))).toThrow(/b\.index: index block .* runs past the end of the file/)
    const bad = Buffer.from(idx)
    bad[10] ^= 0xff
    writeFileSync(join(dir, 'c.index'), bad)
    expect(() => readTfCheckpoint(join(dir, 'c'))).toThrow(/c\.index: checksum mismatch in data block at offset 0/)
    writeFileSync(join(dir, 'd.index'), idx)
    expect(() => readTfCheckpoint(join(dir, 'd'))).toThrow(/d\.data-00000-of-00001: cannot open data shard/)
    const badData = Buffer.from(data)
    badData[100] ^= 0x01
    writeFileSync(join(dir, 'd.data-00000-of-00001'), badData)
    expect(() => readTfCheckpoint(join(dir, 'd'))).toThrow(/d\.index: tensor "bert\/embeddings\/LayerNorm\/beta": CRC32C mismatch/)
    writeFileSync(join(dir, 'd.data-00000-of-00001'), data.subarray(0, 1000))
    expect(() => readTfCheckpoint(join(dir, 'd'), { verifyChecksums: false })).toThrow(/lie beyond the end of .*truncated/)
  })
})
