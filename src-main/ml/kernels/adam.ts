/**
 * Adam as ONE pass over each parameter, on the wasm heap. tfjs's Adam is a chain of ~12 elementwise
 * ops, each reading and writing a whole tensor (≈ 8 ns a parameter here: 19 ms of a bilstm-crf step,
 * 53 ms of `auto`'s with its 4.6 M-float bigram table); global-norm clipping adds three more passes.
 * Here the squared norm is one read of each gradient (float64 sums) and the update one loop:
 *
 *   g' = g · scale                      (the clipping factor, 1 when off)
 *   m' = β1·m + (1 − β1)·g'
 *   v' = β2·v + (1 − β2)·g'²
 *   w' = w − lr · (m' / (1 − β1ᵗ)) / (√(v' / (1 − β2ᵗ)) + ε)
 *
 * — tfjs's formulas (bias-corrected moments, ε outside the root), in float32 as tfjs's ops, four
 * floats at a time (the last n mod 4 in JS). w', m', v' are NEW tensors (the kernel writes no input in place: a
 * variable's data may be shared with a clone, e.g. a checkpoint snapshot). Other backends keep
 * tfjs's Adam (train/optimizer.ts chooses). Equal to tf.train.adam over several clipped steps:
 * test/unit/ml/kernels/adam.test.ts.
 */
import * as tf from '@tensorflow/tfjs'
import type { WasmHeap as HeapKernelBackend } from './wasm-heap'
import { Code, kernelModule } from './wasm-emit'

/** wasm-heap.ts's view of the backend, plus where a tensor lives and the module's memory. */
interface WasmHeap extends HeapKernelBackend {
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number } | undefined }
  wasm: { asm?: { memory?: WebAssembly.Memory } }
}

export interface AdamStepAttrs {
  lr: number
  beta1: number
  beta2: number
  epsilon: number
  /** Gradient factor (global-norm clipping); 1 = none. */
  scale: number
  /** 1 − β1ᵗ and 1 − β2ᵗ at this step t (1-based). */
  correction1: number
  correction2: number
}

const KERNEL = 'NerStudioFusedAdam'

// run(w, m, v, g, wo, mo, vo: byte addresses; bytes: a multiple of 16; S, B1, K1, B2, K2, A, C, E: f32)
const [W, M, V, G, WO, MO, VO, BYTES] = [0, 1, 2, 3, 4, 5, 6, 7]
const [S, B1, K1, B2, K2, A, C, E] = [8, 9, 10, 11, 12, 13, 14, 15]
const [I, GS, M1, V1] = [16, 17, 18, 19]
/** Locals 20–27 hold the f32 parameters S…E splatted to four lanes, in the same order. */
const sp = (p: number): number => p - S + 20

/** The update four floats at a time, in f32 (as tfjs's ops): m, v and w of the header with
 *  A = lr/(1 − β1ᵗ), C = 1/(1 − β2ᵗ): w' = w − (m'·A) / (√(v'·C) + ε). */
function body(): Code {
  const c = new Code()
  for (const p of [S, B1, K1, B2, K2, A, C, E]) c.get(p).f32x4Splat().set(sp(p))
  const at = (base: number): Code => c.get(base).get(I).i32Add()
  c.i32(0).set(I).block().loop()
  c.get(I).get(BYTES).i32LtU().i32Eqz().brIf(1)
  at(G).v128Load().get(sp(S)).f32x4Mul().set(GS)
  at(MO)
  at(M).v128Load().get(sp(B1)).f32x4Mul().get(GS).get(sp(K1)).f32x4Mul().f32x4Add().tee(M1).v128Store()
  at(VO)
  at(V)
    .v128Load()
    .get(sp(B2))
    .f32x4Mul()
    .get(GS)
    .get(GS)
    .f32x4Mul()
    .get(sp(K2))
    .f32x4Mul()
    .f32x4Add()
    .tee(V1)
    .v128Store()
  at(WO)
  at(W).v128Load()
  c.get(M1).get(sp(A)).f32x4Mul()
  c.get(V1).get(sp(C)).f32x4Mul().f32x4Sqrt().get(sp(E)).f32x4Add()
  c.f32x4Div().f32x4Sub().v128Store()
  c.get(I).i32(16).i32Add().set(I).br(0).end().end()
  return c
}

let compiled: WebAssembly.Module | null = null
let instance: { memory: WebAssembly.Memory; run: (...a: number[]) => void } | null = null

