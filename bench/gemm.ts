/**
 * The matrix products of one BiLSTM training step, timed on our backend and on PyTorch (one thread)
 * in the same run: how far the engine's arithmetic alone can go on this machine.
 *
 *   npm run bench gemm [-- --reps 10 --backend wasm]
 *
 * Shapes: seed-sample's median step (batch 32, L ≈ 62 → B·L = 1,984 rows), the study's dims (300),
 * 1,001 flat tags. For each GEMM [m,k]×[k,n]: how often a step calls it, ms per call here and in
 * torch, and GFLOP/s. The step's GEMM total (Σ calls × ms) is the floor under a training step on
 * this backend, whatever else the engine does. Writes bench/results/gemm.md.
 */
import * as tf from '@tensorflow/tfjs'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { initBackend, type BackendName } from '../src-main/ml/backend'
import { benchCommand, machineLine, mdTable, writeResults } from './lib/report'

const args = process.argv.slice(2)
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : def
}
const REPS = Number(opt('reps', '10'))
const BL = 1984
const L = 62
const H = 300
const E = 300
const T = 1001
/** [m, k, n, calls per training step, what it is] */
const SHAPES: [number, number, number, number, string][] = [
  [BL, E, 8 * H, 1, 'input projection, both directions (forward)'],
  [BL, 8 * H, E, 1, 'its input gradient'],
  [E, BL, 8 * H, 1, 'its weight gradient'],
  [32, H, 4 * H, 2 * L, 'recurrence h·U, per step and direction (forward)'],
  [32, 4 * H, H, 2 * L, 'recurrence gradient dG·Uᵀ (backward)'],
  [H, BL, 4 * H, 2, 'dU = Σ hᵀ·dG, per direction'],
  [BL, H, T, 1, 'output layer, 1,001 tags (forward)'],
  [BL, T, H, 1, 'its input gradient'],
  [H, BL, T, 1, 'its weight gradient'],
]

function torchTimes(): number[] | string {
  const py = `
import json, sys, time, torch
torch.set_num_threads(1)
out = []
for m, k, n, reps in json.loads(sys.argv[1]):
    a = torch.randn(m, k); b = torch.randn(k, n)
    for _ in range(3): a @ b
    t = time.perf_counter()
    for _ in range(reps): a @ b
    out.append((time.perf_counter() - t) / reps * 1000)
print(json.dumps(out))
`
  try {
    const shapes = SHAPES.map(([m, k, n]) => [m, k, n, m === 32 ? REPS * 20 : REPS])
    const r = execFileSync('/usr/bin/python3', ['-c', py, JSON.stringify(shapes)], { env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } })
    return JSON.parse(r.toString()) as number[]
  } catch (e) {
    return `torch not available (${(e as Error).message.split('\n')[0]}; apt-get install python3-torch)`
  }
}

async function main(): Promise<void> {
  const backend = await initBackend(opt('backend', 'wasm') as BackendName)
  const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  const ours: number[] = []
  for (const [m, k, n] of SHAPES) {
    const a = tf.randomNormal([m, k])
    const b = tf.randomNormal([k, n])
    const reps = m === 32 ? REPS * 20 : REPS
    for (let i = 0; i < 3; i++) tf.matMul(a, b).dataSync()
    const t0 = performance.now()
    for (let i = 0; i < reps; i++) {
      const c = tf.matMul(a, b)
      c.dataSync()
      c.dispose()
    }
    ours.push((performance.now() - t0) / reps)
    tf.dispose([a, b])
  }
  const ref = torchTimes()
  const load1 = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  const gflops = (m: number, k: number, n: number, ms: number): string => ((2 * m * k * n) / ms / 1e6).toFixed(1)
  const stepOurs = SHAPES.reduce((s, [, , , calls], i) => s + calls * ours[i]!, 0)
  const stepRef = Array.isArray(ref) ? SHAPES.reduce((s, [, , , calls], i) => s + calls * ref[i]!, 0) : NaN
  const md = [
    '# GEMM floor of a BiLSTM training step (bench/gemm.ts)',
    '',
    `- Command: \`${benchCommand('gemm', args)}\``,
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machineLine()}; load average at start ${load0}, at the end ${load1}`,
    `- Ours: ${backend.name} (${backend.provider}), one thread. Reference: PyTorch ${Array.isArray(ref) ? '(/usr/bin/python3, torch.set_num_threads(1))' : ref}.`,
    `- Shapes: one step of seed-sample's median batch (32 titles, L = ${L}, B·L = ${BL}), dims ${H}, ${T} flat tags; ${REPS} timed calls each (×20 for the small per-step products) after 3 warm-ups.`,
    '',
    ...mdTable(
      ['product [m,k]×[k,n]', 'what', 'calls/step', 'ours ms', 'ours GFLOP/s', 'torch ms', 'torch GFLOP/s'],
      'llrrrrr',
      SHAPES.map(([m, k, n, calls, what], i) => [
        `[${m},${k}]×[${k},${n}]`,
        what,
        calls,
        ours[i]!.toFixed(2),
        gflops(m, k, n, ours[i]!),
        Array.isArray(ref) ? ref[i]!.toFixed(2) : '—',
        Array.isArray(ref) ? gflops(m, k, n, ref[i]!) : '—',
      ]),
    ),
    '',
    `**GEMM time of one step** (Σ calls × ms): ours **${stepOurs.toFixed(0)} ms**, torch **${Number.isNaN(stepRef) ? '—' : stepRef.toFixed(0)} ms** ` +
      `(torch ÷ ours: ${Number.isNaN(stepRef) ? '—' : (stepRef / stepOurs).toFixed(2) + '×'}; one step = ${BL} positions, padding included).`,
    '',
  ].join('\n')
  writeResults(path.join(__dirname, 'results', 'gemm.md'), md)
  console.log(md)
}
main()
