// Learning curves and the simulated review loop on a tiny real project: real SQLite
// file, real (tiny) training runs in the trainer process.
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { importInto } from '../../../../src-main/services/io/import'
import { preannotateQueue } from '../../../../src-main/services/runs/evaluation'
import { evaluateRun } from '../../../../src-main/services/runs/evaluate'
import { Project } from '../../../../src-main/services/project/project'
import { nestedSubsets } from '../../../../src-main/services/runs/curve'
import { pickBatch, readOracle, simulate } from '../../../../src-main/services/runs/simulate'
import { runCli } from '../../../helpers/cli'
import { TINY_OVERRIDES } from '../../../helpers/runs'
import { writeJsonl } from '../../../helpers/project'
import { tinyTitles } from '../../../helpers/tiny'
import { tmpDir } from '../../../helpers/tmp'

const TRAIN = 16
const overrides = { ...TINY_OVERRIDES, epochs: 1, patience: 1 }

/** The oracle: the same train titles (same order), each with ONE span, typed ORACLE (different from the weak spans). */
function oracleTitles() {
  return tinyTitles(TRAIN).map((t) => ({ text: t.text, label: t.label!.slice(0, 1).map(([s, e]): [number, number, string] => [s, e, 'ORACLE']) }))
}

function spansOf(p: Project, id: number): { start: number; end: number; type: string; origin: string }[] {
  return p.db
    .prepare('SELECT s.start, s.end, e.name AS type, s.origin FROM spans s JOIN entity_types e ON e.id = s.type_id WHERE s.title_id = ? ORDER BY s.start')
    .all(id) as never
}
const statusOf = (p: Project): Record<number, string> =>
  Object.fromEntries((p.db.prepare("SELECT id, status FROM titles WHERE split = 'train'").all() as { id: number; status: string }[]).map((r) => [r.id, r.status]))

/** Precision, recall and F1 of a stored score. */
const pick = (m: unknown): { precision: number; recall: number; f1: number } => {
  const { precision, recall, f1 } = m as { precision: number; recall: number; f1: number }
  return { precision, recall, f1 }
}

