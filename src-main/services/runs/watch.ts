// What other processes do to the open project, seen by the Studio: SQLite's `PRAGMA data_version`
// changes when another connection commits, and then the runs are compared; a run left 'running'
// by a process that is gone (a killed CLI training) is marked failed now, not at the next open.
// A one-second poll of two tiny queries: cheap, and it needs nothing from the other process.
import type { DB } from '../../store/db'
import { failInterruptedRuns } from './records'

export class ProjectWatch {
  private timer: ReturnType<typeof setInterval> | null = null
  private version = -1
  private runs = ''

  constructor(
    private readonly db: DB,
    private readonly onRunsChanged: () => void,
  ) {
    this.version = this.dataVersion()
    this.runs = this.runsSignature()
  }

  /** Poll every `ms` milliseconds (the timer never keeps the process alive). */
  start(ms: number): this {
    this.timer = setInterval(() => this.tick(), ms)
    this.timer.unref()
    return this
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** One look: answers whether the runs changed (and told the listener). */
  tick(): boolean {
    if (!this.db.open) return false
    try {
      const swept = failInterruptedRuns(this.db).length > 0
      const v = this.dataVersion()
      if (!swept && v === this.version) return false
      this.version = v
      const sig = this.runsSignature()
      if (sig === this.runs) return false
      this.runs = sig
      this.onRunsChanged()
      return true
    } catch {
      return false // the project is being closed, or another process holds it: the next tick sees it
    }
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number
  }

  private runsSignature(): string {
    const r = this.db.prepare(`SELECT count(*) AS n, coalesce(group_concat(id || ':' || status), '') AS s FROM runs`).get() as {
      n: number
      s: string
    }
    return `${r.n}|${r.s}`
  }
}
