// Learning curve (`ner-studio train-curve`): train on growing, NESTED random subsets of
// the train split and score each on dev, to see whether more reviewed titles would still help.
// Every point is an ordinary run (recorded, with its checkpoint) tagged with the curve it belongs to.

import { curveReading, type CurveExperiment, type CurveReading } from '../../shared/curve'
import { StudioError } from '../../shared/errors'
import type { PresetName, TrainingEvent } from '../../shared/training'
import type { DB } from '../../store/db'
import { selectExamples, shuffled, type DataSelection } from './records'
import { startTraining, type ConfigOverrides } from './training'

export interface CurveRequest {
  preset: PresetName
  fractions?: readonly number[]
  overrides?: ConfigOverrides
  /** 'reviewed' (default): reviewed titles only; 'all': gold, weak and dictionary spans. */
  data?: DataSelection['titles']
  seed?: number
  backend?: 'tensorflow' | 'wasm' | 'cpu'
}

export interface CurvePoint {
  fraction: number
  titles: number
  runId: number
  status: string
  dev: { precision: number; recall: number; f1: number } | null
  seconds: number
}

export interface CurveResult {
  curve: string
  points: CurvePoint[]
  /** shared/curve.ts: "rising" when the last step still gained ≥ 1 F1 point, else "flat". */
  reading: CurveReading | null
}

export const DEFAULT_FRACTIONS = [0.25, 0.5, 0.75, 1] as const

export function checkFractions(fractions: readonly number[]): number[] {
  const fs = [...fractions]
  if (!fs.length) throw new StudioError('bad_request', 'give at least one fraction')
  for (const f of fs) if (!(f > 0 && f <= 1)) throw new StudioError('bad_request', `a fraction must be in (0, 1], got ${f}`)
  for (let i = 1; i < fs.length; i++) if (!(fs[i]! > fs[i - 1]!)) throw new StudioError('bad_request', 'fractions must increase')
  return fs
}

/** The nested subsets: one seeded shuffle of the titles, each fraction takes a prefix of it. */
export function nestedSubsets(ids: readonly number[], fractions: readonly number[], seed: number): number[][] {
  const order = shuffled(ids, seed)
  return fractions.map((f) => order.slice(0, Math.max(1, Math.round(f * order.length))))
}

export async function trainCurve(
  db: DB,
  req: CurveRequest,
  onPoint: (p: CurvePoint) => void = () => {},
  onEvent: (runId: number, e: TrainingEvent) => void = () => {},
): Promise<CurveResult> {
  const fractions = checkFractions(req.fractions ?? DEFAULT_FRACTIONS)
  const titles = req.data ?? 'reviewed'
  const seed = req.seed ?? 42
  const ids = selectExamples(db, 'train', titles).map((e) => e.id)
  if (!ids.length) throw new StudioError('bad_request', `no training titles: split "train" has no ${titles === 'reviewed' ? 'reviewed ' : ''}titles`)
  const curve = `curve-${Date.now().toString(36)}`
  const points: CurvePoint[] = []
  const subsets = nestedSubsets(ids, fractions, seed)
  for (const [i, subset] of subsets.entries()) {
    const t0 = performance.now()
    const run = startTraining(
      db,
      {
        preset: req.preset,
        overrides: { ...req.overrides, seed },
        data: { titles, trainIds: subset, seed },
        ...(req.backend ? { backend: req.backend } : {}),
        experiment: { kind: 'curve', id: curve, fraction: fractions[i]!, titles: subset.length } satisfies CurveExperiment,
      },
      onEvent,
    )
    const r = await run.done
    const status = r.outcome.kind === 'done' ? 'done' : r.outcome.kind === 'cancelled' ? 'cancelled' : 'failed'
    const p: CurvePoint = { fraction: fractions[i]!, titles: subset.length, runId: r.runId, status, dev: r.dev, seconds: (performance.now() - t0) / 1000 }
    points.push(p)
    onPoint(p)
    if (status !== 'done') throw new StudioError('internal', `run ${r.runId} (fraction ${p.fraction}) ${status}: the curve stops here`)
  }
  return { curve, points, reading: curveReading(points.map((p) => p.dev?.f1 ?? 0)) }
}