describe('simulated review loop and learning curve (tiny project)', () => {
  let dir: string
  let base: string
  let oracle: string
  const copy = (name: string): string => {
    const f = join(dir, name)
    copyFileSync(base, f)
    return f
  }
  beforeAll(async () => {
    dir = tmpDir('ner-loop-')
    base = join(dir, 'base.sqlite')
    Project.open(base, { create: true }).close()
    await importInto(base, { path: writeJsonl(join(dir, 'train.jsonl'), tinyTitles(TRAIN)), format: 'jsonl', split: 'train', origin: 'weak' })
    await importInto(base, { path: writeJsonl(join(dir, 'dev.jsonl'), tinyTitles(8, 3)), format: 'jsonl', split: 'dev', origin: 'gold' })
    await importInto(base, { path: writeJsonl(join(dir, 'test.jsonl'), tinyTitles(8, 5)), format: 'jsonl', split: 'test', origin: 'gold' })
    oracle = writeJsonl(join(dir, 'oracle.jsonl'), oracleTitles())
  })

  for (const strategy of ['least-confident', 'entropy', 'random'] as const) {
    it(`${strategy}: disjoint never-reviewed picks whose spans become exactly the oracle's; weak spans elsewhere stay; each round a recorded run`, async () => {
      const p = Project.open(copy(`${strategy}.sqlite`))
      try {
        const gold = await readOracle(p, oracle)
        const r = await simulate(p, { oracle, strategy, preset: 'bilstm-crf', start: 4, batch: 3, rounds: 3, overrides, seed: 7 })
        expect(r.rounds.map((x) => x.reviewed)).toEqual([4, 7, 10])
        expect(r.rounds.map((x) => x.share)).toEqual([4 / 16, 7 / 16, 10 / 16])
        const picked = [...r.initial, ...r.rounds.flatMap((x) => x.picked)]
        expect(picked).toHaveLength(10)
        expect(new Set(picked).size).toBe(10)
        expect(r.rounds[2]!.picked).toEqual([])
        const status = statusOf(p)
        for (const id of Object.keys(status).map(Number)) {
          const spans = spansOf(p, id)
          if (picked.includes(id)) {
            expect(status[id]).toBe('reviewed')
            expect(spans.map(({ start, end, type, origin }) => ({ start, end, type, origin }))).toEqual(gold.get(id)!.map((s) => ({ ...s, origin: 'gold' })))
          } else {
            expect(status[id]).toBe('unreviewed')
            expect(spans.filter((s) => s.origin === 'weak').length).toBeGreaterThan(1)
            expect(spans.some((s) => s.origin === 'gold')).toBe(false)
          }
        }
        const runs = p.listRuns().filter((x) => (x.config.experiment as { kind?: string } | undefined)?.kind === 'simulate')
        expect(runs).toHaveLength(3)
        for (const run of runs) expect(run.status).toBe('done')
        // trained on the reviewed titles only: 4, 7, 10
        expect(runs.map((x) => (x.config.data as { train: number }).train).sort((a, b) => a - b)).toEqual([4, 7, 10])
        // each round's test score is what the Evaluate screen shows when that run is evaluated again
        for (const x of r.rounds) expect(x.test.f1).toBeCloseTo((await evaluateRun(p.db, x.runId, 'test')).summary.micro.f1, 9)
      } finally {
        p.close()
      }
    }, 240_000)
  }

  it('a fixed seed gives the same picks; least-confident, entropy, sequence and mnlp pick the Pre-annotate queue in its orders', async () => {
    const a = Project.open(copy('seed-a.sqlite'))
    const b = Project.open(copy('seed-b.sqlite'))
    try {
      const ra = await simulate(a, { oracle, strategy: 'random', preset: 'bilstm', start: 3, batch: 4, rounds: 2, overrides, seed: 11 })
      const rb = await simulate(b, { oracle, strategy: 'random', preset: 'bilstm', start: 3, batch: 4, rounds: 2, overrides, seed: 11 })
      expect(rb.initial).toEqual(ra.initial)
      expect(rb.rounds[0]!.picked).toEqual(ra.rounds[0]!.picked)
      const runId = ra.rounds[1]!.runId
      const lc = await pickBatch(a, 'least-confident', runId, 3, 1)
      const queue = preannotateQueue(a.db, { runId, limit: 3 }).items.map((i) => i.id)
      expect(queue.length).toBeGreaterThan(0)
      expect(lc.slice(0, queue.length)).toEqual(queue)
      expect(await pickBatch(a, 'least-confident', runId, 3, 1)).toEqual(lc)
      const reviewed = new Set(Object.entries(statusOf(a)).filter(([, s]) => s === 'reviewed').map(([id]) => Number(id)))
      for (const id of lc) expect(reviewed.has(id)).toBe(false)

      // Entropy: the same queue in its 'entropy' order — every unreviewed title the run
      // pre-annotated, with or without model spans, highest total token entropy first.
      const ent = await pickBatch(a, 'entropy', runId, 3, 1)
      const eq = preannotateQueue(a.db, { runId, order: 'entropy', limit: 1000 })
      const unreviewed = Object.values(statusOf(a)).filter((s) => s === 'unreviewed').length
      expect(eq.total).toBe(unreviewed)
      expect(eq.items.map((i) => i.id)).toHaveLength(unreviewed)
      expect(ent).toEqual(eq.items.slice(0, 3).map((i) => i.id))
      const types = (a.db.prepare('SELECT count(*) AS n FROM entity_types').get() as { n: number }).n
      const es = eq.items.map((i) => i.entropy!)
      for (let i = 1; i < es.length; i++) expect(es[i]!).toBeLessThanOrEqual(es[i - 1]!)
      eq.items.forEach((i) => {
        // a sum over characters of entropies of distributions over at most 4·types + 1 BIOES tags
        expect(i.entropy!).toBeGreaterThan(0)
        expect(i.entropy!).toBeLessThanOrEqual(Array.from(i.text).length * Math.log(4 * types + 1) + 1e-6)
        expect(reviewed.has(i.id)).toBe(false)
      })
      // Its span counts agree with the least-confident queue's; titles without model spans count 0.
      const lcItems = new Map(preannotateQueue(a.db, { runId, limit: 1000 }).items.map((i) => [i.id, i.modelSpans]))
      for (const i of eq.items) expect(i.modelSpans).toBe(lcItems.get(i.id) ?? 0)
      // Sequence and MNLP: the same queue in those orders — every unreviewed title, by the stored
      // log P(ŷ | x) of the run's predicted path (per character for mnlp), least probable first.
      for (const order of ['sequence', 'mnlp'] as const) {
        const picked = await pickBatch(a, order, runId, 3, 1)
        const sq = preannotateQueue(a.db, { runId, order, limit: 1000 })
        expect(sq.total).toBe(unreviewed)
        expect(picked).toEqual(sq.items.slice(0, 3).map((i) => i.id))
        const score = (i: (typeof sq.items)[number]): number => (order === 'mnlp' ? i.logProb! / Array.from(i.text).length : i.logProb!)
        for (let k = 1; k < sq.items.length; k++) expect(score(sq.items[k]!)).toBeGreaterThanOrEqual(score(sq.items[k - 1]!) - 1e-12)
        for (const i of sq.items) expect(i.logProb!).toBeLessThanOrEqual(0)
      }
      expect(() => preannotateQueue(a.db, { order: 'entropy' })).toThrow(/needs a run id/)
      expect(() => preannotateQueue(a.db, { runId, order: 'nonsense' as 'entropy' })).toThrow(/unknown queue order "nonsense"/)
    } finally {
      a.close()
      b.close()
    }
  }, 240_000)

  it('warm rounds (--warm-epochs): each round after the first continues the previous round’s model for that many epochs, recorded in the run', async () => {
    const p = Project.open(copy('warm.sqlite'))
    try {
      const r = await simulate(p, { oracle, strategy: 'random', preset: 'bilstm-crf', start: 4, batch: 3, rounds: 3, overrides: { ...overrides, epochs: 2, patience: 2 }, seed: 7, warmEpochs: 1 })
      expect(r.rounds.map((x) => x.from)).toEqual([null, r.rounds[0]!.runId, r.rounds[1]!.runId])
      const runs = new Map(p.listRuns().map((x) => [x.id, x]))
      expect(r.rounds.map((x) => (runs.get(x.runId)!.config as { from?: number }).from ?? null)).toEqual(r.rounds.map((x) => x.from))
      expect(r.rounds.map((x) => runs.get(x.runId)!.config.epochs)).toEqual([2, 1, 1])
      expect(r.rounds.map((x) => (runs.get(x.runId)!.config.data as { train: number }).train)).toEqual([4, 7, 10])
    } finally {
      p.close()
    }
  }, 240_000)

  it('a bad oracle is refused with file and line before anything changes', async () => {
    const file = copy('bad.sqlite')
    const before = (): unknown => {
      const p = Project.open(file, { readonly: true })
      try {
        return { status: statusOf(p), spans: p.db.prepare('SELECT count(*) AS n FROM spans').get(), runs: p.listRuns().length }
      } finally {
        p.close()
      }
    }
    const snapshot = before()
    const stranger = oracleTitles()
    stranger[5] = { text: '完全不同的标题', label: [] }
    const wrongTitle = writeJsonl(join(dir, 'stranger.jsonl'), stranger)
    const short = writeJsonl(join(dir, 'short.jsonl'), oracleTitles().slice(0, 10))
    const badTags = join(dir, 'bad.conll')
    writeFileSync(badTags, `${Array.from(tinyTitles(1)[0]!.text).map((c, i) => `${c}\t${i === 2 ? 'Q-品牌' : 'O'}`).join('\n')}\n`)
    for (const [path, msg] of [
      [wrongTitle, /stranger\.jsonl:6: title "完全不同的标题" is not/],
      [short, /short\.jsonl:0: 6 train titles of the project are not in the oracle/],
      [badTags, /bad\.conll:3: /],
    ] as const) {
      const p = Project.open(file)
      try {
        await expect(simulate(p, { oracle: path, strategy: 'random', preset: 'bilstm', overrides })).rejects.toThrow(msg)
      } finally {
        p.close()
      }
      expect(before()).toEqual(snapshot)
    }
    const r = await runCli(['simulate', file, '--oracle', wrongTitle, '--strategy', 'random', '--model', 'bilstm'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/stranger\.jsonl:6: /)
  }, 60_000)

  it('nested subsets: each fraction is a prefix of the next, the same for the same seed', () => {
    const ids = Array.from({ length: 40 }, (_, i) => i + 1)
    const s = nestedSubsets(ids, [0.25, 0.5, 1], 3)
    expect(s.map((x) => x.length)).toEqual([10, 20, 40])
    expect(s[1]!.slice(0, 10)).toEqual(s[0])
    expect(s[2]!.slice(0, 20)).toEqual(s[1])
    expect(new Set(s[2]).size).toBe(40)
    expect(nestedSubsets(ids, [0.25, 0.5, 1], 3)).toEqual(s)
    expect(nestedSubsets(ids, [0.25], 4)[0]).not.toEqual(s[0])
  })

  it('train-curve (CLI, --json): one recorded run per fraction on growing nested subsets, scored on dev; the whole set overfits', async () => {
    const file = copy('curve.sqlite')
    const cfg = join(dir, 'tiny.json')
    // dev holds the same 8 tiny titles as train: enough epochs overfit them (dev F1 → 1).
    writeFileSync(cfg, JSON.stringify({ model: TINY_OVERRIDES.model, batchSize: 4, learningRate: 0.02, patience: 0 }))
    const r = await runCli(['train-curve', file, '--model', 'bilstm', '--data', 'all', '--fractions', '0.5,1', '--epochs', '30', '--config', cfg, '--json'])
    expect(r.stderr + r.stdout).not.toMatch(/Error/)
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as { points: { fraction: number; titles: number; runId: number; dev: { f1: number } }[] }
    expect(out.points.map((x) => [x.fraction, x.titles])).toEqual([
      [0.5, 8],
      [1, 16],
    ])
    const p = Project.open(file, { readonly: true })
    try {
      const runs = p.listRuns().filter((x) => (x.config.experiment as { kind?: string } | undefined)?.kind === 'curve')
      expect(runs.map((x) => x.id).sort()).toEqual(out.points.map((x) => x.runId).sort())
      for (const run of runs) expect(run.status).toBe('done')
      expect(runs.map((x) => (x.config.data as { train: number }).train).sort((a, b) => a - b)).toEqual([8, 16])
      // each point is its run's recorded best dev score, and the 16 titles (each tiny title twice) overfit
      for (const x of out.points) expect(x.dev).toEqual(pick((runs.find((run) => run.id === x.runId)!.metrics as { best: unknown }).best))
      expect(out.points[1]!.dev.f1, JSON.stringify(out.points.map((x) => x.dev))).toBeGreaterThan(0.5)
    } finally {
      p.close()
    }
  }, 120_000)
})
