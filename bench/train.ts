/**
 * Training and inference speed of the BiLSTM presets on the study's sample.
 *
 *   npm run bench train [-- --steps 12 --warmup 2 --infer 256 --ab-rounds 8 --backend wasm --presets a,b --quality]
 *   npm run bench train -- --quality-only [--dim 128 --train-n 2000 --dev-n 400 --epochs 2]   (→ train-quality.md)
 *
 * Data: ../shared/data/seed-sample/train (10,000 titles). Flat presets use 1,001 flat BIO tags
 * (the sample's 863 plus unseen placeholder types, as the full label set of the study has 1,001).
 * Dims are the study's: embedding 300, BiLSTM 300, batch 32, Adam 1e-3. Each preset trains
 * `--steps` timed steps (after `--warmup`) on the SAME bucketed batches; s/epoch is extrapolated
 * from them. Inference: `predict` on `--infer` titles after those steps.
 * `--quality` also trains each preset for `--epochs` epochs on `--train-n` titles and reports
 * dev P/R/F1 on `--dev-n` others (smaller dims allowed with `--dim`).
 * Results go to bench/results/train.md.
 *
 *   npm run bench train -- --workers 1,2 [--presets bilstm,bilstm-crf] [--steps 10] [--ref-steps 24]
 * measures data-parallel training (trainer/workers.ts) at each worker count against the PyTorch
 * reference (../shared/reference/torch_ner.py, one thread, run in between: same run, same machine),
 * and puts that table at the top of bench/results/train.md.
 */
import * as tf from '@tensorflow/tfjs'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { initBackend, type BackendName } from '../src-main/ml/backend'
import { readSeedDir } from '../src-main/ml/data/seed'
import { featurize, makeBatch } from '../src-main/ml/models/features'
import { presetConfig } from '../src-main/ml/models/presets'
import { Tagger } from '../src-main/ml/models/tagger'
import { predict } from '../src-main/ml/predict'
import { makeBatches } from '../src-main/ml/train/batching'
import { makeRng } from '../src-main/ml/train/rng'
import { makeOptimizer, train, trainStep } from '../src-main/ml/train/trainer'
import type { PresetName } from '../src-main/shared/training'
import { benchCommand, machine, mdTable, sharedDir, writeResults } from './lib/report'
import { workersReport } from './lib/train-workers'
import { FLAT_TAGS, paddedFlatVocabs } from './lib/flat-vocabs'

const args = process.argv.slice(2)
function opt(name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1]! : def
}
const flag = (name: string): boolean => args.includes(`--${name}`)

const STEPS = Number(opt('steps', '12'))
const WARMUP = Number(opt('warmup', '2'))
const INFER = Number(opt('infer', '256'))
const BACKEND = opt('backend', 'wasm') as BackendName
const PRESETS = opt('presets', 'bilstm,bilstm-crf,cascade-bilstm-crf,cascade-bilstm-crf-wlf,cascade-bilstm-crf-wlf-wol').split(',') as PresetName[]
/** Ends the data-parallel section at the top of train.md (a rerun replaces only that section). */
const WORKERS_END = '<!-- end of the workers section -->'
const REF: Record<string, number> = { bilstm: 3730, 'bilstm-crf': 1570, 'cascade-bilstm-crf': 3750 }

const repoRoot = path.resolve(__dirname, '..')
const dataDir = path.join(sharedDir, 'data', 'seed-sample', 'train')

interface SpeedRow {
  preset: string
  labels: number
  msPerStep: number
  /** CPU ms per step (user+system of this process): robust to other load on the machine */
  cpuMsPerStep: number
  charsPerSec: number
  charsPerCpuSec: number
  secPerEpoch: number
  inferTitlesPerSec: number
  ref?: number
}

function loadavg(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')
}

