/**
 * Prediction speed (titles/s) of bilstm and bilstm-crf at 1,001 flat BIO tags, after brief training,
 * at 1 and more workers (the prediction pool, trainer/predict-workers.ts), beside the PyTorch
 * reference's `--infer-speed` run in the same benchmark; then, with `--titles N`, the streaming CLI
 * `predict` over N titles (titles/s and peak RSS of every process).
 *
 *   npm run bench predict [-- --steps 20 --infer 256 --rounds 2 --workers 1,2 --titles 0 --presets bilstm,bilstm-crf --no-ref]
 *        [--dims N] [--results predict.md]
 *
 * Data: ../shared/data/seed-sample/train; like the reference (`--dataset seed`), training batches
 * come from the first 8,000 titles and prediction runs on the last 1,000 (the first `--infer` of
 * them). Each preset trains `--steps` steps (batch 32, Adam 1e-3), then every worker count tags the
 * same titles (batch 64) `--rounds` times, interleaved; for bilstm-crf with and without confidences
 * (the marginals: evaluation and pre-annotation need them, the CSV of `predict` does not). With
 * `--titles N`: N titles sampled (with replacement, seeded) from all seed-sample titles are written
 * to a temp file, the model is stored as a run of a temp project, and `ner-studio predict` tags the
 * file at each worker count; all of it is removed afterwards. `--titles` takes a list (e.g.
 * `20000,1000000`): the same model streams each size, so equal peak memory at 20k and 1M shows that
 * memory is bounded. `--dims N` sets the char embedding and LSTM size (study: 300) — a small model
 * makes a 1,000,000-title stream affordable on 2 cores; its titles/s are then not the study model's.
 * Results: bench/results/predict.md (or `--results <name>`).
 */
import { spawn } from 'node:child_process'
import { appendFileSync, createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { initBackend } from '../src-main/ml/backend'
import { saveCheckpoint, type Checkpoint } from '../src-main/ml/checkpoint'
import { readSeedDir } from '../src-main/ml/data/seed'
import { featurize, makeBatch } from '../src-main/ml/models/features'
import { presetConfig } from '../src-main/ml/models/presets'
import { Tagger } from '../src-main/ml/models/tagger'
import { makeBatches } from '../src-main/ml/train/batching'
import { makeRng } from '../src-main/ml/train/rng'
import { makeOptimizer, trainStep } from '../src-main/ml/train/trainer'
import { Project } from '../src-main/services/project/project'
import { createRun, saveCheckpoint as storeCheckpoint } from '../src-main/services/runs/records'
import type { PresetName } from '../src-main/shared/training'
import { openPredictor, type Predictor } from '../src-main/trainer/predict-workers'
import { FLAT_TAGS, paddedFlatVocabs } from './lib/flat-vocabs'
import { benchCommand, machineLine, mdTable, sharedDir, writeResults } from './lib/report'
import { ensureTorch, runReference, torchVersion } from './lib/reference'
import { childrenOf, peakKb } from '../test/helpers/procs'

const args = process.argv.slice(2)
function opt(name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1]! : def
}
const STEPS = Number(opt('steps', '20'))
const INFER = Number(opt('infer', '256'))
const ROUNDS = Number(opt('rounds', '2'))
const WORKERS = opt('workers', '1,2').split(',').map(Number)
const SIZES = opt('titles', '0').split(',').map(Number).filter((n) => n > 0)
const DIMS = Number(opt('dims', '0'))
const RESULTS = opt('results', 'predict.md')
const PRESETS = opt('presets', 'bilstm,bilstm-crf').split(',') as PresetName[]
const NO_REF = args.includes('--no-ref')

const repoRoot = path.resolve(__dirname, '..')
const dataDir = path.join(sharedDir, 'data', 'seed-sample', 'train')

const loadavg = (): string => os.loadavg().map((x) => x.toFixed(1)).join(' ')
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mib = (kb: number): string => (kb / 1024).toFixed(0)

/** The reference's inference titles/s after `STEPS` training steps (one thread), or null. */
function reference(model: 'crf' | 'softmax'): number | null {
  if (NO_REF) return null
  const args = ['--dataset', 'seed', '--model', model, '--pad-tags', String(FLAT_TAGS), '--threads', '1', '--max-steps', String(STEPS), '--epochs', '1', '--infer-speed']
  const j = runReference<{ infer?: { titles_per_s?: number } }>(args, model)
  return j?.infer?.titles_per_s ?? null
}

/** Peak resident memory of a process so far in kB, 0 when it is gone. */
const peakKbOr0 = (pid: number): number => peakKb(pid) ?? 0

