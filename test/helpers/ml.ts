import type * as tf from '@tensorflow/tfjs'
import { initBackend, type BackendName } from '../../src-main/ml/backend'
import type { Tagger } from '../../src-main/ml/models/tagger'
import type { GroupedAdam } from '../../src-main/ml/train/optimizer'

/** Tests run on wasm unless NER_STUDIO_TEST_BACKEND says otherwise. */
export async function testBackend(): Promise<string> {
  const want = (process.env.NER_STUDIO_TEST_BACKEND as BackendName | undefined) ?? 'wasm'
  const r = await initBackend(want)
  return r.name
}

/**
 * The loss of one step and the gradients it hands the optimiser (by variable name), captured by a
 * stand-in optimiser that applies nothing: `step` runs `trainStep` with it.
 */
export function stepGradients(model: Tagger, step: (opt: GroupedAdam) => number): { loss: number; grads: Record<string, Float32Array> } {
  let grads: Record<string, Float32Array> = {}
  const capture = {
    variables: [...model.groups.encoder, ...model.groups.heads],
    apply: (g: tf.NamedTensorMap) => {
      grads = Object.fromEntries(Object.entries(g).map(([n, t]) => [n, t.dataSync().slice() as Float32Array]))
      return []
    },
  } as unknown as GroupedAdam
  const loss = step(capture)
  return { loss, grads }
}

/** Largest |a − b| over every gradient of `a`, and the largest |a| (so two sets of zeros cannot pass as equal). */
export function gradientGap(a: Record<string, Float32Array>, b: Record<string, Float32Array>): { maxDiff: number; maxAbs: number } {
  let maxDiff = 0
  let maxAbs = 0
  for (const n of Object.keys(a))
    a[n]!.forEach((x, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(x - b[n]![i]!))
      maxAbs = Math.max(maxAbs, Math.abs(x))
    })
  return { maxDiff, maxAbs }
}
