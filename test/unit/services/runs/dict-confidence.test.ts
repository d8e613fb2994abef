// Dictionary spans weighed by their dictionary's precision on the reviewed titles of the train and
// dev splits — never test — and only where the dictionary matched often enough there: as a soft
// span's confidence, or to leave out a dictionary below a precision. A real project file, real
// imports and dictionary labelling.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project } from '../../../../src-main/services/project/project'
import { createDictionary, importGazetteer } from '../../../../src-main/services/dicts/dicts'
import { applyDictionaries } from '../../../../src-main/services/dicts/apply'
import { MIN_MATCHES, weighDictionarySpans } from '../../../../src-main/services/runs/dict-confidence'
import { trainingData } from '../../../../src-main/services/runs/records'
import { importInto } from '../../../../src-main/services/io/import'
import { makeProject, writeJsonl, type TitleSpec } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'

const rep = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i))

describe('dictionary spans weighed by their dictionary’s precision', () => {
  it('soft spans take their dictionary’s precision on reviewed train + dev titles, a dictionary below minDictionaryPrecision labels nothing; test, rare and studio-made dictionaries give no estimate', async () => {
    const dir = tmpDir()
    const train: TitleSpec[] = [{ text: '华为苹果小米壳' }, { text: '苹果华为' }]
    // dev (reviewed): 华为 is a brand in 30 of 40 matches, 苹果 in 0 of 40 (fruit)
    const dev: TitleSpec[] = [...rep(30, () => ({ text: '华为手机', label: [[0, 2, '品牌']] as [number, number, string][] })), ...rep(10, () => ({ text: '华为' })), ...rep(40, () => ({ text: '苹果很甜' }))]
    // test (reviewed): would make 苹果 perfect if it were read
    const test: TitleSpec[] = rep(200, () => ({ text: '苹果手机', label: [[0, 2, '品牌']] as [number, number, string][] }))
    const path = await makeProject(dir, train, { split: 'train' })
    for (const [split, titles] of [['dev', dev], ['test', test]] as const)
      await importInto(path, { path: writeJsonl(join(dir, `${split}.jsonl`), titles), format: 'jsonl', origin: 'gold', split })
    const project = Project.open(path)
    const ids = (split: string): number[] => (project.db.prepare('SELECT id FROM titles WHERE split = ?').all(split) as { id: number }[]).map((r) => r.id)
    project.setStatus([...ids('dev'), ...ids('test')], 'reviewed')
    const dic = (name: string, body: string): string => {
      const f = join(dir, name)
      writeFileSync(f, body)
      return f
    }
    const brands = await importGazetteer(project, { path: dic('brands.dic', '华为\n'), type: '品牌' })
    const fruit = await importGazetteer(project, { path: dic('fruit.dic', '苹果\n'), type: '品牌' })
    const rare = await importGazetteer(project, { path: dic('rare.dic', '小米\n'), type: '品牌' })
    const made = createDictionary(project.db, 'promoted', '品牌')
    project.db.prepare('INSERT INTO dictionary_terms (dictionary_id, term, type) VALUES (?, ?, ?)').run(made.id, '壳', '品牌')
    applyDictionaries(project, { dictionaryIds: [brands.dictionary.id, fruit.dictionary.id, rare.dictionary.id, made.id], split: 'train' })

    const WEAK = { partial: true, unknownEntityPrior: 0.3, originWeights: { gold: 1, weak: 0.8, dictionary: 0.6, model: 0.5 } }
    const data = trainingData(project.db, { titles: 'all', trainSplit: 'train', devSplit: 'dev' })
    expect(weighDictionarySpans(project.db, data.train, WEAK, 'train', 'dev')).toBeNull() // neither rule asked for: nothing read
    expect(data.train.flatMap((e) => e.spans.map((s) => s.confidence))).toEqual([undefined, undefined, undefined, undefined, undefined, undefined])
    const used = weighDictionarySpans(project.db, data.train, { ...WEAK, softSpans: true }, 'train', 'dev')
    expect(used).toEqual({ brands: { precision: 30 / 40, matches: 40 }, fruit: { precision: 0, matches: 40 } })
    const conf = Object.fromEntries(data.train.flatMap((e) => e.spans.map((s) => [Array.from(e.text).slice(s.start, s.end).join(''), s.confidence])))
    // 小米: 0 matches on reviewed titles (< MIN_MATCHES); 壳: a studio-made dictionary; both stay certain
    expect(conf).toEqual({ 华为: 0.75, 苹果: 0, 小米: undefined, 壳: undefined })
    expect(MIN_MATCHES).toBeGreaterThan(1)
    // the file says nothing of it: only the examples handed to the trainer carry the confidence
    expect((project.db.prepare(`SELECT count(*) AS n FROM spans WHERE origin = 'dictionary' AND confidence IS NOT NULL`).get() as { n: number }).n).toBe(0)
    // a dev split named test is not read
    expect(weighDictionarySpans(project.db, data.train, { ...WEAK, softSpans: true }, 'train', 'test')).toEqual({})
    // minDictionaryPrecision ½: fruit (0 on dev) labels nothing; brands (¾) stay certain; the others have no estimate
    const again = trainingData(project.db, { titles: 'all', trainSplit: 'train', devSplit: 'dev' })
    weighDictionarySpans(project.db, again.train, { ...WEAK, minDictionaryPrecision: 0.5 }, 'train', 'dev')
    expect(again.train.map((e) => e.spans.map((s) => [Array.from(e.text).slice(s.start, s.end).join(''), s.confidence]))).toEqual([
      [['华为', undefined], ['小米', undefined], ['壳', undefined]],
      [['华为', undefined]],
    ])
    project.close()
  })
})
