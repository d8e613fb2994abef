/**
 * Host side of a training job: forks the trainer process, forwards its events, cancels and kills.
 *
 * - From TS sources (tests, tsx) it forks `src-main/trainer/entry.ts` with `--import tsx`; from a
 *   build it forks the sibling `trainer.js` (electron-vite emits out/main/trainer.js).
 * - `spawner` lets Electron use `utilityProcess.fork` instead of `child_process.fork`: it gets the
 *   entry path and execArgv and returns anything with send/on('message')/on('exit')/kill (wrap a
 *   UtilityProcess: `send = postMessage`; the entry already talks through `process.parentPort`
 *   when it has one).
 * - The child is killed when the host exits, on `kill()`, when `timeoutMs` passes, and when it
 *   does not exit within `cancelGraceMs` of `cancel()`.
 */
import { fork } from 'node:child_process'
import type { TrainingEvent } from '../shared/training'
import type { ChildMessage, HostMessage, TrainingJob } from './protocol'
import { isTerminal } from './protocol'
import { resolveTrainerEntry } from './locate'

export type { TrainingJob }

/** The part of a child process (or Electron UtilityProcess) the host uses. */
export interface ChildLike {
  pid?: number | undefined
  send(msg: HostMessage): unknown
  on(event: 'message', cb: (msg: unknown) => void): unknown
  on(event: 'exit', cb: (code: number | null, signal?: NodeJS.Signals | null) => void): unknown
  on(event: 'error', cb: (err: Error) => void): unknown
  kill(signal?: NodeJS.Signals): unknown
}

export type Spawner = (entry: string, execArgv: string[], env: NodeJS.ProcessEnv) => ChildLike

export interface StartOptions {
  spawner?: Spawner
  /** Entry file override. */
  entry?: string
  /** Kill the job after this long (ms); 0 = never (default). */
  timeoutMs?: number
  /** After cancel(), kill if the child has not exited within this long (default 60 s). */
  cancelGraceMs?: number
  env?: NodeJS.ProcessEnv
}

export type JobOutcome = Extract<TrainingEvent, { kind: 'done' | 'error' | 'cancelled' }>

export interface TrainingJobHandle {
  pid: number | undefined
  /** Ask the trainer to stop at the next batch; it reports `cancelled`. */
  cancel(): void
  /** Kill the process now (reported as an `error` outcome unless it had finished). */
  kill(): void
  /** The terminal event: `done`, `cancelled`, or `error` (also when the process died). */
  done: Promise<JobOutcome>
}

const defaultSpawner: Spawner = (entry, execArgv, env) => fork(entry, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })

const live = new Set<ChildLike>()
let exitHook = false
function killAllOnExit(): void {
  if (exitHook) return
  exitHook = true
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL')
      } catch {
        /* already gone */
      }
    }
  })
}

export function startTrainingJob(job: TrainingJob, onEvent: (e: TrainingEvent) => void, opts: StartOptions = {}): TrainingJobHandle {
  const { entry, execArgv } = opts.entry ? { entry: opts.entry, execArgv: opts.entry.endsWith('.ts') ? ['--import', 'tsx'] : [] } : resolveTrainerEntry()
  const child = (opts.spawner ?? defaultSpawner)(entry, execArgv, { ...process.env, ...opts.env })
  live.add(child)
  killAllOnExit()
  let outcome: JobOutcome | null = null
  let exited = false
  let timer: NodeJS.Timeout | null = null
  let graceTimer: NodeJS.Timeout | null = null
  let resolveDone!: (e: JobOutcome) => void
  const done = new Promise<JobOutcome>((r) => (resolveDone = r))
  const finish = (e: JobOutcome): void => {
    if (!outcome) {
      outcome = e
      onEvent(e)
    }
  }
  const kill = (): void => {
    if (exited) return
    try {
      child.kill('SIGTERM')
    } catch {
      /* gone */
    }
    setTimeout(() => {
      if (!exited) child.kill('SIGKILL')
    }, 3000).unref()
  }
  child.on('message', (raw) => {
    const msg = raw as ChildMessage
    if (msg?.type === 'ready') child.send({ type: 'job', job })
    else if (msg?.type === 'event') {
      if (isTerminal(msg.event)) finish(msg.event as JobOutcome)
      else if (!outcome) onEvent(msg.event)
    }
  })
  child.on('error', (err) => {
    finish({ kind: 'error', time: Date.now(), message: `trainer process: ${err.message}` })
  })
  child.on('exit', (code, signal) => {
    exited = true
    live.delete(child)
    if (timer) clearTimeout(timer)
    if (graceTimer) clearTimeout(graceTimer)
    finish({ kind: 'error', time: Date.now(), message: `trainer process exited (code ${code}, signal ${signal ?? 'none'}) without a result` })
    resolveDone(outcome!)
  })
  if (opts.timeoutMs && opts.timeoutMs > 0) {
    timer = setTimeout(() => {
      finish({ kind: 'error', time: Date.now(), message: `training timed out after ${opts.timeoutMs} ms` })
      kill()
    }, opts.timeoutMs)
    timer.unref()
  }
  return {
    pid: child.pid,
    cancel: () => {
      if (exited) return
      try {
        child.send({ type: 'cancel' })
      } catch {
        /* channel closed */
      }
      graceTimer = setTimeout(kill, opts.cancelGraceMs ?? 60_000)
      graceTimer.unref()
    },
    kill: () => {
      finish({ kind: 'error', time: Date.now(), message: 'killed' })
      kill()
    },
    done,
  }
}
