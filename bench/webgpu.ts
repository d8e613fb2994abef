/**
 * Does tfjs's WebGPU backend over Dawn (src-main/ml/webgpu.ts) train as wasm does, and faster?
 *
 *   npm run bench webgpu [-- --install] [--preset bilstm-crf] [--steps 20] [--warmup 2]
 *
 * `--install` first adds `webgpu` (Dawn for Node) and `@tensorflow/tfjs-backend-webgpu` to
 * node_modules without saving them (they are not dependencies: ./src-main/ml/webgpu.ts says why).
 * Then the same steps run twice, each backend in its own process: the study's dims, seed-sample's
 * titles with 1,001 flat tags (as `npm run bench train`), the same seed, batches and initial
 * weights. It reports what Dawn found, chars/s per backend, and the largest gap between the two
 * loss curves. WebGPU earns a place in the default backend ladder only with the same curve (within
 * float noise) and more chars/s; results/webgpu.md says which.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { benchCommand, machineLine, mdTable, sharedDir, writeResults } from './lib/report'

const args = process.argv.slice(2)
function opt(name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1]! : def
}
const STEPS = Number(opt('steps', '20'))
const WARMUP = Number(opt('warmup', '2'))
const PRESET = opt('preset', 'bilstm-crf')
const repoRoot = path.resolve(__dirname, '..')
const dataDir = path.join(sharedDir, 'data', 'seed-sample', 'train')

interface ChildResult {
  backend: string
  ok: boolean
  error?: string
  provider?: string
  adapter?: string | null
  losses?: number[]
  charsPerSec?: number
}

/** One backend's run, in this process (a backend choice is per process). */
async function child(backend: string): Promise<ChildResult> {
  const { initBackend } = await import('../src-main/ml/backend')
  const { probeWebGpu } = await import('../src-main/ml/webgpu')
  let adapter: string | null | undefined
  if (backend === 'webgpu') {
    try {
      const p = await probeWebGpu()
      adapter = p.adapter
      if (!p.adapter) return { backend, ok: false, adapter: null, error: p.reason }
    } catch (e) {
      return { backend, ok: false, error: e instanceof Error ? e.message : String(e) }
    }
  }
  let report
  try {
    report = await initBackend(backend as 'wasm' | 'webgpu')
  } catch (e) {
    return { backend, ok: false, adapter, error: e instanceof Error ? e.message : String(e) }
  }
  const { readSeedDir } = await import('../src-main/ml/data/seed')
  const { featurize, makeBatch } = await import('../src-main/ml/models/features')
  const { presetConfig } = await import('../src-main/ml/models/presets')
  const { Tagger } = await import('../src-main/ml/models/tagger')
  const { makeBatches } = await import('../src-main/ml/train/batching')
  const { makeRng } = await import('../src-main/ml/train/rng')
  const { makeOptimizer, trainStep } = await import('../src-main/ml/train/trainer')
  const { paddedFlatVocabs } = await import('./lib/flat-vocabs')
  const data = readSeedDir(dataDir)
  const config = presetConfig(PRESET as never)
  const model = Tagger.build({ config: config.model, vocabs: paddedFlatVocabs(data, PRESET as never), seed: config.seed })
  const optimizer = makeOptimizer(model, config)
  const enc = data.map((e) => featurize(e, model.vocabs, config.maxLength))
  const batches = makeBatches(enc.map((e) => e.charIds.length), config.batchSize, makeRng(1), true)
  const losses: number[] = []
  let chars = 0
  let ms = 0
  try {
    for (let i = 0; i < WARMUP + STEPS; i++) {
      const b = makeBatch(batches[i]!.map((k) => enc[k]!))
      const t0 = performance.now()
      losses.push(trainStep(model, optimizer, b, config)) // reads the loss back: the step has finished
      if (i >= WARMUP) {
        ms += performance.now() - t0
        chars += b.chars
      }
    }
  } catch (e) {
    return { backend, ok: false, adapter, provider: report.provider, losses, error: e instanceof Error ? e.message.split('\n')[0] : String(e) }
  }
  return { backend, ok: true, adapter, provider: report.provider, losses, charsPerSec: chars / (ms / 1000) }
}