/** The model after `STEPS` training steps, as a checkpoint. */
async function trainBriefly(name: PresetName, data: ReturnType<typeof readSeedDir>): Promise<Checkpoint> {
  const preset = presetConfig(name)
  const config = DIMS > 0 ? { ...preset, model: { ...preset.model, charEmbedding: DIMS, hidden: DIMS } } : preset
  const model = Tagger.build({ config: config.model, vocabs: paddedFlatVocabs(data, name), seed: config.seed })
  const optimizer = makeOptimizer(model, config)
  const train = data.slice(0, data.length - 2000)
  const enc = train.map((e) => featurize(e, model.vocabs, config.maxLength))
  const batches = makeBatches(
    enc.map((e) => e.charIds.length),
    config.batchSize,
    makeRng(1),
    true,
  )
  for (let i = 0; i < STEPS; i++) {
    const loss = trainStep(model, optimizer, makeBatch(batches[i % batches.length]!.map((k) => enc[k]!)), config)
    if (i % 5 === 4 || i === STEPS - 1) console.log(`  ${name} step ${i + 1}: loss ${loss.toFixed(3)}`)
  }
  const ckpt = await saveCheckpoint(model, { config })
  optimizer.dispose()
  model.dispose()
  return ckpt
}

/** `ner-studio predict` over `input` at `workers`: titles/s (wall) and each process's peak RSS. */
async function streamCli(projectPath: string, input: string, out: string, workers: number, titles: number): Promise<{ titlesPerSec: number; peaks: number[] }> {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src-main', 'cli', 'main.ts'), 'predict', projectPath, '--run', '1', input, '--out', out, '--workers', String(workers)], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const peaks = new Map<number, number>()
  const poll = setInterval(() => {
    for (const p of [child.pid!, ...childrenOf(child.pid!)]) peaks.set(p, Math.max(peaks.get(p) ?? 0, peakKbOr0(p)))
  }, 200)
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
  clearInterval(poll)
  const s = (performance.now() - t0) / 1000
  if (code !== 0) throw new Error(`ner-studio predict --workers ${workers} exited with ${code}`)
  let rows = -1 // the header line; counted streaming, as the CSV of a million titles is large
  for await (const chunk of createReadStream(out)) for (const b of chunk as Buffer) if (b === 10) rows++
  if (rows !== titles) throw new Error(`ner-studio predict wrote ${rows} rows for ${titles} titles`)
  rmSync(out, { force: true })
  return { titlesPerSec: titles / s, peaks: [...peaks.values()] }
}

