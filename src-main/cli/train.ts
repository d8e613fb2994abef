// `ner-studio train | evaluate | predict | presets` — the engine from the command line, over the
// same services the studio uses (services/training.ts).

import { existsSync, statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { initBackend } from '../ml/backend'
import { isBertPreset, listPresets } from '../ml/models/presets'
import type { TitlePrediction } from '../ml/predict'
import { openPredictor, resolvePredictWorkers } from '../trainer/predict-workers'
import { helpersExited } from '../trainer/predict-workers'
import { readLines } from '../io/lines'
import { writeAttributesCsv, type ExportTitle } from '../io/writers'
import { StudioError } from '../shared/errors'
import { splitTag } from '../shared/tags'
import { parseWords } from '../shared/text'
import { AUTO_PRESET, PRESET_NAMES, type PresetName, type TrainingEvent } from '../shared/training'
import { SPLITS, type Split } from '../shared/types'
import { openDatabase } from '../store/db'
import { Project } from '../services/project/project'
import { evaluateRun } from '../services/runs/evaluate'
import { checkBertFolder, runCheckpoint, startTraining, type ConfigOverrides } from '../services/runs/training'
import { ProgressBar } from './progress'

export class UsageError extends Error {}

/** An integer flag ≥ min, or undefined when absent. */
export const int = (v: string | undefined, what: string, min = 1): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${what} must be an integer ≥ ${min}, got "${v}"`)
  return n
}
/** A fraction as a percentage with two decimals. */
export const pct = (x: number): string => (x * 100).toFixed(2)

export function cmdPresets(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, bert: { type: 'string' } } })
  // with --bert the folder is validated and the BERT presets are listed as available
  const bert = values.bert !== undefined ? checkBertFolder(values.bert) : null
  const presets = listPresets({ bert: !!bert })
  if (values.json) return void console.log(JSON.stringify(bert ? { bert, presets } : presets, null, 2))
  if (bert) {
    console.log(
      `BERT folder ${bert.dir} (${bert.layout === 'hf' ? 'Hugging Face' : 'Google'} layout): ${bert.layers} layers, hidden ${bert.hidden}, ${bert.heads} heads, ` +
        `${bert.maxPositions} positions, vocabulary ${bert.vocab}, ${bert.parameters.toLocaleString('en')} parameters`,
    )
  }
  for (const p of presets) {
    console.log(`${p.name.padEnd(28)} ${p.available ? '' : '(needs --bert <folder>) '}${p.description}`)
  }
}

export async function cmdTrain(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      'batch-size': { type: 'string' },
      patience: { type: 'string' },
      data: { type: 'string' },
      backend: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
      bert: { type: 'string' },
      'encoder-lr': { type: 'string' },
      'freeze-layers': { type: 'string' },
      'freeze-embeddings': { type: 'boolean' },
      accumulate: { type: 'string' },
      workers: { type: 'string' },
      'from-run': { type: 'string' },
    },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('train needs <project.sqlite>')
  if (!values.model) throw new UsageError(`train needs --model (${AUTO_PRESET}, ${PRESET_NAMES.join(', ')})`)
  if (!(PRESET_NAMES as readonly string[]).includes(values.model) && values.model !== AUTO_PRESET) {
    throw new UsageError(`--model must be one of ${AUTO_PRESET}, ${PRESET_NAMES.join(', ')} (got "${values.model}")`)
  }
  const data = values.data ?? 'all'
  if (data !== 'all' && data !== 'reviewed') throw new UsageError('--data must be all or reviewed')
  const backend = values.backend
  if (backend !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(backend)) throw new UsageError('--backend must be tensorflow, wasm or cpu')
  let overrides: NonNullable<ConfigOverrides> = {}
  if (values.config) {
    try {
      overrides = JSON.parse((await import('node:fs')).readFileSync(values.config, 'utf8')) as NonNullable<ConfigOverrides>
    } catch (e) {
      throw new StudioError('bad_request', `${values.config}: not a JSON config (${(e as Error).message})`)
    }
  }
  const epochs = int(values.epochs, 'epochs')
  const seed = int(values.seed, 'seed', 0)
  const batchSize = int(values['batch-size'], 'batch-size')
  const patience = int(values.patience, 'patience', 0)
  const freezeLayers = int(values['freeze-layers'], 'freeze-layers', 0)
  const accumulateSteps = int(values.accumulate, 'accumulate')
  const workers = int(values.workers, 'workers')
  const from = int(values['from-run'], 'from-run')
  let encoderLearningRate: number | undefined
  if (values['encoder-lr'] !== undefined) {
    encoderLearningRate = Number(values['encoder-lr'])
    if (!(encoderLearningRate > 0)) throw new UsageError(`--encoder-lr must be a number > 0, got "${values['encoder-lr']}"`)
  }
  const bertModel = isBertPreset(values.model)
  const freezeEmbeddings = values['freeze-embeddings']
  if (!bertModel && (values.bert !== undefined || freezeLayers !== undefined || freezeEmbeddings !== undefined || encoderLearningRate !== undefined)) {
    throw new UsageError(`--bert, --freeze-layers, --freeze-embeddings and --encoder-lr are for the BERT models, not "${values.model}"`)
  }
  if (bertModel && !values.bert) throw new UsageError(`--model ${values.model} fine-tunes a pre-trained BERT: give its folder with --bert <folder>`)
  if (freezeLayers !== undefined || freezeEmbeddings !== undefined) {
    const m = (overrides?.model ?? {}) as NonNullable<NonNullable<ConfigOverrides>['model']>
    overrides = {
      ...overrides,
      model: { ...m, bert: { ...m.bert, ...(freezeLayers !== undefined ? { freezeLayers } : {}), ...(freezeEmbeddings ? { freezeEmbeddings: true } : {}) } },
    }
  }
  overrides = {
    ...(encoderLearningRate !== undefined ? { encoderLearningRate } : {}),
    ...(accumulateSteps !== undefined ? { accumulateSteps } : {}),
    ...overrides,
    ...(workers !== undefined ? { workers } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(patience !== undefined ? { patience } : {}),
  }

  const project = Project.open(path)
  const bar = new ProgressBar('train')
  const tty = process.stderr.isTTY === true
  const log = (s: string): void => {
    if (tty) bar.end()
    process.stderr.write(`${s}\n`)
  }
  let steps = 0
  let epochsTotal = 0
  let note: string | null = null
  const onEvent = (runId: number, e: TrainingEvent): void => {
    switch (e.kind) {
      case 'started':
        steps = e.stepsPerEpoch
        epochsTotal = e.epochs
        log(
          `run ${runId}: ${e.preset} on ${e.trainExamples} titles (dev ${e.devExamples}), ${e.labels} labels, ${e.parameters.toLocaleString('en')} parameters` +
            (e.trainableParameters !== undefined && e.trainableParameters !== e.parameters ? ` (${e.trainableParameters.toLocaleString('en')} trainable)` : '') +
            `, backend ${e.backend}` +
            (e.workers !== undefined ? `, ${e.workers} worker${e.workers === 1 ? '' : 's'}` : ''),
        )
        if (e.warning) log(`note: ${(note = e.warning)}`)
        break
      case 'batch':
        bar.update((e.epoch - 1) * steps + e.batch, steps * epochsTotal, `epoch ${e.epoch} loss ${e.loss.toFixed(3)} ${Math.round(e.charsPerSec)} chars/s ETA ${Math.round(e.etaSec)} s`)
        break
      case 'epoch':
        log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, ${Math.round(e.charsPerSec)} chars/s, ${e.seconds.toFixed(1)} s`)
        break
      case 'eval':
        log(`epoch ${e.epoch}: dev P/R/F1 ${pct(e.dev.precision)} / ${pct(e.dev.recall)} / ${pct(e.dev.f1)}${e.best ? ' (best)' : ''}`)
        break
      case 'error':
        log(`error: ${e.message}`)
        break
      default:
        break
    }
  }
  const run = startTraining(
    project.db,
    { preset: values.model as PresetName, overrides, data: { titles: data }, ...(backend ? { backend: backend as 'wasm' } : {}), ...(values.bert ? { bert: values.bert } : {}), ...(from !== undefined ? { from } : {}) },
    onEvent,
  )
  // auto: say which parts the project's data called for (the run's config records them)
  const recipe = (project.listRuns().find((x) => x.id === run.runId)?.config as { recipe?: { parts: { label: string }[] } } | undefined)?.recipe
  if (recipe) log(`run ${run.runId}: auto = ${recipe.parts.map((p) => p.label).join(' + ')}`)
  const stop = (): void => {
    log('cancelling at the next batch …')
    run.cancel()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const r = await run.done
    bar.end()
    const rec = project.listRuns().find((x) => x.id === r.runId)!
    if (values.json) {
      console.log(JSON.stringify({ runId: r.runId, status: rec.status, preset: rec.preset, backend: rec.backend, ...(note ? { note } : {}), dev: r.dev, timings: rec.timings, error: rec.error }, null, 2))
    } else if (r.dev) {
      console.log(`run ${r.runId} done: dev P/R/F1 ${pct(r.dev.precision)} / ${pct(r.dev.recall)} / ${pct(r.dev.f1)} (backend ${rec.backend}${note ? ', no GPU' : ''})`)
    } else {
      console.log(`run ${r.runId} ${rec.status}${rec.error ? `: ${rec.error}` : ''}`)
    }
    if (rec.status === 'failed') throw new StudioError('internal', `training failed: ${rec.error ?? 'unknown error'}`)
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    project.close()
  }
}

