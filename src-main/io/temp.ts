// Temporary files and folders carry the pid of the process that made them, so that a process killed
// mid-way (kill -9, a crash) leaves litter the next start can recognise and remove: a temp whose
// owner pid is no longer alive on this machine is removed; one of a live process is left alone.
//   <out>.tmp-<pid>                        an export being written, next to its target (io/writers)
//   <tmpdir>/ner-studio-<kind>-<pid>-XXXXXX  training data, export previews
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** Whether a process with this pid exists on this machine (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  // 0 and negative numbers name process groups, not a process: no real owner has them.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** The temporary name a file is written under before it is renamed to `path` (same folder). */
export function tempNameFor(path: string, pid = process.pid): string {
  return `${path}.tmp-${pid}`
}

/** A fresh private folder in the system temp folder, tagged with this process's pid. */
export function makeTempFolder(kind: string): string {
  return mkdtempSync(join(tmpdir(), `ner-studio-${kind}-${process.pid}-`))
}

const TEMP_FILE = /\.tmp-(\d+)$/
const TEMP_FOLDER = /^ner-studio-[a-z]+-(\d+)-[A-Za-z0-9]+$/

function sweep(dir: string, pattern: RegExp, alive: (pid: number) => boolean): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const n of names) {
    const m = pattern.exec(n)
    if (!m || alive(Number(m[1]))) continue
    try {
      rmSync(join(dir, n), { recursive: true, force: true })
      removed.push(join(dir, n))
    } catch {
      /* another process swept it first, or it is not ours to remove */
    }
  }
  return removed
}

/** Remove `*.tmp-<pid>` files in `dir` whose process is gone. Answers the paths removed. */
export function sweepTempFiles(dir: string, alive: (pid: number) => boolean = pidAlive): string[] {
  return sweep(dir, TEMP_FILE, alive)
}

/** Remove the `ner-studio-<kind>-<pid>-*` folders in the temp folder whose process is gone. */
export function sweepTempFolders(alive: (pid: number) => boolean = pidAlive, dir = tmpdir()): string[] {
  return sweep(dir, TEMP_FOLDER, alive)
}

/** The folder exports go to by default: `exports` next to the project file. */
export function exportsFolderOf(projectPath: string): string {
  return join(dirname(projectPath), 'exports')
}

/**
 * Start-up sweep for one project: stale export temps next to the project and in its exports folder,
 * and stale temp folders of this machine. Cheap (two or three directory listings); never throws.
 */
export function sweepStaleTemps(projectPath: string): string[] {
  try {
    return [
      ...sweepTempFiles(dirname(projectPath)),
      ...sweepTempFiles(exportsFolderOf(projectPath)),
      ...sweepTempFolders(),
    ]
  } catch {
    return []
  }
}
