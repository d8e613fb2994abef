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
