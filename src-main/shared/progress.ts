// A run's per-epoch history, built ONCE from its trainer events (services/runs/training.ts, which
// records it in the run) and forwarded with each event to whoever follows the run (the Studio's
// job list, services/runs/jobs.ts). PURE TypeScript.

import type { EpochPoint } from './runs'
import type { TrainingEvent } from './training'

/**
 * Why a run trains on its backend, in one sentence for every screen (the Train screen's job and the
 * run record the Runs board shows): "provider: reason; warning", from the trainer's `started` event.
 */
export function backendReason(e: { backendReport?: unknown; warning?: string | null }): string | null {
  const rep = e.backendReport as { reason?: string; provider?: string } | undefined
  return [[rep?.provider, rep?.reason].filter(Boolean).join(': '), e.warning].filter(Boolean).join('; ') || null
}

export class RunProgress {
  /** One point per epoch, in epoch order: loss, seconds and chars/s from `epoch`, dev from `eval`. */
  readonly epochs: EpochPoint[] = []

  /** Fold one trainer event in; true when the history changed. */
  add(e: TrainingEvent): boolean {
    if (e.kind === 'epoch') {
      Object.assign(this.point(e.epoch), { loss: e.loss, seconds: e.seconds, charsPerSec: e.charsPerSec })
      return true
    }
    if (e.kind === 'eval') {
      this.point(e.epoch).dev = e.dev
      return true
    }
    return false
  }

  /** A copy of the history (for a job snapshot that must not change under its reader). */
  snapshot(): EpochPoint[] {
    return this.epochs.map((p) => ({ ...p }))
  }

  private point(epoch: number): EpochPoint {
    let p = this.epochs.find((x) => x.epoch === epoch)
    if (!p) {
      this.epochs.push((p = { epoch }))
      this.epochs.sort((a, b) => a.epoch - b.epoch)
    }
    return p
  }
}
