/**
 * Backend choice for the tagging engine.
 *
 * Order: tfjs-node-gpu → tfjs-node → wasm → cpu. Each native binding is `require`d inside a try so
 * a missing optional dependency (its install downloads libtensorflow, which fails offline) only
 * records why it was skipped. `NER_STUDIO_BACKEND=cpu|wasm|tensorflow|webgpu` forces one backend
 * (`tensorflow` = tfjs-node-gpu or tfjs-node; `webgpu` = tfjs's WebGPU over Dawn, opt-in only:
 * ./webgpu.ts says why).
 *
 * On wasm two gradients are replaced (globally; they are correct on every backend):
 * - GatherV2 (embedding lookup): the stock gradient needs `UnsortedSegmentSum`, which wasm lacks;
 *   ours uses `scatterND`, which sums duplicate indices.
 * - BatchMatMul: wasm's matMul with transpose flags (and 3-D batches) leaves the XNNPACK fast
 *   path and is ~10× slower; ours materialises the transposes and calls plain 2-D matMul.
 * and two wasm kernels are replaced: Slice and SplitV. The stock Slice copies its WHOLE input out
 * of the wasm heap (`readSync`) for every slice, so taking step t of a [L, B, 4H] tensor costs
 * O(L·B·H) and an LSTM's per-step slicing O(L²); ours reads the input through a heap view.
 * GatherV2 and Sum are replaced too, in kernels/wasm-heap.ts (why there).
 */
import * as tf from '@tensorflow/tfjs'
import path from 'node:path'
import { registerFusedAdam } from './kernels/adam'
import { registerWasmHeapKernels } from './kernels/wasm-heap'
import { startWebGpu } from './webgpu'

export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'webgpu'
interface BackendAttempt {
  name: string
  ok: boolean
  error?: string
}
export interface BackendReport {
  /** tfjs backend name actually active (`tensorflow`, `wasm`, `cpu`). */
  name: string
  /** Which package provided it, e.g. `@tensorflow/tfjs-node-gpu`. */
  provider: string
  /** Why this one was chosen (forced by env/argument, or first that worked). */
  reason: string
  tried: BackendAttempt[]
}

let current: BackendReport | null = null

function errText(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e)
  return s.split('\n')[0]!.slice(0, 300)
}

/** Replace the Gather and MatMul gradients by wasm-friendly ones (idempotent). */
function registerWasmFriendlyGradients(): void {
  if (patched) return
  patched = true
  const origGather = tf.getGradient('GatherV2')
  tf.registerGradient({
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved as [tf.Tensor, tf.Tensor]
      const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number }
      const ax = axis < 0 ? axis + x.rank : axis
      if (ax !== 0 || (batchDims ?? 0) !== 0) {
        if (!origGather) throw new Error('no stock GatherV2 gradient')
        return origGather.gradFunc(dy, saved, attrs)
      }
      return {
        x: () => {
          const d = dy as tf.Tensor
          const n = indices.size
          const inner = x.shape.slice(1)
          const values = tf.reshape(d, [n, ...inner])
          const idx = tf.reshape(tf.cast(indices, 'int32'), [n, 1])
          return tf.scatterND(idx, values, x.shape)
        },
        indices: () => tf.zerosLike(indices),
      }
    },
  })
  const origMatMul = tf.getGradient('BatchMatMul')
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor]
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean }
      if (a.rank !== 2 || b.rank !== 2 || transposeA || transposeB) {
        if (!origMatMul) throw new Error('no stock BatchMatMul gradient')
        return origMatMul.gradFunc(dy, saved, attrs)
      }
      const d = dy as tf.Tensor2D
      return {
        a: () => tf.matMul(d, tf.transpose(b as tf.Tensor2D)),
        b: () => tf.matMul(tf.transpose(a as tf.Tensor2D), d),
      }
    },
  })
}
let patched = false

interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array
}

function heapSlice(x: tf.TensorInfo, begin: number[], size: number[], backend: WasmBackendInternals): tf.TensorInfo {
  const rank = x.shape.length
  const b = x.shape.map((_, i) => begin[i] ?? 0)
  const sz = x.shape.map((d, i) => (size[i] === undefined || size[i] === -1 ? d - b[i]! : size[i]!))
  const out = backend.makeOutput(sz, x.dtype)
  const n = sz.reduce((a, c) => a * c, 1)
  if (n === 0) return out
  // views AFTER makeOutput (it may grow the heap and detach older views)
  const xv = backend.typedArrayFromHeap(x)
  const ov = backend.typedArrayFromHeap(out)
  const strides = new Array<number>(rank).fill(1)
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * x.shape[i + 1]!
  // innermost contiguous run: trailing dims taken whole
  let inner = rank - 1
  let run = sz[rank - 1]!
  while (inner > 0 && sz[inner] === x.shape[inner] && b[inner] === 0) {
    inner--
    run *= sz[inner]!
  }
  if (rank === 0) {
    ov.set(xv.subarray(0, 1))
    return out
  }
  const outer = sz.slice(0, inner)
  const count = outer.reduce((a, c) => a * c, 1)
  const idx = new Array<number>(inner).fill(0)
  let o = 0
  for (let k = 0; k < count; k++) {
    let off = b[inner]! * strides[inner]!
    for (let i = 0; i < inner; i++) off += (b[i]! + idx[i]!) * strides[i]!
    for (let i = inner + 1; i < rank; i++) off += b[i]! * strides[i]!
    ov.set(xv.subarray(off, off + run), o)
    o += run
    for (let i = inner - 1; i >= 0; i--) {
      if (++idx[i]! < sz[i]!) break
      idx[i] = 0
    }
  }
  return out
}

