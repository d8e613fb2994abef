/**
 * Prediction speed (titles/s) of bilstm and bilstm-crf at 1,001 flat BIO tags, after brief training,
 * beside the PyTorch reference's `--infer-speed` run in the same benchmark.
 *
 *   npm run bench predict [-- --steps 20 --infer 256 --rounds 2 --no-ref]
 *
 * Data: ../shared/data/seed-sample/train; like the reference (`--dataset seed`), training batches
 * come from the first 8,000 titles and prediction runs on the last 1,000 (the first `--infer` of
 * them). Each preset trains `--steps` steps (batch 32, Adam 1e-3), then `predict` (batch 64) runs
 * `--rounds` times; for bilstm-crf each round runs the old decode (the plain pruned scan,
 * layers/crf/viterbi.ts `viterbi`, title by title) and the kernel (kernels/viterbi.ts) back to back on the
 * same model and titles, and checks they return the same tags. Where the time goes is timed around
 * CRF.marginals and CRF.decode. Results: bench/results/predict.md.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../src-main/ml/backend'
import { readSeedDir } from '../src-main/ml/data/seed'
import { CRF } from '../src-main/ml/layers/crf/layer'
import { viterbi } from '../src-main/ml/layers/crf/viterbi'
import { featurize, makeBatch } from '../src-main/ml/models/features'
import { presetConfig } from '../src-main/ml/models/presets'
import { Tagger } from '../src-main/ml/models/tagger'
import { predict } from '../src-main/ml/predict'
import { makeBatches } from '../src-main/ml/train/batching'
import { makeRng } from '../src-main/ml/train/rng'
import { makeOptimizer, trainStep } from '../src-main/ml/train/trainer'
import type { PresetName } from '../src-main/shared/training'
import { FLAT_TAGS, paddedFlatVocabs } from './lib/flat-vocabs'
import { benchCommand, machineLine, mdTable, writeResults } from './lib/report'

const args = process.argv.slice(2)
function opt(name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1]! : def
}
const STEPS = Number(opt('steps', '20'))
const INFER = Number(opt('infer', '256'))
const ROUNDS = Number(opt('rounds', '2'))
const NO_REF = args.includes('--no-ref')

const repoRoot = path.resolve(__dirname, '..')
const sharedDir = [path.resolve(repoRoot, '..', 'shared'), path.resolve(repoRoot, '..', '..', 'shared')].find((d) => existsSync(d)) ?? path.resolve(repoRoot, '..', 'shared')
const dataDir = path.join(sharedDir, 'data', 'seed-sample', 'train')
const refScript = path.join(sharedDir, 'reference', 'torch_ner.py')

const loadavg = (): string => os.loadavg().map((x) => x.toFixed(1)).join(' ')

/** The reference's inference titles/s after `STEPS` training steps (one thread), or null. */
function reference(model: 'crf' | 'softmax'): number | null {
  if (NO_REF || !existsSync(refScript)) return null
  const out = path.join(os.tmpdir(), `ner-ref-predict-${process.pid}.json`)
  try {
    execFileSync('/usr/bin/python3', [refScript, '--dataset', 'seed', '--model', model, '--pad-tags', String(FLAT_TAGS), '--threads', '1', '--max-steps', String(STEPS), '--epochs', '1', '--infer-speed', '--out', out], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: path.dirname(refScript),
    })
    const j = JSON.parse(readFileSync(out, 'utf8')) as { infer?: { titles_per_s?: number } }
    return j.infer?.titles_per_s ?? null
  } catch (e) {
    console.error(`reference ${model}: ${(e as Error).message.split('\n')[0]}`)
    return null
  } finally {
    rmSync(out, { force: true })
  }
}

/** Today's decode before the kernel: the plain pruned scan, title by title. */
async function plainDecode(crf: CRF, emissions: tf.Tensor3D, lengths: readonly number[]): Promise<number[][]> {
  const [B, L, T] = emissions.shape
  const em = (await emissions.data()) as Float32Array
  const s = crf.structure
  const tr = Float32Array.from(crf.transitions.dataSync(), (v, k) => (!s || s.allowed[k] ? v : -Infinity))
  const st = Float32Array.from(crf.start.dataSync(), (v, j) => (!s || s.startAllowed[j] ? v : -Infinity))
  const en = Float32Array.from(crf.end.dataSync(), (v, j) => (!s || s.endAllowed[j] ? v : -Infinity))
  return Array.from({ length: B }, (_, b) => viterbi(em, b * L * T, lengths[b]!, T, tr, st, en))
}

interface Timed {
  titlesPerSec: number
  decodeMs: number
  marginalsMs: number
  totalMs: number
  tags: string[][]
}

