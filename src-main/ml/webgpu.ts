/**
 * tfjs's WebGPU backend on Node, over Dawn (the `webgpu` npm package ships dawn.node prebuilt): a
 * GPU path that needs no CUDA or libtensorflow download.
 *
 * Opt-in only (`NER_STUDIO_BACKEND=webgpu`): it joins the default ladder of ./backend.ts only once
 * measured to train as wasm does (same loss curve) and faster, which `npm run bench webgpu`
 * measures (bench/results/webgpu.md). Neither package is a dependency — dawn.node is 132 MB over
 * its platforms — so `npm run bench webgpu -- --install` adds them without saving them.
 */
import * as tf from '@tensorflow/tfjs'
import path from 'node:path'

interface Dawn {
  create(flags: string[]): { requestAdapter(o?: object): Promise<GpuAdapter | null> }
  globals: Record<string, unknown>
}
interface GpuAdapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string }
}

/** What Dawn found: the adapter's words, or null with the reason when there is none. */
export interface WebGpuProbe {
  adapter: string | null
  reason?: string
}

function loadDawn(): Dawn {
  let dir: string
  try {
    dir = path.dirname(require.resolve('webgpu/package.json'))
  } catch {
    throw new Error("the 'webgpu' package (Dawn for Node) is not installed: npm install --no-save webgpu @tensorflow/tfjs-backend-webgpu")
  }
  const arch = process.platform === 'darwin' ? 'universal' : process.arch
  // the package's own entry is ESM; its native module is the same file either way
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node')) as Dawn
}

let gpu: ReturnType<Dawn['create']> | null = null

/** Load Dawn and ask it for an adapter (no tfjs involved). Throws only when Dawn cannot load. */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  if (!gpu) {
    const dawn = loadDawn()
    Object.assign(globalThis, dawn.globals)
    gpu = dawn.create([])
  }
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' })
  if (!a) return { adapter: null, reason: 'Dawn found no WebGPU adapter (no GPU, or no Vulkan/Metal/D3D12 driver that offers one)' }
  const i = a.info ?? {}
  return { adapter: [i.vendor, i.architecture, i.device, i.description].filter((s) => s).join(' / ') || 'unnamed adapter' }
}

/** Make `webgpu` the active tfjs backend, or throw why it cannot be. */
export async function startWebGpu(): Promise<string> {
  const probe = await probeWebGpu()
  if (!probe.adapter) throw new Error(probe.reason)
  // tfjs-backend-webgpu registers itself at import only when navigator.gpu exists (Node 20 has no navigator)
  const g = globalThis as { navigator?: object }
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true })
  else g.navigator = { gpu }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-webgpu')
  } catch (e) {
    throw new Error(`@tensorflow/tfjs-backend-webgpu could not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error("backend 'webgpu' did not initialise")
  await tf.ready()
  return probe.adapter
}