async function main(): Promise<void> {
  if (!existsSync(path.join(dataDir, 'input.seq.char'))) {
    console.error(`needs ${dataDir} (../shared/data/seed-sample); not found`)
    process.exit(2)
  }
  const report = await initBackend(BACKEND)
  const data = readSeedDir(dataDir)
  if (flag('quality-only')) {
    // separate file, so a long quality run never overwrites the speed results
    const quality = await qualityTable(data)
    const head = [
      '# Quality after a few epochs (bench/train.ts --quality-only)',
      '',
      `- Command: \`${benchCommand('train', args)}\``,
      `- Date: ${new Date().toISOString()}; machine: ${machine.cpu}, ${machine.cores} cores; backend ${report.name}`,
      `- Not comparable to the study’s table (full data, many epochs, GPU): ${opt('epochs', '3')} epochs at Adam 1e-3 on ${opt('train-n', '2000')} titles with ~430 types is early training on this 2-core machine.`,
      '',
      '',
    ]
    const out = path.resolve(repoRoot, opt('out', path.join('bench', 'results', 'train-quality.md')))
    writeResults(out, head.join('\n') + quality + '\n')
    console.log(quality)
    return
  }
  if (opt('workers', '')) {
    const md = await workersReport(data, {
      workers: opt('workers', '1,2').split(',').map(Number),
      presets: PRESETS,
      steps: STEPS,
      warmup: WARMUP,
      refSteps: Number(opt('ref-steps', '24')),
      vocabs: paddedFlatVocabs,
      backend: report,
      command: benchCommand('train', args),
    })
    const out = path.join(repoRoot, 'bench', 'results', 'train.md')
    const old = existsSync(out) ? readFileSync(out, 'utf8') : ''
    const rest = old.includes(WORKERS_END) ? old.slice(old.indexOf(WORKERS_END) + WORKERS_END.length) : old
    writeResults(out, md + '\n' + WORKERS_END + '\n\n' + rest.trimStart())
    console.log(md)
    return
  }
  const totalChars = data.reduce((a, e) => a + Array.from(e.text).length, 0)
  console.log(`backend ${report.name}; ${data.length} titles, ${totalChars} chars; load ${loadavg()}`)
  const load0 = loadavg()
  const rows: SpeedRow[] = []
  for (const name of PRESETS) {
    const config = presetConfig(name)
    const vocabs = paddedFlatVocabs(data, name)
    const model = Tagger.build({ config: config.model, vocabs, seed: config.seed })
    const optimizer = makeOptimizer(model, config)
    const enc = data.map((e) => featurize(e, model.vocabs, config.maxLength))
    const batches = makeBatches(
      enc.map((e) => e.charIds.length),
      config.batchSize,
      makeRng(1),
      true,
    )
    let chars = 0
    let ms = 0
    let cpuMs = 0
    for (let i = 0; i < WARMUP + STEPS; i++) {
      const b = makeBatch(batches[i]!.map((k) => enc[k]!))
      const t0 = performance.now()
      const c0 = process.cpuUsage()
      const loss = trainStep(model, optimizer, b, config)
      const dt = performance.now() - t0
      const c1 = process.cpuUsage(c0)
      if (i >= WARMUP) {
        chars += b.chars
        ms += dt
        cpuMs += (c1.user + c1.system) / 1000
      }
      console.log(`  ${name} step ${i + 1}${i < WARMUP ? ' (warm-up)' : ''}: L=${b.L} chars=${b.chars} ${dt.toFixed(0)} ms loss=${loss.toFixed(3)}`)
    }
    const titles = data.slice(0, INFER)
    const t1 = performance.now()
    await predict(model, titles, { batchSize: 64 })
    const inferSec = (performance.now() - t1) / 1000
    const cps = chars / (ms / 1000)
    rows.push({
      preset: name,
      labels: model.vocabs.labels.size,
      msPerStep: ms / STEPS,
      cpuMsPerStep: cpuMs / STEPS,
      charsPerSec: cps,
      charsPerCpuSec: chars / (cpuMs / 1000),
      secPerEpoch: totalChars / cps,
      inferTitlesPerSec: titles.length / inferSec,
      ref: REF[name],
    })
    console.log(`${name}: ${cps.toFixed(0)} chars/s, ${(totalChars / cps).toFixed(0)} s/epoch, infer ${(titles.length / inferSec).toFixed(1)} titles/s`)
    optimizer.dispose()
    model.dispose()
  }
  const ab = await crfAB(data)
  const load1 = loadavg()

  const byName = new Map(rows.map((r) => [r.preset, r]))
  const crf = byName.get('bilstm-crf')
  const bl = byName.get('bilstm')
  const md = [
    '# Training benchmark (bench/train.ts)',
    '',
    `- Command: \`${benchCommand('train', args)}\``,
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB; Node ${process.version}`,
    `- Backend: ${report.name} (${report.provider}); tried: ${report.tried.map((t) => `${t.name} ${t.ok ? 'ok' : `✗ ${t.error}`}`).join('; ')}`,
    `- Load average (1/5/15 min) at start ${load0}, after the speed runs ${load1} — the machine's 2 cores are shared with other sessions, so numbers are noisy.`,
    `- Data: ../shared/data/seed-sample/train, ${data.length} titles, ${totalChars} chars (mean ${(totalChars / data.length).toFixed(1)}).`,
    `- Dims: embedding 300 (+300 word embedding for WLF), BiLSTM 300 per direction (added), batch 32, Adam 1e-3, clip 5. Flat presets: ${FLAT_TAGS} flat BIO tags (the sample's types + unseen placeholders = 500 types); their CRF is BIO-constrained (preset default).`,
    `- Method: ${WARMUP} warm-up + ${STEPS} timed training steps per preset on the same bucketed batches; **s/epoch is extrapolated** from those steps (epoch chars ÷ chars/s). Inference: \`predict\` on ${INFER} titles (batch 64) right after those steps (an almost untrained model: the pruned Viterbi is at its slowest).`,
    '',
    ...mdTable(
      [
        'preset',
        'tags',
        'ms/step (wall)',
        'CPU ms/step',
        'chars/s (wall)',
        'chars per CPU-s',
        's/epoch (wall, extrapolated)',
        's/epoch (CPU, extrapolated)',
        'PyTorch ref chars/s',
        'ratio to ref (wall / CPU)',
        'inference titles/s',
      ],
      'lrrrrrrrrrr',
      rows.map((r) => [
        r.preset,
        r.labels,
        r.msPerStep.toFixed(0),
        r.cpuMsPerStep.toFixed(0),
        r.charsPerSec.toFixed(0),
        r.charsPerCpuSec.toFixed(0),
        r.secPerEpoch.toFixed(0),
        (totalChars / r.charsPerCpuSec).toFixed(0),
        r.ref ?? '—',
        r.ref ? `${(r.charsPerSec / r.ref).toFixed(2)}× / ${(r.charsPerCpuSec / r.ref).toFixed(2)}×` : '—',
        r.inferTitlesPerSec.toFixed(1),
      ]),
    ),
    '',
    'CPU time is this process’s user+system time during the step. The wasm backend runs one thread, so on an idle machine wall ≈ CPU. Under load from other sessions wall time counts the time spent waiting for a core, CPU time does not (but still includes the slowdown from shared caches), so the CPU column is closer to what an idle machine gives; neither is exact.',
    '',
    crf && bl
      ? `**CRF overhead** (bilstm-crf step / bilstm step, ${FLAT_TAGS} tags): **${(crf.msPerStep / bl.msPerStep).toFixed(2)}× wall, ${(crf.cpuMsPerStep / bl.cpuMsPerStep).toFixed(2)}× CPU** (target ≤ 1.5×; the study's TF1 CRF: 400/30 = 13×).`
      : '',
    '',
    `**CRF overhead, interleaved A/B** (bilstm and bilstm-crf, ${FLAT_TAGS} tags, alternating steps on the same ${ab.rounds} batches; median of the per-batch ratios): **${ab.pairedWall.toFixed(2)}× wall, ${ab.pairedCpu.toFixed(2)}× CPU**. Per-batch wall ratios: ${ab.ratios.map((r) => r.toFixed(2)).join(', ')}; CPU: ${ab.cpuRatios.map((r) => r.toFixed(2)).join(', ')}. Median step: bilstm ${ab.plainWall.toFixed(0)} ms wall / ${ab.plainCpu.toFixed(0)} ms CPU, bilstm-crf ${ab.crfWall.toFixed(0)} / ${ab.crfCpu.toFixed(0)} ms.`,
    '',
    'Reference: PyTorch 1.13, one CPU thread, this machine: bilstm 3,730 chars/s, bilstm-crf 1,570, cascade-bilstm-crf 3,750; target ≥ 0.3× on wasm.',
  ].join('\n')
  const out = path.join(repoRoot, 'bench', 'results', 'train.md')
  writeResults(out, md + '\n')
  console.log(md)
  if (flag('quality')) {
    // speed results are on disk already; the quality table is appended when it is done
    const quality = await qualityTable(data)
    writeResults(out, md + '\n\n' + quality + '\n')
    console.log(quality)
  }
  void tf
}

