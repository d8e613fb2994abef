/**
 * A small WebAssembly binary writer: enough of the format (MVP + fixed-width SIMD) to build the
 * engine's own kernels in the repo, from TypeScript, with no toolchain. A kernel is one module
 * that imports its memory (`m.mem`: its own, or tfjs-backend-wasm's heap) and optionally
 * `Math.exp` (`m.exp`, f64 → f64), and exports one function `run`. The bytes are validated by the runtime when compiled (`WebAssembly.Module`).
 *
 * Opcodes are those of the WebAssembly 2.0 spec, section 5.4 (binary instructions); SIMD ones are
 * `0xFD` followed by their number as unsigned LEB128.
 */

export type ValType = 'i32' | 'f32' | 'f64' | 'v128'
const TYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b }

export function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

export function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')]
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()]
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body]

/** Function body code. Locals are numbered after the parameters, in the order declared. */
export class Code {
  readonly bytes: number[] = []
  private emit(...b: number[]): this {
    this.bytes.push(...b)
    return this
  }
  get(i: number): this { return this.emit(0x20, ...uleb(i)) }
  set(i: number): this { return this.emit(0x21, ...uleb(i)) }
  tee(i: number): this { return this.emit(0x22, ...uleb(i)) }
  i32(v: number): this { return this.emit(0x41, ...sleb(v | 0)) }
  f64(v: number): this {
    const b = new Uint8Array(8)
    new DataView(b.buffer).setFloat64(0, v, true)
    return this.emit(0x44, ...b)
  }
  /** Structured control: `block`, `loop` and `if` take no values and give none (block type 0x40). */
  block(): this { return this.emit(0x02, 0x40) }
  loop(): this { return this.emit(0x03, 0x40) }
  if(): this { return this.emit(0x04, 0x40) }
  else(): this { return this.emit(0x05) }
  end(): this { return this.emit(0x0b) }
  br(depth: number): this { return this.emit(0x0c, ...uleb(depth)) }
  brIf(depth: number): this { return this.emit(0x0d, ...uleb(depth)) }
  call(f: number): this { return this.emit(0x10, ...uleb(f)) }
  // memory: the offset immediate is always 0 (addresses are computed), alignment hints are natural
  i32Load(): this { return this.emit(0x28, 2, 0) }
  // i32
  i32Eqz(): this { return this.emit(0x45) }
  i32LtS(): this { return this.emit(0x48) }
  i32LtU(): this { return this.emit(0x49) }
  i32Add(): this { return this.emit(0x6a) }
  i32Mul(): this { return this.emit(0x6c) }
  // f64
  f64Lt(): this { return this.emit(0x63) }
  f64Gt(): this { return this.emit(0x64) }
  f64Neg(): this { return this.emit(0x9a) }
  f64Add(): this { return this.emit(0xa0) }
  f64Sub(): this { return this.emit(0xa1) }
  f64Mul(): this { return this.emit(0xa2) }
  f64Div(): this { return this.emit(0xa3) }
  f32Add(): this { return this.emit(0x92) }
  f32DemoteF64(): this { return this.emit(0xb6) }
  f64PromoteF32(): this { return this.emit(0xbb) }
  f64ConvertI32U(): this { return this.emit(0xb8) }
  // SIMD (v128 accesses are hinted 4-byte aligned: the kernels keep rows 16-byte aligned anyway)
  v128Load(): this { return this.emit(0xfd, 0x00, 2, 0) }
  v128Store(): this { return this.emit(0xfd, 0x0b, 2, 0) }
  v128Zero(): this { return this.emit(0xfd, 0x0c, ...new Array<number>(16).fill(0)) }
  f32x4Splat(): this { return this.emit(0xfd, 0x13) }
  f32x4ExtractLane(lane: number): this { return this.emit(0xfd, 0x1f, lane) }
  f32x4Sqrt(): this { return this.emit(0xfd, ...uleb(0xe3)) }
  f32x4Add(): this { return this.emit(0xfd, ...uleb(0xe4)) }
  f32x4Sub(): this { return this.emit(0xfd, ...uleb(0xe5)) }
  f32x4Mul(): this { return this.emit(0xfd, ...uleb(0xe6)) }
  f32x4Div(): this { return this.emit(0xfd, ...uleb(0xe7)) }
}

export interface KernelSpec {
  params: ValType[]
  locals: ValType[]
  body: Code
  /** Import `Math.exp` as function 0 (f64 → f64); `run` is then function 1. */
  importExp: boolean
}

/** The module's bytes: imports `m.mem` (and `m.exp`), exports `run`. */
export function kernelModule(spec: KernelSpec): Uint8Array<ArrayBuffer> {
  const types = [[0x60, ...vec(spec.params.map((t) => [TYPE[t]])), 0]]
  if (spec.importExp) types.unshift([0x60, 1, TYPE.f64, 1, TYPE.f64])
  const runType = spec.importExp ? 1 : 0
  const imports = [[...name('m'), ...name('mem'), 0x02, 0x00, 1]]
  if (spec.importExp) imports.unshift([...name('m'), ...name('exp'), 0x00, 0])
  const runIndex = spec.importExp ? 1 : 0
  // locals: one run-length group per local
  const locals = vec(spec.locals.map((t) => [1, TYPE[t]]))
  const body = [...locals, ...spec.body.bytes, 0x0b]
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec([uleb(runType)])),
    ...section(7, vec([[...name('run'), 0x00, ...uleb(runIndex)]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ])
}
