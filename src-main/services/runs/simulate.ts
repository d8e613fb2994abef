// Simulated review loop (`ner-studio simulate`): measures how much review a selection
// strategy saves. The train split starts unreviewed; each round trains a model on what has been
// reviewed, scores it on the test split, picks `batch` more titles by the strategy and "reviews"
// them by replacing their spans with the oracle's gold. Every round is an ordinary recorded run.
//
// Every strategy but random is the Pre-annotate queue itself (runs/evaluation.ts: preannotate, then
// preannotateQueue in the order of that name): one definition of uncertainty, so what is measured
// is what users get.

import { InputError, StudioError } from '../../shared/errors'
import { detectFormat, openReader } from '../../io/readers'
import type { PlainSpan } from '../../shared/tags'
import type { PresetName, TrainingEvent } from '../../shared/training'
import { QUEUE_ORDERS } from '../../shared/runs'
import { preannotate, preannotateQueue } from './evaluation'
import type { Project } from '../project/project'
import { shuffled, type DataSelection } from './records'
import { evaluateRun } from './evaluate'
import { startTraining, type ConfigOverrides } from './training'
import { UntaggableTypesError } from './warm-start'

export const STRATEGIES = [...QUEUE_ORDERS, 'random'] as const
export type Strategy = (typeof STRATEGIES)[number]

export interface SimulateRequest {
  oracle: string
  strategy: Strategy
  preset: PresetName
  start?: number
  batch?: number
  rounds?: number
  overrides?: ConfigOverrides
  /** What each round trains on: 'reviewed' (default) or 'all' (also the weak/dictionary spans of unreviewed titles). */
  data?: DataSelection['titles']
  seed?: number
  backend?: 'tensorflow' | 'wasm' | 'cpu'
  /**
   * Warm rounds: every round after the first continues the previous round's model (a warm start,
   * warm-start.ts) for this many epochs instead of training from scratch. Absent: from scratch.
   */
  warmEpochs?: number
}

export interface SimulateRound {
  round: number
  runId: number
  /** The run this round continued from (warm rounds), or null (trained from scratch). */
  from: number | null
  reviewed: number
  share: number
  test: { precision: number; recall: number; f1: number }
  /** The whole round: training, scoring on test and picking the next batch. */
  seconds: number
  trainSeconds: number
  /** Scoring the round's model on the test split. */
  testSeconds: number
  /** Picking the next batch (for the uncertainty strategies: pre-annotating the unreviewed train titles). */
  pickSeconds: number
  /** Titles picked at the end of this round (none after the last). */
  picked: number[]
}

export interface SimulateResult {
  simulation: string
  strategy: Strategy
  trainTitles: number
  /** The first `start` titles, drawn at random with the seed. */
  initial: number[]
  rounds: SimulateRound[]
}

/** Gold spans per train title id, read from the oracle file; every mismatch is an InputError. */
export async function readOracle(p: Project, path: string): Promise<Map<number, PlainSpan[]>> {
  const format = detectFormat(path)
  if (format !== 'conll' && format !== 'jsonl') throw new InputError(path, 0, `the oracle is a CoNLL or JSONL file (this looks like ${format})`)
  // Train titles by text, in id order: duplicates pair up with the oracle's in file order.
  const byText = new Map<string, number[]>()
  const train = p.db.prepare("SELECT id, text FROM titles WHERE split = 'train' ORDER BY id").all() as { id: number; text: string }[]
  if (!train.length) throw new StudioError('bad_request', 'the project has no train titles to simulate a review of')
  for (const t of train) {
    const ids = byText.get(t.text)
    if (ids) ids.push(t.id)
    else byText.set(t.text, [t.id])
  }
  const gold = new Map<number, PlainSpan[]>()
  for await (const t of openReader(path, format).titles) {
    const id = byText.get(t.text)?.shift()
    if (id === undefined) {
      const [file, line] = splitSource(t.source, path)
      throw new InputError(file, line, `title "${short(t.text)}" is not (or not that many times) in the project's train split`)
    }
    gold.set(id, t.spans)
  }
  const missing = train.filter((t) => !gold.has(t.id))
  if (missing.length) throw new InputError(path, 0, `${missing.length} train titles of the project are not in the oracle, e.g. "${short(missing[0]!.text)}"`)
  return gold
}

const short = (s: string): string => (Array.from(s).length > 40 ? `${Array.from(s).slice(0, 40).join('')}…` : s)
function splitSource(source: string, fallback: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(source)
  return m ? [m[1]!, Number(m[2])] : [fallback, 0]
}

/** Train titles back to unreviewed, without gold or model spans (weak and dictionary spans stay). */
function resetTrain(p: Project): void {
  p.db.transaction(() => {
    p.db.prepare("DELETE FROM spans WHERE origin IN ('gold', 'model') AND title_id IN (SELECT id FROM titles WHERE split = 'train')").run()
    p.db.prepare("UPDATE titles SET status = 'unreviewed' WHERE split = 'train'").run()
  })()
}