/** bilstm vs bilstm-crf, alternating steps on identical batches; medians of wall and CPU ms. */
async function crfAB(data: ReturnType<typeof readSeedDir>): Promise<{
  rounds: number
  plainWall: number
  crfWall: number
  plainCpu: number
  crfCpu: number
  ratios: number[]
  cpuRatios: number[]
  pairedWall: number
  pairedCpu: number
}> {
  const rounds = Number(opt('ab-rounds', '8'))
  const runs = (['bilstm', 'bilstm-crf'] as PresetName[]).map((name) => {
    const config = presetConfig(name)
    const model = Tagger.build({ config: config.model, vocabs: paddedFlatVocabs(data, name), seed: config.seed })
    return { name, config, model, optimizer: makeOptimizer(model, config), wall: [] as number[], cpu: [] as number[] }
  })
  const enc = data.map((e) => featurize(e, runs[0]!.model.vocabs))
  const batches = makeBatches(
    enc.map((e) => e.charIds.length),
    32,
    makeRng(7),
    true,
  )
  for (let i = 0; i < rounds + 1; i++) {
    const b = makeBatch(batches[i]!.map((k) => enc[k]!))
    for (const r of i % 2 ? [...runs].reverse() : runs) {
      const t0 = performance.now()
      const c0 = process.cpuUsage()
      trainStep(r.model, r.optimizer, b, r.config)
      const c = process.cpuUsage(c0)
      if (i > 0) {
        r.wall.push(performance.now() - t0)
        r.cpu.push((c.user + c.system) / 1000)
      }
    }
    console.log(`  A/B round ${i}: L=${b.L} bilstm ${runs[0]!.wall.at(-1)?.toFixed(0)} ms, bilstm-crf ${runs[1]!.wall.at(-1)?.toFixed(0)} ms`)
  }
  const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!
  const [p, c] = runs as [(typeof runs)[0], (typeof runs)[0]]
  for (const r of runs) {
    r.optimizer.dispose()
    r.model.dispose()
  }
  const ratios = p.wall.map((w, i) => c.wall[i]! / w)
  const cpuRatios = p.cpu.map((w, i) => c.cpu[i]! / w)
  return { rounds, plainWall: med(p.wall), crfWall: med(c.wall), plainCpu: med(p.cpu), crfCpu: med(c.cpu), ratios, cpuRatios, pairedWall: med(ratios), pairedCpu: med(cpuRatios) }
}

