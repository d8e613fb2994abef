// `ner-studio train-curve | simulate` — is more annotation worth it?, over the services
// in services/runs/curve.ts and services/runs/simulate.ts.

import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { StudioError } from '../shared/errors'
import { PRESET_NAMES, type PresetName } from '../shared/training'
import { Project } from '../services/project/project'
import { CURVE_READING_TEXT } from '../shared/curve'
import { trainCurve } from '../services/runs/curve'
import { simulate, STRATEGIES, type Strategy } from '../services/runs/simulate'
import type { ConfigOverrides } from '../services/runs/training'
import { UsageError, int, pct } from './train'

const COMMON = {
  model: { type: 'string' },
  epochs: { type: 'string' },
  seed: { type: 'string' },
  patience: { type: 'string' },
  data: { type: 'string' },
  backend: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
} as const


interface Common {
  model?: string
  epochs?: string
  seed?: string
  patience?: string
  data?: string
  backend?: string
  config?: string
}

function common(cmd: string, v: Common, defaultPatienceToEpochs: boolean) {
  if (!v.model || !(PRESET_NAMES as readonly string[]).includes(v.model)) throw new UsageError(`${cmd} needs --model (${PRESET_NAMES.join(', ')})`)
  const data = v.data ?? 'reviewed'
  if (data !== 'all' && data !== 'reviewed') throw new UsageError('--data must be reviewed or all')
  if (v.backend !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(v.backend)) throw new UsageError('--backend must be tensorflow, wasm or cpu')
  let overrides: NonNullable<ConfigOverrides> = {}
  if (v.config) {
    try {
      overrides = JSON.parse(readFileSync(v.config, 'utf8')) as NonNullable<ConfigOverrides>
    } catch (e) {
      throw new StudioError('bad_request', `${v.config}: not a JSON config (${(e as Error).message})`)
    }
  }
  const epochs = int(v.epochs, 'epochs') ?? overrides.epochs
  const patience = int(v.patience, 'patience', 0) ?? (defaultPatienceToEpochs && epochs !== undefined ? epochs : undefined)
  overrides = { ...overrides, ...(epochs !== undefined ? { epochs } : {}), ...(patience !== undefined ? { patience } : {}) }
  return {
    preset: v.model as PresetName,
    data: data as 'all' | 'reviewed',
    overrides,
    ...(v.backend ? { backend: v.backend as 'wasm' } : {}),
    ...(v.seed !== undefined ? { seed: int(v.seed, 'seed', 0)! } : {}),
  }
}

/** `train-curve <project> --model M [--fractions 0.25,0.5,0.75,1] [--epochs N] [--seed S] [--data reviewed|all] [--json]` */
export async function cmdTrainCurve(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON, fractions: { type: 'string' } } })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('train-curve needs <project.sqlite>')
  const c = common('train-curve', values, false)
  let fractions: number[] | undefined
  if (values.fractions !== undefined) {
    fractions = values.fractions.split(',').map(Number)
    if (fractions.some((f) => !(f > 0 && f <= 1))) throw new UsageError(`--fractions must be numbers in (0, 1], got "${values.fractions}"`)
  }
  const project = Project.open(path)
  try {
    const r = await trainCurve(project.db, { ...c, ...(fractions ? { fractions } : {}) }, (p) => {
      if (!values.json && p.dev) process.stderr.write(`${p.fraction}: ${p.titles} titles, run ${p.runId}, dev F1 ${pct(p.dev.f1)} (${p.seconds.toFixed(0)} s)\n`)
    })
    if (values.json) return void console.log(JSON.stringify(r, null, 2))
    console.log('fraction  titles   run    P      R      F1')
    for (const p of r.points) {
      const d = p.dev ?? { precision: 0, recall: 0, f1: 0 }
      console.log(`${String(p.fraction).padEnd(8)} ${String(p.titles).padStart(7)} ${String(p.runId).padStart(5)} ${pct(d.precision).padStart(6)} ${pct(d.recall).padStart(6)} ${pct(d.f1).padStart(6)}`)
    }
    if (r.reading) console.log(CURVE_READING_TEXT[r.reading])
  } finally {
    project.close()
  }
}

/** `simulate <project> --oracle <gold file> --strategy S [--start N] [--batch N] [--rounds N] --model M [--epochs N] [--warm-epochs N] [--seed S] [--json]` */
export async function cmdSimulate(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON, oracle: { type: 'string' }, strategy: { type: 'string' }, start: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' }, 'warm-epochs': { type: 'string' } },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('simulate needs <project.sqlite>')
  if (!values.oracle) throw new UsageError('simulate needs --oracle <gold file> (CoNLL or JSONL with the train titles)')
  if (!values.strategy || !(STRATEGIES as readonly string[]).includes(values.strategy)) throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}`)
  const c = common('simulate', values, true)
  const start = int(values.start, 'start')
  const batch = int(values.batch, 'batch')
  const rounds = int(values.rounds, 'rounds')
  const warmEpochs = int(values['warm-epochs'], 'warm-epochs')
  const project = Project.open(path)
  try {
    const r = await simulate(
      project,
      {
        ...c,
        oracle: values.oracle,
        strategy: values.strategy as Strategy,
        ...(start !== undefined ? { start } : {}),
        ...(batch !== undefined ? { batch } : {}),
        ...(rounds !== undefined ? { rounds } : {}),
        ...(warmEpochs !== undefined ? { warmEpochs } : {}),
      },
      (x) => {
        if (!values.json) {
          process.stderr.write(`round ${x.round}: run ${x.runId}${x.from !== null ? ` (from run ${x.from})` : ''}, ${x.reviewed} reviewed (${pct(x.share)} %), test F1 ${pct(x.test.f1)}, ${x.seconds.toFixed(0)} s\n`)
        }
      },
    )
    if (values.json) {
      const rounds = r.rounds.map((x) => ({ reviewed: x.reviewed, share: x.share, test: x.test, seconds: x.seconds, round: x.round, runId: x.runId, from: x.from, trainSeconds: x.trainSeconds }))
      return void console.log(JSON.stringify({ simulation: r.simulation, strategy: r.strategy, trainTitles: r.trainTitles, rounds }, null, 2))
    }
    console.log(`${r.strategy} on ${r.trainTitles} train titles`)
    console.log('round  reviewed  share    P      R      F1     seconds')
    for (const x of r.rounds) {
      console.log(
        `${String(x.round).padStart(5)} ${String(x.reviewed).padStart(9)} ${pct(x.share).padStart(6)} ${pct(x.test.precision).padStart(6)} ${pct(x.test.recall).padStart(6)} ${pct(x.test.f1).padStart(6)} ${x.seconds.toFixed(1).padStart(9)}`,
      )
    }
  } finally {
    project.close()
  }
}
