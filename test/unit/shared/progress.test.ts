// A run's per-epoch history is built once from the trainer's events (shared/progress.ts); the
// run record and the job list both take it from there.
import { describe, expect, it } from 'vitest'
import { backendReason, RunProgress } from '../../../src-main/shared/progress'
import type { TrainingEvent } from '../../../src-main/shared/training'

const dev = (f1: number): { precision: number; recall: number; f1: number } => ({ precision: f1, recall: f1, f1 })

describe('RunProgress', () => {
  it('folds epoch and eval events into one point per epoch, in epoch order; other events change nothing', () => {
    const p = new RunProgress()
    const at = { time: 0 }
    const events = [
      { ...at, kind: 'batch', epoch: 1, step: 1, batch: 1, stepsPerEpoch: 2, loss: 3, charsPerSec: 10, etaSec: 5 },
      { ...at, kind: 'epoch', epoch: 2, step: 4, loss: 1.5, charsPerSec: 120, seconds: 2, etaSec: 0 },
      { ...at, kind: 'epoch', epoch: 1, step: 2, loss: 2.5, charsPerSec: 100, seconds: 3, etaSec: 2 },
      { ...at, kind: 'eval', epoch: 1, step: 2, dev: dev(0.4), best: true, bestF1: 0.4 },
    ] as unknown as TrainingEvent[]
    expect(events.map((e) => p.add(e))).toEqual([false, true, true, true])
    expect(p.epochs).toEqual([
      { epoch: 1, loss: 2.5, seconds: 3, charsPerSec: 100, dev: dev(0.4) },
      { epoch: 2, loss: 1.5, seconds: 2, charsPerSec: 120 },
    ])
    const snap = p.snapshot()
    snap[0]!.loss = 99
    expect(p.epochs[0]!.loss).toBe(2.5)
  })
})

describe('backendReason', () => {
  it('is one sentence for the Train screen and the Runs board: provider, reason, then any warning', () => {
    expect(backendReason({ backendReport: { provider: '@tensorflow/tfjs-backend-wasm', reason: 'first that started' }, warning: 'BERT on a CPU is slow' })).toBe(
      '@tensorflow/tfjs-backend-wasm: first that started; BERT on a CPU is slow',
    )
    expect(backendReason({ backendReport: { reason: 'forced by NER_STUDIO_BACKEND' } })).toBe('forced by NER_STUDIO_BACKEND')
    expect(backendReason({})).toBeNull()
  })
})