/** "Review" titles: their spans become exactly the oracle's gold, and they are marked reviewed. */
export function reviewFromOracle(p: Project, ids: readonly number[], gold: ReadonlyMap<number, PlainSpan[]>): void {
  const typeId = p.typeIds()
  p.db.transaction(() => {
    const del = p.db.prepare('DELETE FROM spans WHERE title_id = ?')
    const ins = p.db.prepare("INSERT INTO spans (title_id, start, end, type_id, origin, created_at) VALUES (?, ?, ?, ?, 'gold', ?)")
    const mark = p.db.prepare("UPDATE titles SET status = 'reviewed' WHERE id = ?")
    const now = Date.now()
    for (const id of ids) {
      del.run(id)
      for (const s of gold.get(id) ?? []) ins.run(id, s.start, s.end, typeId(s.type), now)
      mark.run(id)
    }
  })()
}

function unreviewedTrain(p: Project): number[] {
  return (p.db.prepare("SELECT id FROM titles WHERE split = 'train' AND status = 'unreviewed' ORDER BY id").all() as { id: number }[]).map((r) => r.id)
}

/**
 * The next `batch` titles by the strategy. Every strategy but random: the run pre-annotates the
 * unreviewed train titles and the Pre-annotate queue orders them (least-confident: titles the model
 * gives no span are not in its queue; entropy, sequence, mnlp: every title is); titles not in the
 * queue fill up a short batch in seeded random order.
 */
export async function pickBatch(p: Project, strategy: Strategy, runId: number, batch: number, seed: number): Promise<number[]> {
  const pool = unreviewedTrain(p)
  const random = shuffled(pool, seed)
  if (strategy === 'random') return random.slice(0, batch)
  await preannotate(p, { runId, split: 'train' })
  const picked: number[] = []
  for (let offset = 0; picked.length < batch; ) {
    const q = preannotateQueue(p.db, { runId, order: strategy, limit: Math.min(1000, batch - picked.length), offset })
    if (!q.items.length) break
    picked.push(...q.items.map((i) => i.id))
    offset += q.items.length
  }
  const taken = new Set(picked)
  for (const id of random) {
    if (picked.length >= batch) break
    if (!taken.has(id)) picked.push(id)
  }
  return picked
}

export async function simulate(
  p: Project,
  req: SimulateRequest,
  onRound: (r: SimulateRound) => void = () => {},
  onEvent: (runId: number, e: TrainingEvent) => void = () => {},
): Promise<SimulateResult> {
  if (!(STRATEGIES as readonly string[]).includes(req.strategy)) throw new StudioError('bad_request', `unknown strategy "${req.strategy}" (${STRATEGIES.join(', ')})`)
  const seed = req.seed ?? 42
  const batch = req.batch ?? 200
  const rounds = req.rounds ?? 10
  const data = req.data ?? 'reviewed'
  const testTitles = (p.db.prepare("SELECT count(*) AS n FROM titles WHERE split = 'test'").get() as { n: number }).n
  if (!testTitles) throw new StudioError('bad_request', 'the project has no test titles: each round is scored on the test split')
  // The oracle is checked whole before anything changes.
  const gold = await readOracle(p, req.oracle)
  const trainTitles = gold.size
  const start = Math.min(req.start ?? batch, trainTitles)
  resetTrain(p)
  const simulation = `sim-${Date.now().toString(36)}`
  const initial = shuffled(unreviewedTrain(p), seed).slice(0, start)
  reviewFromOracle(p, initial, gold)
  let reviewed = initial.length
  const out: SimulateRound[] = []
  let prev: number | null = null
  for (let round = 1; round <= rounds; round++) {
    const t0 = performance.now()
    const launch = (from: number | null) =>
      startTraining(
        p.db,
        {
          preset: req.preset,
          overrides: { ...req.overrides, seed, ...(from !== null ? { epochs: req.warmEpochs } : {}) },
          data: { titles: data, seed },
          ...(req.backend ? { backend: req.backend } : {}),
          ...(from !== null ? { from } : {}),
          experiment: { kind: 'simulate', id: simulation, strategy: req.strategy, round, reviewed },
        },
        onEvent,
      )
    let from = req.warmEpochs !== undefined ? prev : null
    let run: ReturnType<typeof startTraining>
    try {
      run = launch(from)
    } catch (e) {
      // the newly reviewed titles hold a type the previous model cannot tag: this round starts afresh
      if (from === null || !(e instanceof UntaggableTypesError)) throw e
      run = launch((from = null))
    }
    const r = await run.done
    if (r.outcome.kind !== 'done') throw new StudioError('internal', `round ${round}: run ${r.runId} ${r.outcome.kind === 'error' ? `failed: ${r.outcome.message}` : r.outcome.kind}`)
    const trainSeconds = (performance.now() - t0) / 1000
    const micro = (await evaluateRun(p.db, r.runId, 'test')).report.micro
    const t1 = performance.now()
    const last = round === rounds || reviewed >= trainTitles
    const picked = last ? [] : await pickBatch(p, req.strategy, r.runId, batch, seed + round)
    const t2 = performance.now()
    prev = r.runId
    const rec: SimulateRound = {
      round,
      runId: r.runId,
      from,
      reviewed,
      share: reviewed / trainTitles,
      test: { precision: micro.precision, recall: micro.recall, f1: micro.f1 },
      seconds: (performance.now() - t0) / 1000,
      trainSeconds,
      testSeconds: (t1 - t0) / 1000 - trainSeconds,
      pickSeconds: (t2 - t1) / 1000,
      picked,
    }
    out.push(rec)
    onRound(rec)
    if (last) break
    reviewFromOracle(p, picked, gold)
    reviewed += picked.length
  }
  return { simulation, strategy: req.strategy, trainTitles, initial, rounds: out }
}