export async function cmdEvaluate(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { run: { type: 'string' }, split: { type: 'string' }, json: { type: 'boolean' }, workers: { type: 'string' } },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('evaluate needs <project.sqlite>')
  const workers = int(values.workers, 'workers')
  const runId = int(values.run, 'run')
  if (runId === undefined) throw new UsageError('evaluate needs --run <id>')
  const split = (values.split ?? 'test') as Split
  if (!SPLITS.includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}`)
  await initBackend()
  const project = Project.open(path)
  try {
    const bar = new ProgressBar('evaluate')
    const { summary: _summary, ...r } = await evaluateRun(project.db, runId, split, (p) => bar.update(p.done, p.total, `${p.done} titles`), workers !== undefined ? { workers } : {})
    bar.end()
    if (values.json) return void console.log(JSON.stringify(r, null, 2))
    const m = r.report
    console.log(`run ${runId} on split ${split} (${r.titles} titles)`)
    console.log(`  entities  micro P/R/F1 ${pct(m.micro.precision)} / ${pct(m.micro.recall)} / ${pct(m.micro.f1)}   (gold ${m.micro.support}, predicted ${m.micro.predicted}, correct ${m.micro.correct})`)
    console.log(`            macro P/R/F1 ${pct(m.macro.precision)} / ${pct(m.macro.recall)} / ${pct(m.macro.f1)}`)
    console.log(`  boundary  P/R/F1 ${pct(m.boundary.precision)} / ${pct(m.boundary.recall)} / ${pct(m.boundary.f1)};  type accuracy on right boundaries ${pct(m.typeAccuracy)}`)
    console.log(`  study's (type, text) metric P/R/F1 ${pct(m.study.precision)} / ${pct(m.study.recall)} / ${pct(m.study.f1)}`)
    const e = m.errors
    console.log(`  errors: missed ${e.missed}, spurious ${e.spurious}, wrong boundary ${e.wrongBoundary}, wrong type ${e.wrongType}, both wrong ${e.wrongBoth}`)
    const per = Object.entries(m.perType).sort((a, b) => b[1].support - a[1].support)
    console.log('  per type (top 20 by support):   P      R      F1   support')
    for (const [t, s] of per.slice(0, 20)) {
      console.log(`    ${t.padEnd(14)} ${pct(s.precision).padStart(6)} ${pct(s.recall).padStart(6)} ${pct(s.f1).padStart(6)} ${String(s.support).padStart(6)}`)
    }
  } finally {
    project.close()
  }
}