/** The kernel bound to tfjs-backend-wasm's memory (null when that memory is not reachable). */
function kernelFor(backend: WasmHeap): typeof instance {
  const memory = backend.wasm.asm?.memory
  if (!(memory instanceof WebAssembly.Memory)) return null
  if (instance?.memory === memory) return instance
  compiled ??= new WebAssembly.Module(
    kernelModule({
      params: [...new Array<'i32'>(8).fill('i32'), ...new Array<'f32'>(8).fill('f32')],
      locals: ['i32', 'v128', 'v128', 'v128', ...new Array<'v128'>(8).fill('v128')],
      body: body(),
      importExp: false,
    }),
  )
  const inst = new WebAssembly.Instance(compiled, { m: { mem: memory } })
  instance = { memory, run: inst.exports.run as (...a: number[]) => void }
  return instance
}

let registered = false

/** Whether the fused update runs on the current backend. */
export const fusedAdamActive = (): boolean => registered && tf.getBackend() === 'wasm'

function adamKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { w, m, v, g } = args.inputs as Record<'w' | 'm' | 'v' | 'g', tf.TensorInfo>
  const a = args.attrs as unknown as AdamStepAttrs
  const backend = args.backend as unknown as WasmHeap
  const outs = [
    backend.makeOutput(w.shape, 'float32'),
    backend.makeOutput(w.shape, 'float32'),
    backend.makeOutput(w.shape, 'float32'),
  ]
  const n = w.shape.reduce((x, y) => x * y, 1)
  const k = kernelFor(backend)!
  const addr = (t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset
  const f = (x: number): number => Math.fround(x)
  const [S_, B1_, K1_, B2_, K2_, A_, C_, E_] = [
    a.scale,
    a.beta1,
    1 - a.beta1,
    a.beta2,
    1 - a.beta2,
    a.lr / a.correction1,
    1 / a.correction2,
    a.epsilon,
  ].map(f)
  const body4 = n - (n % 4)
  k.run(
    addr(w),
    addr(m),
    addr(v),
    addr(g),
    addr(outs[0]!),
    addr(outs[1]!),
    addr(outs[2]!),
    body4 * 4,
    S_,
    B1_,
    K1_,
    B2_,
    K2_,
    A_,
    C_,
    E_,
  )
  // the last n mod 4 values in JS (views after makeOutput: it may grow the heap)
  if (body4 < n) {
    const [wi, mi, vi, gi, wo, mo, vo] = [w, m, v, g, ...outs].map(
      (t) => backend.typedArrayFromHeap(t) as Float32Array,
    )
    for (let i = body4; i < n; i++) {
      const gs = f(gi![i]! * S_!)
      const m1 = f(f(mi![i]! * B1_!) + f(gs * K1_!))
      const v1 = f(f(vi![i]! * B2_!) + f(f(gs * gs) * K2_!))
      mo![i] = m1
      vo![i] = v1
      wo![i] = wi![i]! - f(m1 * A_!) / (Math.sqrt(v1 * C_!) + E_!)
    }
  }
  return outs
}

/** Register the fused update for the wasm backend (idempotent; a no-op elsewhere). */
export function registerFusedAdam(): void {
  if (registered || tf.getBackend() !== 'wasm' || !kernelFor(tf.backend() as unknown as WasmHeap)) return
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: adamKernel as unknown as tf.KernelFunc,
  })
  registered = true
}

/** One Adam update of a float32 parameter: the new [w, m, v] (the inputs are left as they are). */
export function fusedAdamStep(
  w: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  attrs: AdamStepAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (!fusedAdamActive()) throw new Error('the fused Adam update needs the wasm backend')
  for (const t of [m, v, g]) {
    if (t.size !== w.size) throw new Error(`Adam: a tensor of ${t.size} values for a parameter of ${w.size}`)
  }
  const inputs = { w, m, v, g } as unknown as tf.NamedTensorMap
  return tf.engine().runKernel(KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ]
}

/** Σ x² over all the tensors (float64, read off the wasm heap; no tensor made). */
export function sumOfSquares(xs: readonly tf.Tensor[]): number {
  if (!fusedAdamActive()) throw new Error('sumOfSquares reads the wasm heap')
  const backend = tf.backend() as unknown as WasmHeap
  let s = 0
  for (const x of xs) {
    const a = backend.typedArrayFromHeap(x as unknown as tf.TensorInfo) as Float32Array
    // four accumulators: one chain of adds waits on itself (≈ 4× slower)
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0
    const n4 = a.length - (a.length % 4)
    for (let i = 0; i < n4; i += 4) {
      s0 += a[i]! * a[i]!
      s1 += a[i + 1]! * a[i + 1]!
      s2 += a[i + 2]! * a[i + 2]!
      s3 += a[i + 3]! * a[i + 3]!
    }
    for (let i = n4; i < a.length; i++) s0 += a[i]! * a[i]!
    s += s0 + s1 + s2 + s3
  }
  return s
}
