// Data-parallel training speed (trainer/workers.ts) at several worker counts, side by side with the
// PyTorch reference run in the same benchmark (npm run bench train -- --workers 1,2).
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import type { BackendReport } from '../../src-main/ml/backend'
import type { readSeedDir } from '../../src-main/ml/data/seed'
import { featurize, type TaggerVocabs } from '../../src-main/ml/models/features'
import { presetConfig } from '../../src-main/ml/models/presets'
import { Tagger } from '../../src-main/ml/models/tagger'
import { makeBatches } from '../../src-main/ml/train/batching'
import { makeRng } from '../../src-main/ml/train/rng'
import { makeOptimizer, trainStep } from '../../src-main/ml/train/trainer'
import { startWorkerPool } from '../../src-main/trainer/workers'
import type { PresetName } from '../../src-main/shared/training'
import { machine, mdTable } from './report'
import { runReference, torchVersion } from './reference'
import { peakKb } from '../../test/helpers/procs'

/** Our preset → the reference's --model and --pad-tags. */
const REF_MODEL: Partial<Record<PresetName, [string, number]>> = { bilstm: ['softmax', 1001], 'bilstm-crf': ['crf', 1001], 'cascade-bilstm-crf': ['cascade', 0] }

export interface WorkersOptions {
  workers: number[]
  presets: PresetName[]
  steps: number
  warmup: number
  refSteps: number
  vocabs: (data: ReturnType<typeof readSeedDir>, name: PresetName) => TaggerVocabs
  backend: BackendReport
  command: string
}

/** The reference's median steady-state chars/s on one thread, or null (no torch / no reference). */
function referenceCps(preset: PresetName, steps: number): number | null {
  const m = REF_MODEL[preset]
  if (!m) return null
  const args = ['--dataset', 'seed', '--model', m[0], ...(m[1] ? ['--pad-tags', String(m[1])] : []), '--threads', '1', '--max-steps', String(steps), '--warmup', '4', '--epochs', '1']
  const j = runReference<{ speed?: { median_chars_per_s?: number } }>(args, preset)
  return j?.speed?.median_chars_per_s ?? null
}

/** Peak resident memory of a process in MiB, or NaN when it is gone. */
const peakMiB = (pid: number | 'self'): number => (peakKb(pid) ?? NaN) / 1024

/** One preset at `n` workers: median chars/s over the timed steps, tensors before/after, peak tensor memory of each helper thread. */
async function measure(data: ReturnType<typeof readSeedDir>, name: PresetName, n: number, o: WorkersOptions): Promise<{ cps: number; tensors: [number, number]; helperMiB: number[] }> {
  const config = presetConfig(name, { workers: n })
  const model = Tagger.build({ config: config.model, vocabs: o.vocabs(data, name), seed: config.seed })
  const opt = makeOptimizer(model, config)
  const pool = n > 1 ? await startWorkerPool(model, opt, config, { workers: n, backend: o.backend.name }) : null
  const enc = data.map((e) => featurize(e, model.vocabs, config.maxLength))
  const batches = makeBatches(
    enc.map((e) => e.charIds.length),
    config.batchSize,
    makeRng(1),
    true,
  )
  const cps: number[] = []
  let t0 = 0
  for (let i = 0; i < o.warmup + o.steps; i++) {
    const items = batches[i]!.map((k) => enc[k]!)
    const chars = items.reduce((a, e) => a + e.charIds.length, 0)
    if (i === o.warmup) t0 = tf.memory().numTensors
    const s = performance.now()
    const loss = pool ? await pool.step(items) : trainStep(model, opt, items, config)
    const dt = performance.now() - s
    if (i >= o.warmup) cps.push(chars / (dt / 1000))
    console.log(`  ${name} ×${n} step ${i + 1}: ${chars} chars ${dt.toFixed(0)} ms loss ${loss.toFixed(3)}`)
  }
  const t1 = tf.memory().numTensors
  const helperMiB = pool ? pool.helperBytes().map((b) => b / 2 ** 20) : []
  pool?.dispose()
  opt.dispose()
  model.dispose()
  const med = [...cps].sort((a, b) => a - b)[Math.floor(cps.length / 2)]!
  return { cps: med, tensors: [t0, t1], helperMiB }
}

export async function workersReport(data: ReturnType<typeof readSeedDir>, o: WorkersOptions): Promise<string> {
  const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  const rows: unknown[][] = []
  for (const name of o.presets) {
    // reference first, then ours at each worker count: adjacent in time, same load
    const ref = referenceCps(name, o.refSteps)
    console.log(`${name}: reference ${ref?.toFixed(0) ?? '—'} chars/s`)
    for (const n of o.workers) {
      const r = await measure(data, name, n, o)
      rows.push([
        name,
        n,
        r.cps.toFixed(0),
        ref ? ref.toFixed(0) : '—',
        ref ? `${(r.cps / ref).toFixed(2)}×` : '—',
        `${r.tensors[0]} → ${r.tensors[1]}`,
        peakMiB('self').toFixed(0),
        r.helperMiB.length ? r.helperMiB.map((x) => x.toFixed(0)).join(' / ') : '—',
      ])
      console.log(`${name} ×${n}: ${r.cps.toFixed(0)} chars/s`)
    }
  }
  const load1 = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  return [
    '# Training benchmark: data-parallel workers (bench/train.ts --workers)',
    '',
    `- Command: \`${o.command}\``,
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB; Node ${process.version}. **Shared with other engineers' jobs** (load average 1/5/15 min at start ${load0}, at the end ${load1}): every number is noisy, and the 2-worker rows compete with that load for the two cores.`,
    `- Backend: ${o.backend.name} (${o.backend.provider}), one thread per worker (helpers are worker threads, each its own backend).`,
    `- Ours: seed-sample train (10,000 titles), batch 32, the study's dims (300/300), 1,001 flat tags for bilstm / bilstm-crf; ${o.warmup} warm-up + ${o.steps} timed steps on the same bucketed batches at every worker count; median chars/s of the timed steps (wall clock, including the weight/gradient exchange between threads).`,
    `- Reference: ../shared/reference/torch_ner.py (PyTorch ${torchVersion() ?? '(not installed: apt-get install python3-torch)'}), \`OPENBLAS_NUM_THREADS=1 --threads 1 --max-steps ${o.refSteps} --warmup 4\` (its median steady-state step), run right before ours for each preset.`,
    '',
    ...mdTable(['preset', 'workers', 'chars/s', 'reference chars/s (1 thread)', 'ratio', 'tf.memory() tensors (after warm-up → end)', 'peak RSS MiB (the process)', 'tensor MiB per helper thread (after a step)'], 'lrrrrrrr', rows),
    '',
    'The helpers are threads of the bench process: its peak RSS holds them all (and every earlier row); each helper thread\'s own backend memory is its largest tf.memory().numBytes after a step (its weights; a step\'s activations come and go inside the step).',
    '',
  ].join('\n')
}

