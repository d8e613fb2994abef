// Labelling at scale: 60,000 terms over 10,000 titles of ~50 characters, every title scanned and every
// span counted. Synthetic and seeded, so the times it prints are comparable run to run
// (bench/results/weak.md); they are not asserted: a test does not time, a benchmark does.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project } from '../../../../src-main/services/project/project'
import { applyDictionaries } from '../../../../src-main/services/dicts/apply'
import { importGazetteer, listDictionaries } from '../../../../src-main/services/dicts/dicts'
import { makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'
import { makeRng } from '../../../../src-main/ml/train/rng'

const rng = makeRng

describe('labelling at scale', () => {
  it('60,000 terms × 10,000 titles: all titles scanned, the spans added are the spans listed', async () => {
    const r = rng(7)
    // 600 common characters: terms of 2–4 of them, titles of 50, so titles really contain terms.
    const alphabet = Array.from({ length: 600 }, (_, i) => String.fromCodePoint(0x4e00 + i * 7))
    const pick = (): string => alphabet[Math.floor(r() * alphabet.length)]!
    const terms = new Set<string>()
    while (terms.size < 60_000) terms.add(Array.from({ length: 2 + Math.floor(r() * 3) }, pick).join(''))
    const titles = Array.from({ length: 10_000 }, () => ({ text: Array.from({ length: 50 }, pick).join('') }))
    const dir = tmpDir()
    const path = await makeProject(dir, titles, { split: 'train' })
    const p = Project.open(path)
    const dic = join(dir, 'terms.dic')
    writeFileSync(dic, [...terms].join('\n') + '\n')
    const t0 = performance.now()
    const imp = await importGazetteer(p, { path: dic, type: '品牌' })
    const importS = (performance.now() - t0) / 1000
    const res = applyDictionaries(p, { dictionaryIds: [imp.dictionary.id] })
    const t1 = performance.now()
    const listed = listDictionaries(p.db)
    const listS = (performance.now() - t1) / 1000
    console.log(
      `weak-label speed: import 60,000 terms ${importS.toFixed(2)} s; apply to 10,000 titles ${res.seconds.toFixed(2)} s ` +
        `(${res.spansAdded} spans in ${res.titlesTouched} titles); dicts.list ${listS.toFixed(2)} s`,
    )
    expect(imp.terms).toBe(60_000)
    expect(res.titlesScanned).toBe(10_000)
    expect(res.spansAdded).toBeGreaterThan(10_000)
    expect(listed[0]!.spans).toBe(res.spansAdded)
    p.close()
  })
})
