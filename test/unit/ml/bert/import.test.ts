import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseBertConfig, readBertConfig } from '../../../../src-main/ml/bert/config'
import { importBertFolder } from '../../../../src-main/ml/bert/import'
import { BERT_TINY as FIX, copyBertTiny as copy, editConfig } from '../../../helpers/bert'
import { tmpDir } from '../../../helpers/tmp'

describe('importBertFolder', () => {
  it('imports both layouts with identical weights', () => {
    const hf = importBertFolder(FIX)
    const g = importBertFolder(join(FIX, 'google'))
    expect(hf.layout).toBe('hf')
    expect(g.layout).toBe('google')
    expect(g.config).toEqual(hf.config)
    expect(g.vocab.size).toBe(76)
    expect(hf.weights.size).toBe(5 + 2 * 16)
    for (const [k, t] of hf.weights) expect(g.weights.get(k)!.data, k).toEqual(t.data)
  })

  it('names the missing file', () => {
    const d = copy()
    rmSync(join(d, 'vocab.txt'))
    expect(() => importBertFolder(d)).toThrow(/missing file vocab\.txt/)
    const d2 = copy()
    rmSync(join(d2, 'model.safetensors'))
    writeFileSync(join(d2, 'pytorch_model.bin'), 'x')
    expect(() => importBertFolder(d2)).toThrow(/missing file model\.safetensors \(found pytorch_model\.bin, which cannot be read/)
    const g = copy('google')
    rmSync(join(g, 'bert_model.ckpt.data-00000-of-00001'))
    expect(() => importBertFolder(g)).toThrow(/missing file bert_model\.ckpt\.data-00000-of-00001/)
    const e = tmpDir('bert-empty-')
    expect(() => importBertFolder(e)).toThrow(/not a BERT folder — expected Hugging Face files/)
  })

  it('shape mismatch and unknown tensors are named (config disagrees with weights)', () => {
    const d = copy()
    editConfig(join(d, 'config.json'), { intermediate_size: 65 })
    expect(() => importBertFolder(d)).toThrow(/model\.safetensors: shape mismatch for "encoder\.layer\.0\.intermediate\.dense\.weight": file has \[64, 32\], config needs \[65, 32\]/)
    const d2 = copy()
    editConfig(join(d2, 'config.json'), { num_hidden_layers: 1 })
    expect(() => importBertFolder(d2)).toThrow(/unknown tensors \(not in a 1-layer BERT encoder\): "encoder\.layer\.1\./)
    expect(importBertFolder(d2, { unknownTensors: 'ignore' }).weights.size).toBe(5 + 16)
    const g = copy('google')
    editConfig(join(g, 'bert_config.json'), { num_hidden_layers: 3 })
    expect(() => importBertFolder(g)).toThrow(/bert_model\.ckpt\.index: missing tensors: "encoder\.layer\.2\./)
  })

  it('vocab size must match the config', () => {
    const d = copy()
    editConfig(join(d, 'config.json'), { vocab_size: 77 })
    expect(() => importBertFolder(d)).toThrow(/vocab\.txt: 76 tokens, but .*config\.json field "vocab_size" is 77/)
  })
})

describe('BERT config', () => {
  const base = { vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8 }
  it('Google bert_config.json (no layer_norm_eps) gets 1e-12; HF fields parsed', () => {
    const g = readBertConfig(join(FIX, 'google/bert_config.json'))
    expect(g).toMatchObject({ vocabSize: 76, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64, maxPositions: 64, typeVocabSize: 2, layerNormEps: 1e-12 })
    expect(parseBertConfig({ ...base, layer_norm_eps: 1e-5 }).layerNormEps).toBe(1e-5)
  })
  it('errors name the file and the field', () => {
    expect(() => parseBertConfig({ ...base, hidden_act: 'relu' }, 'c.json')).toThrow(/c\.json: field "hidden_act" is "relu"; only "gelu"/)
    expect(() => parseBertConfig({ ...base, hidden_act: 'gelu_new' }, 'c.json')).toThrow(/hidden_act/)
    const noHidden: Record<string, unknown> = { ...base }
    delete noHidden.hidden_size
    expect(() => parseBertConfig(noHidden, 'c.json')).toThrow(/c\.json: missing required field "hidden_size"/)
    expect(() => parseBertConfig({ ...base, num_attention_heads: 3 }, 'c.json')).toThrow(/"hidden_size" \(8\) must be divisible by "num_attention_heads" \(3\)/)
    expect(() => parseBertConfig({ ...base, num_hidden_layers: 1.5 }, 'c.json')).toThrow(/field "num_hidden_layers" must be an integer/)
    expect(() => parseBertConfig({ ...base, model_type: 'roberta' }, 'c.json')).toThrow(/model_type/)
    const d = tmpDir('cfg-')
    writeFileSync(join(d, 'config.json'), '{oops')
    expect(() => readBertConfig(join(d, 'config.json'))).toThrow(/config\.json: invalid JSON/)
  })
})