/** Entity types a checkpoint can predict, in vocabulary order. */
function typesOf(vocabs: { labels: string[]; types: string[] | null }): string[] {
  if (vocabs.types) return vocabs.types.filter((t) => t !== 'O' && !t.startsWith('<'))
  const seen = new Set<string>()
  for (const l of vocabs.labels) {
    const { prefix, type } = splitTag(l)
    if (prefix !== '?' && type) seen.add(type)
  }
  return [...seen]
}

export async function cmdPredict(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { run: { type: 'string' }, out: { type: 'string' }, 'batch-size': { type: 'string' }, bom: { type: 'boolean' }, workers: { type: 'string' } },
  })
  const [path, input] = positionals
  if (!path || !input || positionals.length > 2) throw new UsageError('predict needs <project.sqlite> <titles.txt|project.sqlite>')
  const runId = int(values.run, 'run')
  if (runId === undefined) throw new UsageError('predict needs --run <id>')
  if (!values.out) throw new UsageError('predict needs --out <file.csv>')
  const batch = int(values['batch-size'], 'batch-size') ?? 256
  const requested = int(values.workers, 'workers')
  if (!existsSync(input) || statSync(input).isDirectory()) throw new StudioError('not_found', `${input}: no such file`)
  const backend = (await initBackend()).name
  const project = Project.open(path, { readonly: true })
  const ckpt = runCheckpoint(project.db, runId)
  project.close()
  const fromDb = input.endsWith('.sqlite')
  const source = fromDb ? null : readLines(input)
  let total = 0
  if (fromDb) {
    const db = openDatabase(input, { readonly: true })
    total = (db.prepare('SELECT COUNT(*) AS n FROM titles').get() as { n: number }).n
    db.close()
  }
  // the default fills the cores only when the input does (a text file: about 40 bytes a title)
  const workers = resolvePredictWorkers(requested, backend, fromDb ? total : Math.ceil(source!.bytesTotal / 40))
  const predictor = await openPredictor(ckpt, { workers, backend })
  // SIGINT/SIGTERM: helpers stop at once, the pending batch rejects and the output is never written
  const stop = (): void => predictor.close()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const bar = new ProgressBar('predict')
  try {
    // Titles stream in, are tagged a buffer at a time on the workers, and stream out: memory stays bounded.
    async function* titles(): AsyncGenerator<{ id: number; text: string; words?: number[] }> {
      if (fromDb) {
        const db = openDatabase(input!, { readonly: true })
        try {
          let last = 0
          for (;;) {
            const rows = db.prepare('SELECT id, text, words FROM titles WHERE id > ? ORDER BY id LIMIT ?').all(last, batch) as { id: number; text: string; words: string | null }[]
            if (!rows.length) break
            for (const r of rows) yield { id: r.id, text: r.text, ...(r.words ? { words: parseWords(r.words)! } : {}) }
            last = rows[rows.length - 1]!.id
          }
        } finally {
          db.close()
        }
      } else {
        let n = 0
        for await (const { text } of source!.lines) if (text.trim()) yield { id: ++n, text }
      }
    }
    const t0 = performance.now()
    let done = 0
    async function* tagged(): AsyncGenerator<ExportTitle> {
      // two buffers in flight, so the workers have the next one while this one is written
      const inFlight: { buf: { id: number; text: string; words?: number[] }[]; preds: Promise<TitlePrediction[]> }[] = []
      const send = (buf: { id: number; text: string; words?: number[] }[]): void => {
        const preds = predictor.predict(buf, { confidence: false, batchSize: Math.min(batch, 64) })
        preds.catch(() => {})
        inFlight.push({ buf, preds })
      }
      const drain = async function* (): AsyncGenerator<ExportTitle> {
        const { buf, preds } = inFlight.shift()!
        const p = await preds
        for (const [i, t] of buf.entries()) yield { id: t.id, text: t.text, words: null, spans: p[i]!.spans }
        done += buf.length
        const rate = done / ((performance.now() - t0) / 1000)
        if (fromDb) bar.update(done, total, `${done} titles, ${Math.round(rate)}/s`)
        else bar.update(source!.bytesRead(), source!.bytesTotal, `${done} titles, ${Math.round(rate)}/s`)
      }
      let buf: { id: number; text: string; words?: number[] }[] = []
      for await (const t of titles()) {
        buf.push(t)
        if (buf.length < batch * workers) continue
        send(buf)
        buf = []
        if (inFlight.length >= 2) yield* drain()
      }
      if (buf.length) send(buf)
      while (inFlight.length) yield* drain()
    }
    const r = await writeAttributesCsv(values.out, typesOf(ckpt.manifest.vocabs), tagged(), {
      bom: values.bom ?? false,
      // as before, --out is replaced; never the project it reads, nor any SQLite file
      overwrite: true,
      protect: [path, input!],
    })
    bar.end()
    const s = (performance.now() - t0) / 1000
    console.log(`tagged ${r.titles} titles (${r.spans} entities) in ${s.toFixed(1)} s (${Math.round(r.titles / s)} titles/s, ${workers} worker${workers === 1 ? '' : 's'}) → ${values.out}`)
  } finally {
    bar.end()
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    predictor.close()
    await helpersExited(1000) // reap them: a helper outliving us could stay a zombie
  }
}
