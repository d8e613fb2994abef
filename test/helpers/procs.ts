import { readdirSync, readFileSync } from 'node:fs'

/** Child pids of `pid`, read from Linux /proc (field 4 of /proc/<pid>/stat is the parent pid). */
export function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d))
    } catch {
      /* gone */
    }
  }
  return out
}

/** Peak resident memory of a process so far (VmHWM in /proc/<pid>/status), in kB; null when it is gone. */
export function peakKb(pid: number | 'self'): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}
