/**
 * F1 on the public sets, our engine vs the PyTorch reference (../shared/reference), same splits
 * (bench/lib/public-sets.ts), same epochs, best epoch on dev, scored on test (entity-level exact
 * match, micro) — as the reference reports `best_test`.
 *
 *   npm run bench quality -- --set ding|ding-dict|seed|gaiic --presets bilstm-crf,auto [--epochs 5]
 *        [--ref softmax,crf,…] [--config '{"…": …}'] [--label name] [--seed 1] [--workers 1] [--dict-confidence dev [--dict-min-precision P]]
 *
 * Each run appends one JSON line (set, model, label, epochs, P/R/F1, seconds, command, date) to
 * bench/results/quality-runs.jsonl, and bench/results/quality-table.md is rebuilt from all lines.
 * `--ref` runs the reference's models (its names) on the same set in the same invocation, one
 * thread (`OPENBLAS_NUM_THREADS=1 --threads 1`), after ours. `--workers N` trains ours data-parallel
 * on N processes (trainer/workers.ts, as `ner-studio train --workers N`) and tags self-training's pool
 * on N prediction processes (trainer/predict-workers.ts); default 1.
 * ding-dict is a project with the seven gazetteers imported: they are the lexicon's words and count as
 * `dictionaryTerms` for auto; `--dict-confidence dev` gives each dictionary span its dictionary's
 * precision on the dev gold titles (bench/lib/public-sets.ts); `--dict-min-precision P` instead leaves
 * out the spans of the dictionaries below P there and keeps the others certain.
 */
import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, readFileSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { initBackend, type BackendName } from '../src-main/ml/backend'
import { evaluate } from '../src-main/ml/eval'
import { presetConfig } from '../src-main/ml/models/presets'
import * as tf from '@tensorflow/tfjs'
import { autoConfig, factsOf } from '../src-main/ml/models/auto'
import { learnTitleEmbeddings } from '../src-main/ml/embeddings'
import { EMBEDDING_SEED } from '../src-main/services/runs/model-parts'
import { predict } from '../src-main/ml/predict'
import { trainRecipe } from '../src-main/ml/train/recipe'
import { parallelTrainer } from '../src-main/trainer/workers'
import { poolTagger } from '../src-main/trainer/predict-workers'
import type { PresetName, TrainConfig } from '../src-main/shared/training'
import { benchCommand, machineLine, mdTable, writeResults } from './lib/report'
import { dataDir, loadPublicSet, SET_NAMES, type SetName } from './lib/public-sets'
import { ensureTorch } from './lib/reference'

const args = process.argv.slice(2)
function opt(name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def
}
const repoRoot = path.resolve(__dirname, '..')
const RUNS = path.join(repoRoot, 'bench', 'results', 'quality-runs.jsonl')
const TABLE = path.join(repoRoot, 'bench', 'results', 'quality-table.md')

interface Row {
  set: SetName
  engine: 'ours' | 'reference'
  model: string
  label: string
  epochs: number
  bestEpoch: number
  P: number
  R: number
  F1: number
  devF1: number
  seconds: number
  /** Training processes (data-parallel); absent = 1. */
  workers?: number
  recipe?: string[]
  selfTraining?: unknown
  /** With `tuneDecodeBias` (auto): the O bias chosen on dev; devF1 is then the dev F1 at it. */
  decodeBias?: unknown
  dictPrecision?: Record<string, number>
  command: string
  date: string
  machine: string
  load: string
}

function record(row: Row): void {
  appendFileSync(RUNS, JSON.stringify(row) + '\n')
  console.log(`${row.set} ${row.engine} ${row.label}: test F1 ${(row.F1 * 100).toFixed(2)} (dev ${(row.devF1 * 100).toFixed(2)}, best epoch ${row.bestEpoch}) in ${row.seconds.toFixed(0)} s`)
  rebuildTable()
}