/** One `predict` over the titles, timing CRF.decode and CRF.marginals inside it. */
async function timedPredict(model: Tagger, titles: string[], decode: 'kernel' | 'plain' | null): Promise<Timed> {
  const crf = model.crf
  let decodeMs = 0
  let marginalsMs = 0
  if (crf && decode) {
    const kernelDecode = CRF.prototype.decode
    crf.decode = async (em, lengths) => {
      const t = performance.now()
      const r = decode === 'kernel' ? await kernelDecode.call(crf, em, lengths) : await plainDecode(crf, em, lengths)
      decodeMs += performance.now() - t
      return r
    }
    crf.marginals = (em, lengths) => {
      const t = performance.now()
      const r = CRF.prototype.marginals.call(crf, em, lengths)
      r.dataSync() // wasm runs ops eagerly; this only makes sure they are done
      marginalsMs += performance.now() - t
      return r
    }
  }
  const t0 = performance.now()
  const preds = await predict(model, titles, { batchSize: 64 })
  const totalMs = performance.now() - t0
  return { titlesPerSec: titles.length / (totalMs / 1000), decodeMs, marginalsMs, totalMs, tags: preds.map((p) => p.tags) }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  if (!existsSync(path.join(dataDir, 'input.seq.char'))) {
    console.error(`needs ${dataDir} (../shared/data/seed-sample); not found`)
    process.exit(2)
  }
  const backend = await initBackend('wasm')
  const data = readSeedDir(dataDir)
  const train = data.slice(0, data.length - 2000)
  const titles = data.slice(data.length - 1000).slice(0, INFER).map((e) => e.text)
  const load0 = loadavg()
  const rows: unknown[][] = []
  const split: string[] = []
  for (const [name, refModel] of [
    ['bilstm', 'softmax'],
    ['bilstm-crf', 'crf'],
  ] as [PresetName, 'crf' | 'softmax'][]) {
    const ref = reference(refModel)
    console.log(`${name}: reference ${ref?.toFixed(1) ?? '—'} titles/s (load ${loadavg()})`)
    const config = presetConfig(name)
    const model = Tagger.build({ config: config.model, vocabs: paddedFlatVocabs(data, name), seed: config.seed })
    const optimizer = makeOptimizer(model, config)
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
    optimizer.dispose()
    await timedPredict(model, titles.slice(0, 64), model.crf ? 'kernel' : null) // warm-up
    const variants: ('kernel' | 'plain' | null)[] = model.crf ? ['plain', 'kernel'] : [null]
    const runs = new Map<string, Timed[]>()
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of variants) {
        const t = await timedPredict(model, titles, v)
        runs.set(String(v), [...(runs.get(String(v)) ?? []), t])
        console.log(`  ${name} ${v ?? 'argmax'} round ${r + 1}: ${t.titlesPerSec.toFixed(1)} titles/s (decode ${t.decodeMs.toFixed(0)} ms, marginals ${t.marginalsMs.toFixed(0)} ms of ${t.totalMs.toFixed(0)} ms)`)
      }
    }
    if (model.crf) {
      const a = runs.get('plain')![0]!.tags
      const b = runs.get('kernel')![0]!.tags
      if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('the kernel and the plain scan decoded different tags')
    }
    for (const v of variants) {
      const ts = runs.get(String(v))!
      const tps = median(ts.map((t) => t.titlesPerSec))
      const label = v === 'kernel' ? 'new: Viterbi kernel' : v === 'plain' ? 'old: plain pruned scan' : 'softmax argmax'
      rows.push([name, label, tps.toFixed(1), ref ? ref.toFixed(1) : '—', ref ? `${(tps / ref).toFixed(2)}×` : '—'])
      if (v) {
        const tot = median(ts.map((t) => t.totalMs))
        const dec = median(ts.map((t) => t.decodeMs))
        const mar = median(ts.map((t) => t.marginalsMs))
        split.push(`- ${name}, ${label}: of ${tot.toFixed(0)} ms for ${titles.length} titles, decode ${dec.toFixed(0)} ms (${((100 * dec) / tot).toFixed(0)} %), marginals ${mar.toFixed(0)} ms (${((100 * mar) / tot).toFixed(0)} %), the rest (BiLSTM + output layer, spans) ${(tot - dec - mar).toFixed(0)} ms.`)
      }
    }
    model.dispose()
  }
  const md = [
    '# Prediction speed (bench/predict.ts)',
    '',
    `- Command: \`${benchCommand('predict', args)}\`; reference: \`OPENBLAS_NUM_THREADS=1 python3 ../shared/reference/torch_ner.py --dataset seed --model crf|softmax --pad-tags ${FLAT_TAGS} --threads 1 --max-steps ${STEPS} --epochs 1 --infer-speed\` (run just before ours, per preset)`,
    `- Date: ${new Date().toISOString()}; machine: ${machineLine()}; backend ${backend.name} (1 thread)`,
    `- **The machine was heavily shared** (8 engineers on 2 cores): load average ${load0} at the start, ${loadavg()} at the end. Absolute numbers are low and noisy; the ratios come from runs adjacent in time.`,
    `- Method: ${STEPS} training steps (batch 32, Adam 1e-3, ${FLAT_TAGS} flat BIO tags, BIO-constrained CRF), then \`predict\` (batch 64) on ${titles.length} of the last 1,000 titles of seed-sample/train, median of ${ROUNDS} rounds; old and new decode alternate within each round on the same model and titles and decode the same tags (checked). The reference trains the same number of steps and times inference on all 1,000 test titles at batch 256.`,
    '',
    ...mdTable(['preset', 'decode', 'titles/s', 'reference titles/s', 'ratio'], 'llrrr', rows),
    '',
    'The reference runs just before each preset, not interleaved with it: where the load changes between them the ratio moves with it. The old/new decode ratio is interleaved (same model, same titles, alternating).',
    '',
    'Where the time goes (medians):',
    '',
    ...split,
    '',
  ].join('\n')
  writeResults(path.join(repoRoot, 'bench', 'results', 'predict.md'), md)
  console.log(md)
}

void main()
