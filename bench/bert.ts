/**
 * BERT encoder step time on the tfjs backends available in Node (cpu, wasm).
 *
 *   npm run bench bert -- [--backends cpu,wasm] [--layers 2,4,12] [--cpu-layers 2,4] [--batch 8] [--chars 50]
 *                         [--modes fwd,train] [--min-time 2] [--max-reps 5] [--out bench/results/bert.md]
 *
 * Random BERT-base-shaped weights (hidden 768, 12 heads, intermediate 3072, Chinese vocab 21128,
 * 512 positions), batch × (chars + 2) tokens ([CLS] … [SEP]), no padding.
 *   fwd   = eval-mode forward (dropout off), output downloaded
 *   train = training-mode forward + backward: `tf.variableGrads` of a scalar loss w.r.t. every
 *           encoder variable (no optimiser update), gradients downloaded
 *   train-top4 = the same with embeddings and all but the top 4 layers frozen (only for > 4 layers)
 * Each measurement: one warm-up call (reported as "first"), then repetitions until `min-time`
 * seconds or `max-reps`, reporting the median. chars/s = batch × chars / median seconds.
 */
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { dirname } from 'node:path'
import { parseBertConfig } from '../src-main/ml/bert/config'
import { BertEncoder } from '../src-main/ml/bert/encoder'
import { benchCommand, machineLine, mdTable, writeResults } from './lib/report'

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt
}
// cpu first: a wasm step that runs out of wasm memory aborts the wasm module
const backends = arg('backends', 'cpu,wasm').split(',')
const layersList = arg('layers', '2,4,12').split(',').map(Number)
/** The cpu backend is 10–40× slower than wasm; by default it runs the smaller sizes only. */
const cpuLayersList = arg('cpu-layers', '2,4').split(',').map(Number)
const batch = Number(arg('batch', '8'))
const chars = Number(arg('chars', '50'))
const modes = arg('modes', 'fwd,train-top4,train').split(',')
const minTime = Number(arg('min-time', '2'))
const maxReps = Number(arg('max-reps', '5'))
const outPath = arg('out', 'bench/results/bert.md')

interface Row {
  backend: string
  layers: number
  mode: string
  firstS?: number
  medianS?: number
  reps?: number
  charsPerS?: number
  tensors?: number
  tfMB?: number
  rssMB: number
  error?: string
}

let peakRss = 0
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}
const rssTimer = setInterval(sampleRss, 50)

async function time(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now()
  await fn()
  sampleRss()
  return (performance.now() - t0) / 1000
}

async function measure(fn: () => Promise<void>): Promise<{ first: number; median: number; reps: number }> {
  const first = await time(fn)
  const times: number[] = []
  const t0 = performance.now()
  while (times.length < maxReps && (times.length === 0 || (performance.now() - t0) / 1000 < minTime)) times.push(await time(fn))
  times.sort((a, b) => a - b)
  return { first, median: times[Math.floor(times.length / 2)]!, reps: times.length }
}

async function main(): Promise<void> {
  const rows: Row[] = []
  const notes: string[] = []
  for (const backend of backends) {
    if (backend === 'wasm') {
      setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/')
    }
    const ok = await tf.setBackend(backend)
    await tf.ready()
    if (!ok) {
      notes.push(`backend ${backend}: could not be initialised`)
      continue
    }
    if (backend === 'wasm') {
      notes.push(
        `wasm: SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, multithreading ${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')}`,
      )
    }
    for (const L of backend === 'cpu' ? cpuLayersList : layersList) {
      const config = parseBertConfig({
        vocab_size: 21128,
        hidden_size: 768,
        num_hidden_layers: L,
        num_attention_heads: 12,
        intermediate_size: 3072,
        max_position_embeddings: 512,
      })
      const enc = BertEncoder.random(config, 1)
      const S = chars + 2
      const ids = tf.tidy(() => tf.randomUniform([batch, S], 5, 21128, 'int32', 7)) as tf.Tensor2D
      const mask = tf.ones([batch, S], 'int32') as tf.Tensor2D
      for (const mode of modes) {
        if (mode === 'train-top4' && L <= 4) continue
        enc.freeze(mode === 'train-top4' ? { embeddings: true, layers: L - 4 } : { layers: 0 })
        const base = { backend, layers: L, mode }
        // a scope per measurement, so tensors of a failed step (e.g. out of wasm memory) are freed
        tf.engine().startScope()
        try {
          const fn =
            mode === 'fwd'
              ? async (): Promise<void> => {
                  const out = enc.apply(ids, mask)
                  await out.data()
                  out.dispose()
                }
              : async (): Promise<void> => {
                  const { value, grads } = tf.variableGrads(
                    () => tf.tidy(() => tf.mean(tf.square(enc.apply(ids, mask, { training: true })))) as tf.Scalar,
                    enc.trainableVariables(),
                  )
                  await Promise.all([value.data(), ...Object.values(grads).map((g) => g.data())])
                  tf.dispose([value, ...Object.values(grads)])
                }
          const r = await measure(fn)
          const mem = tf.memory()
          rows.push({
            ...base,
            firstS: r.first,
            medianS: r.median,
            reps: r.reps,
            charsPerS: (batch * chars) / r.median,
            tensors: mem.numTensors,
            tfMB: mem.numBytes / 2 ** 20,
            rssMB: peakRss / 2 ** 20,
          })
        } catch (e) {
          rows.push({ ...base, rssMB: peakRss / 2 ** 20, error: (e as Error).message.split('\n')[0]!.slice(0, 200) })
        }
        try {
          tf.engine().endScope()
        } catch (e) {
          notes.push(`cleanup after ${backend} ${L} ${mode} failed: ${(e as Error).message.split('\n')[0]}`)
        }
        const last = rows[rows.length - 1]!
        console.log(JSON.stringify(last))
      }
      tf.dispose([ids, mask])
      enc.dispose()
    }
  }
  clearInterval(rssTimer)
  const f = (x: number | undefined, d = 2): string => (x === undefined ? '—' : x.toFixed(d))
  const md = [
    '# BERT encoder benchmark',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${machineLine()}, tfjs ${tf.version.tfjs}`,
    `- command: \`${benchCommand('bert')}\``,
    `- model: random BERT, hidden 768, 12 heads, intermediate 3072, vocab 21128; batch ${batch} × ${chars} chars (+[CLS]/[SEP] = ${chars + 2} tokens), no padding`,
    '- fwd = eval forward (dropout off); train = training forward + backward (`tf.variableGrads` over all encoder variables, no optimiser update); train-top4 = same with embeddings and all but the top 4 layers frozen',
    `- timing: 1 warm-up ("first"), then up to ${maxReps} reps or ${minTime} s; median reported. RSS = peak process RSS so far (sampled every 50 ms; cumulative across rows).`,
    ...notes.map((n) => `- ${n}`),
    '',
    ...mdTable(
      ['backend', 'layers', 'mode', 'first (s)', 'median (s)', 'reps', 'chars/s', 'tf tensors', 'tf MB', 'peak RSS MB', 'error'],
      'lrlrrrrrrrl',
      rows.map((r) => [r.backend, r.layers, r.mode, f(r.firstS), f(r.medianS), r.reps ?? '—', f(r.charsPerS, 0), r.tensors ?? '—', f(r.tfMB, 0), f(r.rssMB, 0), r.error ?? '']),
    ),
    '',
  ].join('\n')
  writeResults(outPath, md)
  console.log(md)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