let kernelsPatched = false
/** Replace wasm's Slice/SplitV kernels by heap-view versions (see module doc). */
function registerWasmFastSlice(): void {
  if (kernelsPatched) return
  kernelsPatched = true
  tf.unregisterKernel('Slice', 'wasm')
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const x = inputs.x as tf.TensorInfo
      const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] }
      const bArr = typeof begin === 'number' ? [begin] : begin
      const sArr = typeof size === 'number' ? [size] : size
      if (x.dtype === 'string') throw new Error('string slice not supported by the fast wasm Slice')
      return heapSlice(x, bArr, sArr, backend as unknown as WasmBackendInternals)
    },
  })
  tf.unregisterKernel('SplitV', 'wasm')
  tf.registerKernel({
    kernelName: 'SplitV',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const x = inputs.x as tf.TensorInfo
      const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number }
      const ax = axis < 0 ? axis + x.shape.length : axis
      const sizes = typeof numOrSizeSplits === 'number' ? new Array<number>(numOrSizeSplits).fill(x.shape[ax]! / numOrSizeSplits) : [...numOrSizeSplits]
      const neg = sizes.indexOf(-1)
      if (neg >= 0) sizes[neg] = x.shape[ax]! - sizes.reduce((a, c) => a + (c === -1 ? 0 : c), 0)
      const begin = new Array<number>(x.shape.length).fill(0)
      return sizes.map((s) => {
        const size = [...x.shape]
        size[ax] = s
        const out = heapSlice(x, begin, size, backend as unknown as WasmBackendInternals)
        begin[ax]! += s
        return out
      })
    },
  })
}

async function tryNative(pkg: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(pkg)
  const ok = await tf.setBackend('tensorflow')
  if (!ok) throw new Error(`${pkg} loaded but backend 'tensorflow' did not initialise`)
  await tf.ready()
}

async function tryWasm(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))
  wasm.setWasmPaths(dir + path.sep)
  const ok = await tf.setBackend('wasm')
  if (!ok) throw new Error("backend 'wasm' did not initialise")
  await tf.ready()
  registerWasmFriendlyGradients()
  registerWasmFastSlice()
  registerWasmHeapKernels()
  registerFusedAdam()
}

async function tryCpu(): Promise<void> {
  const ok = await tf.setBackend('cpu')
  if (!ok) throw new Error("backend 'cpu' did not initialise")
  await tf.ready()
}

/**
 * Initialise the best available backend (or the one forced by `prefer` / `NER_STUDIO_BACKEND`).
 * Safe to call more than once: later calls return the first report unless `prefer` differs.
 */
export async function initBackend(prefer?: BackendName): Promise<BackendReport> {
  const forced = (prefer ?? (process.env.NER_STUDIO_BACKEND as BackendName | undefined)) || undefined
  if (forced && !['cpu', 'wasm', 'tensorflow', 'webgpu'].includes(forced)) {
    throw new Error(`NER_STUDIO_BACKEND must be cpu, wasm, tensorflow or webgpu, not '${forced}'`)
  }
  if (current && (!forced || current.name === forced)) return current
  const candidates: { name: string; backend: BackendName; run: () => Promise<void>; optIn?: boolean }[] = [
    { name: '@tensorflow/tfjs-node-gpu', backend: 'tensorflow', run: () => tryNative('@tensorflow/tfjs-node-gpu') },
    { name: '@tensorflow/tfjs-node', backend: 'tensorflow', run: () => tryNative('@tensorflow/tfjs-node') },
    { name: '@tensorflow/tfjs-backend-wasm', backend: 'wasm', run: tryWasm },
    { name: '@tensorflow/tfjs-backend-cpu', backend: 'cpu', run: tryCpu },
    { name: '@tensorflow/tfjs-backend-webgpu', backend: 'webgpu', run: async () => void (await startWebGpu()), optIn: true },
  ]
  const tried: BackendAttempt[] = []
  for (const c of candidates) {
    if (forced ? c.backend !== forced : c.optIn) {
      tried.push({ name: c.name, ok: false, error: forced ? `skipped: NER_STUDIO_BACKEND/prefer=${forced}` : 'opt-in only (NER_STUDIO_BACKEND=webgpu)' })
      continue
    }
    try {
      await c.run()
      tried.push({ name: c.name, ok: true })
      current = {
        name: tf.getBackend(),
        provider: c.name,
        reason: forced ? `forced (${forced})` : 'first available in order tfjs-node-gpu → tfjs-node → wasm → cpu',
        tried,
      }
      return current
    } catch (e) {
      tried.push({ name: c.name, ok: false, error: errText(e) })
    }
  }
  throw new Error(`no tfjs backend could start: ${tried.map((t) => `${t.name}: ${t.error}`).join('; ')}`)
}

/** The report of the last successful `initBackend`, or null. */
export function backendReport(): BackendReport | null {
  return current
}
