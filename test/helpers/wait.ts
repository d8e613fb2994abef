// Waiting for something another process, a child or an event stream makes true. The one rule: poll
// `probe` until it gives a value (anything but undefined, null or false) and return that value; past
// the time limit, throw an error that says what was awaited — never go on as if it had happened.
import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitOptions {
  /** How long to wait before failing (default 10 s). */
  timeoutMs?: number
  /** How often to look (default 20 ms). */
  everyMs?: number
}

export async function waitFor<T>(
  probe: () => T | undefined | null | false,
  what: string | (() => string),
  opts: WaitOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const t0 = Date.now()
  for (;;) {
    const v = probe()
    if (v !== undefined && v !== null && v !== false) return v as Exclude<T, undefined | null | false>
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`waited ${timeoutMs} ms for ${typeof what === 'string' ? what : what()}`)
    }
    await sleep(opts.everyMs ?? 20)
  }
}
