import * as tf from '@tensorflow/tfjs'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { initBackend, type BackendName } from '../../src-main/ml/backend'

/** Tests run on wasm unless NER_STUDIO_TEST_BACKEND says otherwise. */
export async function testBackend(): Promise<string> {
  const want = (process.env.NER_STUDIO_TEST_BACKEND as BackendName | undefined) ?? 'wasm'
  const r = await initBackend(want)
  return r.name
}

export function expectNoLeak<T>(fn: () => T): T {
  const before = tf.memory().numTensors
  const out = fn()
  const after = tf.memory().numTensors
  if (after !== before) throw new Error(`tensor leak: ${before} → ${after}`)
  return out
}

export const repoRoot = path.resolve(__dirname, '..', '..')
export const sharedData = path.resolve(repoRoot, '..', 'shared', 'data')
export const seedSample = path.join(sharedData, 'seed-sample', 'train')
export const hasSeedSample = existsSync(path.join(seedSample, 'input.seq.char'))
