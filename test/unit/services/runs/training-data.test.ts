// What a run trains and picks its epoch on, from a real project file: without a dev split, dev is
// held back from train — from the reviewed titles alone when train also holds unreviewed ones
// (their weak labels, or none, are not what dev should judge against), once there are enough.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importInto } from '../../../../src-main/services/io/import'
import { Project } from '../../../../src-main/services/project/project'
import { MIN_REVIEWED_DEV, selfTrainingPool, trainingData } from '../../../../src-main/services/runs/records'
import { makeProject, writeJsonl, type TitleSpec } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'

const titles = (n: number, prefix: string): TitleSpec[] => Array.from({ length: n }, (_, i) => ({ text: `${prefix}华为手机${i}`, label: [[1, 3, '品牌']] }))

async function project(reviewed: number, weak: number): Promise<Project> {
  const dir = tmpDir()
  const file = await makeProject(dir, titles(reviewed, '甲'), { split: 'train' })
  await importInto(file, { path: writeJsonl(join(dir, 'weak.jsonl'), titles(weak, '乙')), format: 'jsonl', origin: 'weak', split: 'train' })
  const p = Project.open(file)
  // imports land unreviewed: the gold titles are the reviewed ones here
  p.db.prepare("UPDATE titles SET status = 'reviewed' WHERE text LIKE '甲%'").run()
  return p
}

describe('dev held back from train', () => {
  it('from the reviewed titles when train also holds unreviewed ones; every other title still trains', async () => {
    const p = await project(30, 50)
    try {
      const d = trainingData(p.db, { titles: 'all', seed: 3 })
      expect(d.dev).toHaveLength(3)
      expect(d.dev.every((e) => e.reviewed !== false)).toBe(true)
      expect(d.devSource).toBe('3 reviewed titles held back from train')
      expect(d.train).toHaveLength(77)
      expect(d.train.filter((e) => e.reviewed === false)).toHaveLength(50)
      const ids = new Set(d.train.map((e) => e.id))
      expect(d.dev.some((e) => ids.has(e.id))).toBe(false)
      // reviewed titles only: the same titles held back as before
      const r = trainingData(p.db, { titles: 'reviewed', seed: 3 })
      expect(r.dev.map((e) => e.id).sort()).toEqual(d.dev.map((e) => e.id).sort())
      expect(r.train).toHaveLength(27)
    } finally {
      p.close()
    }
  })

  it(`from all train titles when fewer than ${MIN_REVIEWED_DEV} are reviewed`, async () => {
    const p = await project(MIN_REVIEWED_DEV - 1, 50)
    try {
      const d = trainingData(p.db, { titles: 'all', seed: 3 })
      expect(d.dev).toHaveLength(6)
      expect(d.devSource).toBe('6 titles held back from train')
      expect(d.train).toHaveLength(MIN_REVIEWED_DEV - 1 + 50 - 6)
      // self-training's pool: nothing beyond the data with --data all; with reviewed only, the 50
      // unreviewed titles — less the held-back ones among them, which are dev
      expect(selfTrainingPool(p.db, { titles: 'all' }, [...d.train, ...d.dev])).toEqual([])
      const r = trainingData(p.db, { titles: 'reviewed', seed: 3 })
      const pool = selfTrainingPool(p.db, { titles: 'reviewed' }, [...r.train, ...r.dev, ...d.dev])
      const heldWeak = d.dev.filter((e) => e.reviewed === false).length
      expect(heldWeak).toBeGreaterThan(0)
      expect(pool).toHaveLength(50 - heldWeak)
      expect(pool.every((t) => t.startsWith('乙') && !d.dev.some((e) => e.text === t))).toBe(true)
    } finally {
      p.close()
    }
  })
})