async function qualityTable(data: ReturnType<typeof readSeedDir>): Promise<string> {
  const trainN = Number(opt('train-n', '2000'))
  const devN = Number(opt('dev-n', '500'))
  const epochs = Number(opt('epochs', '3'))
  const dim = Number(opt('dim', '300'))
  const shuffled = [...data]
  const rng = makeRng(2024)
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
  }
  const dev = shuffled.slice(0, devN)
  const tr = shuffled.slice(devN, devN + trainN)
  const rows: string[][] = []
  const pct = (x: number): string => (x * 100).toFixed(2)
  for (const name of PRESETS) {
    const config = presetConfig(name, { epochs, patience: 0, logEvery: 0, model: { charEmbedding: dim, hidden: dim, ...(name.includes('wlf') ? { wordEmbedding: dim } : {}) } })
    const t0 = Date.now()
    const r = await train(config, tr, dev, {
      onEvent: (e) => {
        if (e.kind === 'eval') console.log(`  ${name} epoch ${e.epoch}: dev F1 ${(e.dev.f1 * 100).toFixed(2)}`)
      },
    })
    const m = r.bestDev!
    rows.push([name, pct(m.micro.precision), pct(m.micro.recall), pct(m.micro.f1), pct(m.study.f1), pct(m.boundary.f1), ((Date.now() - t0) / 60000).toFixed(1)])
    r.model.dispose()
  }
  return [
    `## Quality after ${epochs} epochs (${tr.length} train / ${dev.length} dev titles of the sample, seed split; dims ${dim}; entity-level exact match, micro)`,
    '',
    ...mdTable(['preset', 'P', 'R', 'F1', 'study metric F1', 'boundary F1', 'minutes'], 'lrrrrrr', rows),
  ].join('\n')
}

void main()