function run(backend: string): ChildResult {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', __filename, '--child', backend, ...args], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    return JSON.parse(out.trim().split('\n').pop()!) as ChildResult
  } catch (e) {
    return { backend, ok: false, error: `the process failed: ${String((e as { message?: string }).message ?? e).split('\n')[0]}` }
  }
}

async function main(): Promise<void> {
  const ci = args.indexOf('--child')
  if (ci >= 0) {
    console.log(JSON.stringify(await child(args[ci + 1]!)))
    return
  }
  if (!existsSync(path.join(dataDir, 'input.seq.char'))) {
    console.error(`needs ${dataDir} (../shared/data/seed-sample); not found`)
    process.exit(2)
  }
  if (args.includes('--install')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tfjs = (require('@tensorflow/tfjs/package.json') as { version: string }).version
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', 'webgpu@^0.6', `@tensorflow/tfjs-backend-webgpu@${tfjs}`], { cwd: repoRoot, stdio: 'inherit' })
  }
  const rows = ['wasm', 'webgpu'].map((b) => {
    console.log(`${b} …`)
    const r = run(b)
    console.log(JSON.stringify(r))
    return r
  })
  const [w, g] = rows as [ChildResult, ChildResult]
  let gap = NaN
  if (w.ok && g.ok) gap = Math.max(...w.losses!.map((l, i) => Math.abs(l - g.losses![i]!) / Math.max(1e-6, Math.abs(l))))
  const same = gap <= 1e-3
  const verdict = !g.ok
    ? `**WebGPU did not run here: ${g.error}** It stays out of the default ladder (opt-in: \`NER_STUDIO_BACKEND=webgpu\`).`
    : !same
      ? `**WebGPU trains differently** (largest relative loss gap ${gap.toExponential(2)}): it stays out of the default ladder.`
      : g.charsPerSec! > w.charsPerSec!
        ? `**WebGPU trains as wasm does and ${(g.charsPerSec! / w.charsPerSec!).toFixed(2)}× faster** on this machine: a candidate for the ladder (the ladder's order is still decided by hand).`
        : `**WebGPU trains as wasm does but slower** (${(g.charsPerSec! / w.charsPerSec!).toFixed(2)}×): it stays out of the default ladder.`
  const md = [
    '# WebGPU over Dawn vs wasm (bench/webgpu.ts)',
    '',
    `- Command: \`${benchCommand('webgpu', args)}\``,
    `- Date: ${new Date().toISOString()}; machine: ${machineLine()}`,
    `- What: ${PRESET}, the study's dims, seed-sample titles with 1,001 flat tags, batch 32, seed as the preset; ${WARMUP} warm-up + ${STEPS} timed steps on the same bucketed batches, each backend in its own process.`,
    `- Dawn's adapter: ${g.adapter === undefined ? 'not reached' : (g.adapter ?? 'none')}.`,
    '',
    ...mdTable(
      ['backend', 'ran', 'provider', 'chars/s', 'loss after the last step', 'why not'],
      'lllrrl',
      rows.map((r) => [r.backend, r.ok ? 'yes' : 'no', r.provider ?? '–', r.charsPerSec ? r.charsPerSec.toFixed(0) : '–', r.losses?.length ? r.losses[r.losses.length - 1]!.toFixed(4) : '–', r.error ?? '']),
    ),
    '',
    Number.isFinite(gap) ? `Largest relative gap between the two loss curves over ${WARMUP + STEPS} steps: ${gap.toExponential(2)}.` : '',
    '',
    verdict,
    '',
  ].join('\n')
  writeResults(path.join(repoRoot, 'bench', 'results', 'webgpu.md'), md)
  console.log(md)
}

void main()
