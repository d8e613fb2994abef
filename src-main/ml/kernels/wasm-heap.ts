/**
 * Two wasm kernels replaced where the stock ones leave the fast path (measured by profiling a
 * BiLSTM training step, 1,001 tags, seed-sample, see bench/results/train.md):
 *
 * - GatherV2 along axis 0 (embedding lookups, the per-title reversal of the backward LSTM): the
 *   stock kernel walks every element through a generic index loop — 1,984 rows × 1,200 floats
 *   took ~66× longer than copying the rows through a heap view, which is what this one does.
 * - Sum over LEADING axes (every bias gradient: `dy [B·L, N]` summed over the rows): the stock
 *   kernel transposes the reduced axes to the end, then reduces; column sums straight off the heap
 *   (float64 accumulators) are ~4× faster. (Not `ones[1, M] × X` on matMul: the wasm matMul
 *   caches its packed right operand by tensor id, so a tensor summed twice with different
 *   groupings got the first grouping's stale operator.)
 *
 * Every other case (other axes, dtypes, batchDims) goes to the stock kernel, kept as the fallback.
 * Equality with the stock kernels: test/unit/ml/kernels/wasm-heap.test.ts.
 */
import * as tf from '@tensorflow/tfjs'

/** The parts of tfjs-backend-wasm's backend that the heap kernels use (here and in adam.ts). */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array
  disposeData(dataId: tf.DataId): void
}

type KernelArgs = Parameters<tf.KernelFunc>[0]

function heapGather(x: tf.TensorInfo, indices: tf.TensorInfo, backend: WasmHeap): tf.TensorInfo {
  const rows = x.shape[0]!
  const row = x.shape.slice(1).reduce((a, c) => a * c, 1)
  const n = indices.shape.reduce((a, c) => a * c, 1)
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype)
  if (n === 0 || row === 0) return out
  // views AFTER makeOutput (it may grow the heap and detach older views)
  const xv = backend.typedArrayFromHeap(x)
  const iv = backend.typedArrayFromHeap(indices)
  const ov = backend.typedArrayFromHeap(out)
  for (let k = 0; k < n; k++) {
    const r = iv[k]!
    if (r < 0 || r >= rows) {
      backend.disposeData(out.dataId)
      throw new Error(`GatherV2: index ${r} is not in [0, ${rows})`)
    }
    ov.set(xv.subarray(r * row, (r + 1) * row), k * row)
  }
  return out
}

/** Σ over the leading `k` axes of x: column sums of x viewed as [M, N], accumulated in float64. */
function leadingSum(x: tf.TensorInfo, k: number, keepDims: boolean, backend: WasmHeap): tf.TensorInfo {
  const M = x.shape.slice(0, k).reduce((a, c) => a * c, 1)
  const rest = x.shape.slice(k)
  const N = rest.reduce((a, c) => a * c, 1)
  const out = backend.makeOutput(keepDims ? [...new Array<number>(k).fill(1), ...rest] : rest, 'float32')
  const xv = backend.typedArrayFromHeap(x) as Float32Array
  const acc = new Float64Array(N)
  for (let r = 0; r < M; r++) {
    const off = r * N
    for (let c = 0; c < N; c++) acc[c]! += xv[off + c]!
  }
  ;(backend.typedArrayFromHeap(out) as Float32Array).set(acc)
  return out
}

let registered = false
/** Whether the kernels above replace the stock ones in this process. */
export const wasmHeapKernelsActive = (): boolean => registered

/** Replace wasm's GatherV2 and Sum kernels by the versions above (idempotent; wasm only). */
export function registerWasmHeapKernels(): void {
  if (registered) return
  const stockGather = tf.getKernel('GatherV2', 'wasm')
  const stockSum = tf.getKernel('Sum', 'wasm')
  if (!stockGather || !stockSum) return
  registered = true
  tf.unregisterKernel('GatherV2', 'wasm')
  tf.registerKernel({
    kernelName: 'GatherV2',
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo }
      const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims?: number }
      const ax = axis < 0 ? axis + x.shape.length : axis
      const fast = ax === 0 && (batchDims ?? 0) === 0 && x.shape.length >= 1 && (x.dtype === 'float32' || x.dtype === 'int32') && indices.dtype === 'int32'
      return fast ? heapGather(x, indices, args.backend as unknown as WasmHeap) : stockGather.kernelFunc(args)
    },
  })
  tf.unregisterKernel('Sum', 'wasm')
  tf.registerKernel({
    kernelName: 'Sum',
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { x } = args.inputs as { x: tf.TensorInfo }
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean }
      const rank = x.shape.length
      const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b)
      const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i)
      const M = x.shape.slice(0, axes.length).reduce((a, c) => a * c, 1)
      if (x.dtype !== 'float32' || !leading || M < 2) return stockSum.kernelFunc(args)
      return leadingSum(x, axes.length, keepDims, args.backend as unknown as WasmHeap)
    },
  })
}
