/**
 * The skip-gram update (embeddings/skipgram.ts) as a WebAssembly SIMD kernel built here
 * (wasm-emit.ts). The sampling stays in JS (one seeded PRNG); per title the JS side writes the
 * title's (context, centre, negatives…) tuples and the kernel applies them in order, exactly the
 * word2vec update, four floats at a time:
 *
 *   for each tuple:  grad = 0
 *     for target in [centre, negatives (id −1 = skipped)]:  label = 1 for the centre, else 0
 *       s = σ(in[ctx] · out[target])  (1 above 6, 0 below −6)
 *       g = (label − s) · lr;  grad += g · out[target];  out[target] += g · in[ctx]
 *     in[ctx] += grad
 *
 * Rows are padded to a multiple of 8 floats (two vectors per loop iteration) with zeros, which
 * the update keeps at zero. The dot product accumulates in float32 lanes; σ is computed in float64
 * with the imported Math.exp. Tested against the same update in plain JS:
 * test/unit/ml/kernels/skipgram.test.ts.
 */
import { Code, kernelModule } from './wasm-emit'

// parameters, then locals (wasm-emit numbers them in this order)
const [PAIRS, NPAIRS, K, ROW, IN, OUT, GRAD, LR] = [0, 1, 2, 3, 4, 5, 6, 7]
const [P, BASE, IO, D, TARGET, OO, KB, ACC, DOT, SIG, G, ACC2] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]

/** `for (k = 0; k < rowBytes; k += 32) { body(c, 0); body(c, 16) }` — the byte offset k is in local KB. */
function rowLoop(c: Code, body: (c: Code, off: number) => void): void {
  c.i32(0).set(KB).block().loop()
  c.get(KB).get(ROW).i32LtU().i32Eqz().brIf(1)
  body(c, 0)
  body(c, 16)
  c.get(KB).i32(32).i32Add().set(KB).br(0).end().end()
}

/** `addr + k (+ off)` on the stack. */
const at = (c: Code, addr: number, off = 0): Code => (off ? c.get(addr).get(KB).i32Add().i32(off).i32Add() : c.get(addr).get(KB).i32Add())

function body(): Code {
  const c = new Code()
  c.i32(0).set(P).block().loop()
  c.get(P).get(NPAIRS).i32LtU().i32Eqz().brIf(1)
  // base = pairs + p·(K+2)·4; io = in + ctx·row
  c.get(P).get(K).i32(2).i32Add().i32Mul().i32(4).i32Mul().get(PAIRS).i32Add().set(BASE)
  c.get(BASE).i32Load().get(ROW).i32Mul().get(IN).i32Add().set(IO)
  rowLoop(c, (c, off) => at(c, GRAD, off).v128Zero().v128Store())
  c.i32(0).set(D).block().loop()
  c.get(D).get(K).i32(1).i32Add().i32LtU().i32Eqz().brIf(1)
  // target = tuple[1 + d]
  c.get(BASE).i32(4).get(D).i32(4).i32Mul().i32Add().i32Add().i32Load().set(TARGET)
  c.block()
  c.get(TARGET).i32(0).i32LtS().brIf(0)
  c.get(TARGET).get(ROW).i32Mul().get(OUT).i32Add().set(OO)
  // two accumulators: the adds of one chain wait on each other
  c.v128Zero().set(ACC).v128Zero().set(ACC2)
  rowLoop(c, (c, off) => {
    const acc = off ? ACC2 : ACC
    c.get(acc)
    at(c, IO, off).v128Load()
    at(c, OO, off).v128Load()
    c.f32x4Mul().f32x4Add().set(acc)
  })
  c.get(ACC).get(ACC2).f32x4Add().set(ACC)
  c.get(ACC).f32x4ExtractLane(0).get(ACC).f32x4ExtractLane(1).f32Add()
  c.get(ACC).f32x4ExtractLane(2).f32Add().get(ACC).f32x4ExtractLane(3).f32Add().f64PromoteF32().set(DOT)
  c.get(DOT).f64(6).f64Gt().if().f64(1).set(SIG).else()
  c.get(DOT).f64(-6).f64Lt().if().f64(0).set(SIG).else()
  c.f64(1).f64(1).get(DOT).f64Neg().call(0).f64Add().f64Div().set(SIG)
  c.end().end()
  // g = splat((label − s) · lr), label = (d == 0)
  c.get(D).i32Eqz().f64ConvertI32U().get(SIG).f64Sub().get(LR).f64Mul().f32DemoteF64().f32x4Splat().set(G)
  rowLoop(c, (c, off) => {
    at(c, GRAD, off)
    at(c, GRAD, off).v128Load().get(G)
    at(c, OO, off).v128Load().f32x4Mul().f32x4Add().v128Store()
    at(c, OO, off)
    at(c, OO, off).v128Load().get(G)
    at(c, IO, off).v128Load().f32x4Mul().f32x4Add().v128Store()
  })
  c.end() // skipped target
  c.get(D).i32(1).i32Add().set(D).br(0).end().end()
  rowLoop(c, (c, off) => {
    at(c, IO, off)
    at(c, IO, off).v128Load()
    at(c, GRAD, off).v128Load().f32x4Add().v128Store()
  })
  c.get(P).i32(1).i32Add().set(P).br(0).end().end()
  return c
}

let compiled: WebAssembly.Module | null = null

function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(
    kernelModule({
      params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64'],
      locals: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'v128', 'f64', 'f64', 'v128', 'v128'],
      body: body(),
      importExp: true,
    }),
  )
  return compiled
}

export interface SkipGramKernel {
  /** Floats per row (dim rounded up to a multiple of 8). */
  stride: number
  /** Input vectors `[V · stride]`, in the kernel's memory. */
  input: Float32Array
  /** Output vectors `[V · stride]`. */
  output: Float32Array
  /** Tuples `[ctx, centre, neg₁ … neg_K]` (a negative of −1 is skipped), room for `maxTuples`. */
  tuples: Int32Array
  /** Apply the first `n` tuples, in order, at learning rate `lr`. */
  run(n: number, lr: number): void
}

/** A kernel instance with its own memory for V rows of `dim` and up to `maxTuples` tuples per call. */
export function skipGramKernel(V: number, dim: number, negative: number, maxTuples: number): SkipGramKernel {
  const stride = Math.ceil(dim / 8) * 8
  const row = stride * 4
  const grad = 0
  const inOff = row
  const outOff = inOff + V * row
  const tupOff = outOff + V * row
  const bytes = tupOff + maxTuples * (negative + 2) * 4
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) })
  const instance = new WebAssembly.Instance(module(), { m: { mem: memory, exp: Math.exp } })
  const run = instance.exports.run as (...a: number[]) => void
  return {
    stride,
    input: new Float32Array(memory.buffer, inOff, V * stride),
    output: new Float32Array(memory.buffer, outOff, V * stride),
    tuples: new Int32Array(memory.buffer, tupOff, maxTuples * (negative + 2)),
    run: (n, lr) => run(tupOff, n, negative, row, inOff, outOff, grad, lr),
  }
}
