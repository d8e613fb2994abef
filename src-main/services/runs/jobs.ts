// Training jobs kept by the Studio. Jobs live in the main/server process (this object)
// and the trainer child process, never in a window: a window that reopens asks `train.jobs` and
// shows a running job again. ONE job at a time: a second `train.start` answers `busy` (the machine
// this runs on has few cores and the trainer uses them all; a queue can come later).

import { StudioError } from '../../shared/errors'
import type { TrainJob, TrainProgress, TrainStartRequest } from '../../shared/runs'
import { backendReason, type RunProgress } from '../../shared/progress'
import type { TrainingEvent } from '../../shared/training'
import type { DB } from '../../store/db'
import type { StartOptions } from '../../trainer/host'
import { startTraining, type RunningTraining } from './training'

const KEEP_JOBS = 20
const MAX_BATCH_POINTS = 400

export class TrainingJobs {
  private jobs: TrainJob[] = []
  private running: { job: TrainJob; run: RunningTraining } | null = null

  constructor(
    private readonly emit: (p: TrainProgress) => void,
    private readonly runsChanged: () => void,
    private readonly startOptions: () => StartOptions = () => ({}),
  ) {}

  /** The running job, if any. */
  get active(): TrainJob | null {
    return this.running?.job ?? null
  }

  /** This session's jobs, newest first (the running one, then finished ones). */
  list(): TrainJob[] {
    return this.jobs.map((j) => ({ ...j, history: j.history.map((h) => ({ ...h })), batchLoss: j.batchLoss.slice() }))
  }

  start(db: DB, req: TrainStartRequest): TrainJob {
    if (this.running) throw new StudioError('busy', `run ${this.running.job.runId} is training; cancel it or wait until it ends`)
    let job: TrainJob | null = null
    const early: [TrainingEvent, RunProgress][] = []
    // About 100 loss points per epoch for the chart, unless the config says otherwise.
    const overrides = { ...req.overrides }
    if (overrides.logEvery === undefined) {
      const n = (
        db.prepare(`SELECT count(*) AS n FROM titles WHERE split = ?${req.data === 'reviewed' ? " AND status = 'reviewed'" : ''}`).get(req.trainSplit ?? 'train') as { n: number }
      ).n
      overrides.logEvery = Math.max(1, Math.round(n / (overrides.batchSize ?? 32) / 100))
    }
    const run = startTraining(
      db,
      {
        preset: req.preset,
        overrides,
        data: {
          titles: req.data ?? 'all',
          ...(req.devSplit ? { devSplit: req.devSplit } : {}),
          ...(req.trainSplit ? { trainSplit: req.trainSplit } : {}),
        },
        ...(req.backend ? { backend: req.backend } : {}),
        ...(req.bert ? { bert: req.bert } : {}),
        ...(req.from !== undefined ? { from: req.from } : {}),
      },
      (_runId, e, progress) => {
        if (!job) early.push([e, progress])
        else this.onEvent(job, e, progress)
      },
      this.startOptions(),
    )
    job = {
      runId: run.runId,
      preset: req.preset,
      state: 'running',
      cancelling: false,
      startedAt: Date.now(),
      finishedAt: null,
      backend: null,
      backendReason: null,
      trainExamples: null,
      devExamples: null,
      epochs: null,
      stepsPerEpoch: null,
      progress: 0,
      etaSec: null,
      lastLoss: null,
      workers: null,
      charsPerSec: null,
      history: [],
      batchLoss: [],
      best: null,
      error: null,
    }
    this.running = { job, run }
    this.jobs.unshift(job)
    this.jobs.length = Math.min(this.jobs.length, KEEP_JOBS)
    for (const [e, progress] of early) this.onEvent(job, e, progress)
    const j = job
    void run.done
      .then((r) => {
        if (r.outcome.kind === 'error') {
          j.state = 'failed'
          j.error = r.outcome.message
        } else if (r.outcome.kind === 'cancelled') j.state = 'cancelled'
        else if (r.dev) j.state = 'done'
        else {
          j.state = 'failed'
          j.error ??= 'training ended without a checkpoint'
        }
        if (r.dev) j.best = r.dev
      })
      .catch((e: unknown) => {
        j.state = 'failed'
        j.error = e instanceof Error ? e.message : String(e)
      })
      .finally(() => {
        j.finishedAt = Date.now()
        j.cancelling = false
        if (j.state === 'done') j.progress = 1
        if (this.running?.job === j) this.running = null
        this.runsChanged()
        // The terminal state (after the run record was written) as one more progress event.
        this.emit({ runId: j.runId, event: null, job: { ...j } })
      })
    this.runsChanged()
    return { ...job }
  }

  cancel(runId: number): { cancelling: boolean } {
    if (!this.running || this.running.job.runId !== runId) {
      if (this.jobs.some((j) => j.runId === runId)) return { cancelling: false }
      throw new StudioError('not_found', `no training job for run ${runId}`)
    }
    this.running.job.cancelling = true
    this.running.run.cancel()
    return { cancelling: true }
  }

  /** Cancel whatever runs and wait for it to end (closing the project or the studio). */
  async stop(): Promise<void> {
    const r = this.running
    if (!r) return
    r.run.cancel()
    await r.run.done.catch(() => undefined)
  }

  /** `progress`: the run's history as training.ts builds it from the same events. */
  private onEvent(job: TrainJob, e: TrainingEvent, progress: RunProgress): void {
    switch (e.kind) {
      case 'started': {
        job.backend = e.backend
        job.backendReason = backendReason(e)
        job.trainExamples = e.trainExamples
        job.devExamples = e.devExamples
        job.epochs = e.epochs
        job.stepsPerEpoch = e.stepsPerEpoch
        job.workers = e.workers ?? 1
        break
      }
      case 'batch': {
        const total = (job.epochs ?? 1) * e.stepsPerEpoch
        job.progress = Math.min(1, ((e.epoch - 1) * e.stepsPerEpoch + e.batch) / Math.max(1, total))
        job.etaSec = e.etaSec
        job.lastLoss = e.loss
        job.charsPerSec = e.charsPerSec
        job.batchLoss.push({ step: e.step, loss: e.loss })
        if (job.batchLoss.length > MAX_BATCH_POINTS) job.batchLoss = job.batchLoss.filter((_, i) => i % 2 === 0)
        break
      }
      case 'epoch': {
        job.history = progress.snapshot()
        job.etaSec = e.etaSec
        job.progress = Math.min(1, e.epoch / Math.max(1, job.epochs ?? e.epoch))
        break
      }
      case 'eval':
        job.history = progress.snapshot()
        if (e.best) job.best = e.dev
        break
      case 'error':
        job.error = e.message
        break
      default:
        break
    }
    this.emit({ runId: job.runId, event: e, job: { ...job } })
  }
}
