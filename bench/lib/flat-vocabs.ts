// The flat presets' label set in the benchmarks: 1,001 tags, as the study's full label set.
import type { readSeedDir } from '../../src-main/ml/data/seed'
import { buildVocabs } from '../../src-main/ml/models/features'
import { presetConfig } from '../../src-main/ml/models/presets'
import type { PresetName } from '../../src-main/shared/training'
import { LabelVocab } from '../../src-main/ml/tagging/labels'

export const FLAT_TAGS = 1001

/**
 * Vocabs of a preset on the data; flat presets get the sample's types plus unseen placeholder types
 * up to 1,001 tags (500 types in BIO, 250 in BIOES: the reference pads to 1,001 tags whatever the
 * scheme), in LabelVocab.forTypes order, as a real project of that many types would have.
 */
export function paddedFlatVocabs(data: ReturnType<typeof readSeedDir>, name: PresetName): ReturnType<typeof buildVocabs> {
  const config = presetConfig(name)
  const vocabs = buildVocabs(data, config.model)
  if (config.model.architecture === 'flat') {
    const types = new Set<string>()
    for (const e of data) for (const sp of e.spans) types.add(sp.type)
    const perType = config.model.scheme === 'BIOES' ? 4 : 2
    for (let k = 0; types.size < (FLAT_TAGS - 1) / perType; k++) types.add(`未见类型${k}`)
    vocabs.labels = LabelVocab.forTypes(types, config.model.scheme).labels
  }
  return vocabs
}