async function main(): Promise<void> {
  if (!existsSync(path.join(dataDir, 'input.seq.char'))) {
    console.error(`needs ${dataDir} (../shared/data/seed-sample); not found`)
    process.exit(2)
  }
  const torch = NO_REF ? torchVersion() : ensureTorch()
  const backend = await initBackend('wasm')
  const data = readSeedDir(dataDir)
  const titles = data.slice(data.length - 1000).slice(0, INFER).map((e) => e.text)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ner-bench-predict-'))
  const load0 = loadavg()
  const rows: unknown[][] = []
  const streamRows: unknown[][] = []
  try {
    const inputs = SIZES.map((n) => {
      const rng = makeRng(7)
      const all = data.map((e) => e.text)
      const file = path.join(tmp, `titles-${n}.txt`)
      // written in slices: a million titles as one string would itself be the memory peak
      writeFileSync(file, '')
      for (let i = 0; i < n; ) {
        const lines: string[] = []
        for (const end = Math.min(n, i + 50_000); i < end; i++) lines.push(all[Math.floor(rng() * all.length)]!)
        appendFileSync(file, lines.join('\n') + '\n')
      }
      return { n, file }
    })
    for (const name of PRESETS) {
      const refModel = name === 'bilstm' ? 'softmax' : 'crf'
      const ref = reference(refModel)
      console.log(`${name}: reference ${ref?.toFixed(1) ?? '—'} titles/s (load ${loadavg()})`)
      const ckpt = await trainBriefly(name, data)
      const predictors: Predictor[] = []
      try {
        for (const w of WORKERS) predictors.push(await openPredictor(ckpt, { workers: w, backend: backend.name }))
        const confs = name === 'bilstm' ? [true] : [true, false]
        // warm-up: a whole pass each. A helper process starts on baseline-compiled wasm and runs its
        // first few hundred titles markedly slower (2 workers, 512 titles: 127 titles/s cold, 234 warm),
        // while the 1-worker predictor shares this process's code, already warm from training.
        for (const p of predictors) await p.predict(titles, { batchSize: 64 })
        const times = new Map<string, number[]>()
        for (let r = 0; r < ROUNDS; r++) {
          for (const p of predictors) {
            for (const confidence of confs) {
              const t0 = performance.now()
              await p.predict(titles, { batchSize: 64, confidence })
              const tps = titles.length / ((performance.now() - t0) / 1000)
              const key = `${p.workers}|${confidence}`
              times.set(key, [...(times.get(key) ?? []), tps])
              console.log(`  ${name} ${p.workers} worker(s)${confidence ? '' : ', no confidences'} round ${r + 1}: ${tps.toFixed(1)} titles/s (load ${loadavg()})`)
            }
          }
        }
        for (const p of predictors) {
          const helperPeak = p.pids.length ? Math.max(...p.pids.map(peakKbOr0)) : 0
          for (const confidence of confs) {
            const tps = median(times.get(`${p.workers}|${confidence}`)!)
            rows.push([name, p.workers, name === 'bilstm' ? 'softmax (free)' : confidence ? 'marginals' : 'none', tps.toFixed(1), ref ? ref.toFixed(1) : '—', ref ? `${(tps / ref).toFixed(2)}×` : '—', helperPeak ? mib(helperPeak) : '— (in the bench process)'])
          }
        }
      } finally {
        for (const p of predictors) p.close()
      }
      if (inputs.length) {
        const projectPath = path.join(tmp, `${name}.sqlite`)
        const project = Project.open(projectPath, { create: true })
        storeCheckpoint(project.db, createRun(project.db, name, ckpt.manifest.config), ckpt.manifest, ckpt.weights)
        project.close()
        for (const { n, file } of inputs) {
          for (const w of WORKERS) {
            const r = await streamCli(projectPath, file, path.join(tmp, 'out.csv'), w, n)
            console.log(`  ${name} predict CLI ${w} worker(s), ${n} titles: ${r.titlesPerSec.toFixed(1)} titles/s, peak RSS ${r.peaks.map(mib).join(' / ')} MiB (load ${loadavg()})`)
            streamRows.push([name, w, n.toLocaleString('en'), r.titlesPerSec.toFixed(1), ref ? `${(r.titlesPerSec / ref).toFixed(2)}×` : '—', r.peaks.map(mib).join(' / ')])
          }
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  const md = [
    '# Prediction speed (bench/predict.ts)',
    '',
    `- Command: \`${benchCommand('predict', args)}\`; reference: \`OPENBLAS_NUM_THREADS=1 /usr/bin/python3 ../shared/reference/torch_ner.py --dataset seed --model crf|softmax --pad-tags ${FLAT_TAGS} --threads 1 --max-steps ${STEPS} --epochs 1 --infer-speed\` (PyTorch ${torch ?? 'not installed'}; run just before ours, per preset)`,
    `- Date: ${new Date().toISOString()}; machine: ${machineLine()}; backend ${backend.name} (1 thread per process)`,
    `- Load average ${load0} at the start, ${loadavg()} at the end (above ~1, other jobs shared the 2 cores: absolute numbers are then noisy, and a second worker competes with that load for the second core; ratios come from runs adjacent in time).`,
    `- Model size: ${DIMS > 0 ? `char embedding and LSTM ${DIMS} (\`--dims ${DIMS}\`; the study's is 300): titles/s are this small model's, not the study model's` : "the preset's (300, as the study)"}.`,
    `- Method: ${STEPS} training steps (batch 32, Adam 1e-3, ${FLAT_TAGS} flat BIO tags, BIO-constrained CRF), then the prediction pool (batch 64) on ${titles.length} of the last 1,000 titles of seed-sample/train at ${WORKERS.join(' and ')} worker(s), median of ${ROUNDS} rounds, all variants interleaved in each round. 1 worker = in this process; N > 1 = N helper processes (the coordinator only splits and merges). Confidences: the CRF's marginals (forward–backward), which evaluation and pre-annotation use; \`predict\`'s CSV does not and skips them. The reference trains the same number of steps and times inference on all 1,000 test titles at batch 256, one thread.`,
    '',
    ...mdTable(['preset', 'workers', 'confidences', 'titles/s', 'reference titles/s (1 thread)', 'ratio', 'peak RSS per helper, MiB'], 'lrlrrrr', rows),
    '',
    ...(streamRows.length
      ? [
          `Streaming \`ner-studio predict <project> --run 1 titles.txt --out out.csv --workers N\` (the CLI under tsx, start-up and model loading included) over titles sampled with replacement from the 10,000 seed-sample titles; every row of the CSV checked present; peak RSS (VmHWM) of the CLI process, then of each helper:`,
          '',
          ...mdTable(['preset', 'workers', 'titles', 'titles/s', 'vs reference', 'peak RSS MiB (CLI / helpers)'], 'lrrrrl', streamRows),
          '',
        ]
      : []),
  ].join('\n')
  writeResults(path.join(repoRoot, 'bench', 'results', RESULTS), md)
  console.log(md)
}

void main()
