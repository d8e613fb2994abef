// Prediction batches are cut by positions (titles × the longest title) so a batch of long titles
// cannot fill the wasm heap; the cut keeps order and every title once.
import { beforeAll, describe, expect, it } from 'vitest'
import { predict, withinPositions } from '../../../src-main/ml/predict'
import { buildVocabs } from '../../../src-main/ml/models/features'
import { presetConfig } from '../../../src-main/ml/models/presets'
import { Tagger } from '../../../src-main/ml/models/tagger'
import { testBackend } from '../../helpers/ml'
import { TINY } from '../../helpers/tiny'

describe('prediction batches by positions', () => {
  beforeAll(testBackend)

  it('parts hold at most the budget, in order, each title once; an over-long title is alone', () => {
    const lengths = [10, 10, 12, 30, 30, 31, 100, 5]
    const parts = withinPositions([0, 1, 2, 3, 4, 5, 6, 7], (i) => lengths[i]!, 64)
    expect(parts.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    for (const p of parts) if (p.length > 1) expect(p.length * Math.max(...p.map((i) => lengths[i]!))).toBeLessThanOrEqual(64)
    expect(parts).toEqual([[0, 1, 2], [3, 4], [5], [6], [7]])
    expect(withinPositions([], () => 1)).toEqual([])
    expect(withinPositions([3, 1], () => 8000)).toEqual([[3, 1]])
    expect(withinPositions([3, 1, 2], () => 8000)).toEqual([[3, 1], [2]])
  })

  it('titles longer than one batch can hold are tagged like short ones (same result alone or among others)', async () => {
    const config = presetConfig('bilstm-crf', { seed: 2, model: { charEmbedding: 8, hidden: 8 } })
    const m = Tagger.build({ config: config.model, vocabs: buildVocabs(TINY, config.model), seed: 2 })
    // 70 titles of 300 chars: 21,000 positions in one batch of 64 — cut into parts of ≤ 16,384
    const long = Array.from({ length: 70 }, (_, k) => Array.from(TINY[k % TINY.length]!.text.repeat(300)).slice(0, 300).join(''))
    const all = await predict(m, long)
    const alone = await predict(m, [long[69]!])
    expect(all).toHaveLength(70)
    expect(all[69]!.tags).toEqual(alone[0]!.tags)
    expect(all.every((p) => p.tags.length === 300)).toBe(true)
    m.dispose()
  })
})
