// The flat presets' label set in the benchmarks: 1,001 BIO tags, as the study's full label set.
import type { readSeedDir } from '../../src-main/ml/data/seed'
import { buildVocabs } from '../../src-main/ml/models/features'
import { presetConfig } from '../../src-main/ml/models/presets'
import type { PresetName } from '../../src-main/shared/training'
import { LabelVocab } from '../../src-main/ml/tagging/labels'

export const FLAT_TAGS = 1001

/**
 * Vocabs of a preset on the data; flat presets get the sample's types plus unseen placeholder types
 * up to 500 types = 1,001 BIO tags, in LabelVocab.forTypes order (O, B-*, I-*), as a real 500-type
 * project would have.
 */
export function paddedFlatVocabs(data: ReturnType<typeof readSeedDir>, name: PresetName): ReturnType<typeof buildVocabs> {
  const config = presetConfig(name)
  const vocabs = buildVocabs(data, config.model)
  if (config.model.architecture === 'flat') {
    const types = new Set<string>()
    for (const e of data) for (const sp of e.spans) types.add(sp.type)
    for (let k = 0; types.size < (FLAT_TAGS - 1) / 2; k++) types.add(`未见类型${k}`)
    vocabs.labels = LabelVocab.forTypes(types, config.model.scheme).labels
  }
  return vocabs
}