function rebuildTable(): void {
  const rows = readFileSync(RUNS, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row)
  const lines = [
    '# Every quality run (bench/quality.ts), newest last',
    '',
    `Raw lines: bench/results/quality-runs.jsonl. Test F1 at the best dev epoch (entity exact match, micro), as the reference's best_test. Machine shared with other engineers' jobs (load = 1-min load average at the end).`,
    '',
    ...mdTable(
      ['set', 'engine', 'model / label', 'epochs', 'best', 'P', 'R', 'F1', 'dev F1', 's', 'load', 'date'],
      'lllrrrrrrrrl',
      rows.map((r) => [r.set, r.engine, r.label, r.epochs, r.bestEpoch, pc(r.P), pc(r.R), pc(r.F1), pc(r.devF1), r.seconds.toFixed(0), r.load, r.date.slice(0, 16)]),
    ),
    '',
  ]
  writeResults(TABLE, lines.join('\n'))
}
const pc = (x: number): string => (x * 100).toFixed(2)

async function main(): Promise<void> {
  const set = opt('set', 'ding') as SetName
  if (!SET_NAMES.includes(set)) throw new Error(`--set must be one of ${SET_NAMES.join(', ')}`)
  const data = dataDir()
  if (!data) {
    console.error('needs ../shared/data (not found)')
    process.exit(2)
  }
  const epochs = Number(opt('epochs', '5'))
  const seed = Number(opt('seed', '1'))
  const refs = opt('ref', '').split(',').filter(Boolean)
  const overrides = JSON.parse(opt('config', '{}')) as Parameters<typeof presetConfig>[1]
  const dictConfidence = opt('dict-confidence', '')
  if (dictConfidence && (dictConfidence !== 'dev' || set !== 'ding-dict')) throw new Error('--dict-confidence dev is for --set ding-dict')
  const minPrecision = opt('dict-min-precision', '')
  if (minPrecision && !dictConfidence) throw new Error('--dict-min-precision needs --dict-confidence dev')
  const ps = await loadPublicSet(set, data, dictConfidence ? { dictConfidence: 'dev', ...(minPrecision ? { minPrecision: Number(minPrecision) } : {}) } : {})
  console.log(`${set}: ${ps.train.length} train / ${ps.dev.length} dev / ${ps.test.length} test titles`)
  const backend = await initBackend(opt('backend', 'wasm') as BackendName)
  const command = benchCommand('quality')
  const presets = opt('presets', '').split(',').filter(Boolean) as PresetName[]
  const workers = Number(opt('workers', '1'))
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a whole number ≥ 1')
  // tensors alive and the wasm heap's size: flat from epoch to epoch when nothing leaks
  const memoryLine = (): string => {
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength
    return `${tf.memory().numTensors} tensors${heap ? `, wasm heap ${(heap / 2 ** 20).toFixed(0)} MiB` : ''}`
  }
  for (const preset of presets) {
    // BENCH_MEMTRACE=1: the trainer reports every 25th step, and the log prints the memory there
    const top = { epochs, seed, patience: epochs, logEvery: process.env.BENCH_MEMTRACE ? 25 : 0, workers }
    // auto's facts as the studio computes them (ding-dict: the gazetteers are imported dictionaries)
    const facts = { ...factsOf(ps.train, ps.unlabelled.length), dictionaryTerms: ps.lexicon?.length ?? 0 }
    const config: TrainConfig = preset === 'auto' ? autoConfig(facts, { ...top, ...overrides }) : presetConfig(preset, { ...top, ...overrides })
    const t0 = Date.now()
    // title embeddings learnt, as the trainer does, from the text of every title of the set (no labels read)
    const pretrained = config.model.pretrainedEmbeddings
      ? learnTitleEmbeddings([...ps.train, ...ps.dev, ...ps.test].map((e) => e.text).concat(ps.unlabelled), {
          dim: config.model.charEmbedding,
          bigramDim: config.model.bigramEmbedding ?? 0,
          seed: EMBEDDING_SEED,
        })
      : null
    if (pretrained) console.log(`  title embeddings learnt in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
    const r = await trainRecipe(config, ps.train, ps.dev, { backend: backend.name, unlabelled: ps.unlabelled, pretrained, lexicon: ps.lexicon ?? null,
      // data-parallel helpers and the pool's prediction processes exactly as the trainer process starts them (trainer/entry.ts)
      parallel: parallelTrainer(backend.name),
      tagPool: poolTagger(workers, backend.name),
      onEvent: (e) => {
        if (e.kind === 'eval') console.log(`  epoch ${e.epoch} dev F1 ${(e.dev.f1 * 100).toFixed(2)} (at ${((Date.now() - t0) / 1000).toFixed(0)} s; ${memoryLine()})`)
        else if (e.kind === 'batch') console.log(`    step ${e.step}: ${memoryLine()}`)
      } })
    const seconds = (Date.now() - t0) / 1000
    if (r.decodeBias) console.log(`  decode bias ${r.decodeBias.bias} (dev F1 ${(r.decodeBias.devF1Before * 100).toFixed(2)} → ${(r.decodeBias.devF1 * 100).toFixed(2)}, ${r.decodeBias.seconds} s)`)
    const preds = await predict(r.model, ps.test)
    const rep = evaluate(
      ps.test.map((e) => e.spans),
      preds.map((p) => p.spans),
    )
    r.model.dispose()
    record({
      set,
      engine: 'ours',
      model: preset,
      label: opt('label', preset),
      epochs,
      bestEpoch: r.bestEpoch,
      P: rep.micro.precision,
      R: rep.micro.recall,
      F1: rep.micro.f1,
      devF1: r.bestDev?.micro.f1 ?? 0,
      seconds,
      ...(workers > 1 ? { workers } : {}),
      ...(config.recipe ? { recipe: config.recipe.parts.map((p) => p.label) } : {}),
      ...(r.selfTraining ? { selfTraining: r.selfTraining } : {}),
      ...(r.decodeBias ? { decodeBias: r.decodeBias } : {}),
      ...(ps.dictPrecision ? { dictPrecision: ps.dictPrecision } : {}),
      command,
      date: new Date().toISOString(),
      machine: `${machineLine()}, backend ${backend.name}`,
      load: os.loadavg()[0]!.toFixed(2),
    })
  }
  const refDir = path.resolve(data, '..', 'reference')
  // the reference needs PyTorch: Debian's python3-torch, installed here when absent (as bench train does)
  if (refs.length && !ensureTorch()) throw new Error('the reference needs PyTorch: apt-get install python3-torch')
  for (const m of refs) {
    if (set === 'ding-dict') throw new Error('the reference reads gold labels only: no --ref on ding-dict')
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'qref-')), 'r.json')
    const t0 = Date.now()
    const p = spawnSync('/usr/bin/python3', [path.join(refDir, 'torch_ner.py'), '--dataset', ps.refDataset, '--model', m, '--epochs', String(epochs), '--seed', String(seed), '--out', out], {
      stdio: 'inherit',
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    })
    if (p.status !== 0 || !existsSync(out)) throw new Error(`reference ${m} failed (exit ${p.status})`)
    const j = JSON.parse(readFileSync(out, 'utf8')) as { best_epoch: number; best_test: { P: number; R: number; F1: number }; best_dev: { F1: number } }
    record({
      set,
      engine: 'reference',
      model: m,
      label: `ref ${m}`,
      epochs,
      bestEpoch: j.best_epoch,
      P: j.best_test.P,
      R: j.best_test.R,
      F1: j.best_test.F1,
      devF1: j.best_dev.F1,
      seconds: (Date.now() - t0) / 1000,
      command,
      date: new Date().toISOString(),
      machine: `${machineLine()}, torch 1 thread`,
      load: os.loadavg()[0]!.toFixed(2),
    })
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e)
  process.exit(1)
})
