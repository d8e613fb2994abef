// The PyTorch yardstick (../shared/reference/torch_ner.py) as the speed benchmarks run it: one
// BLAS/OpenMP thread, its result read from the JSON file it writes with --out.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sharedDir } from './report'

export const REF_SCRIPT = path.join(sharedDir, 'reference', 'torch_ner.py')

/**
 * Run the reference with `args` (plus `--out`) and return its JSON result; null when the script is
 * absent or the run fails (the reason is logged as `reference <label>: …`).
 */
export function runReference<T>(args: readonly string[], label: string): T | null {
  if (!existsSync(REF_SCRIPT)) return null
  const out = path.join(os.tmpdir(), `ner-ref-${process.pid}-${label.replace(/[^\w-]/g, '_')}.json`)
  try {
    execFileSync('/usr/bin/python3', [REF_SCRIPT, ...args, '--out', out], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: path.dirname(REF_SCRIPT),
    })
    return JSON.parse(readFileSync(out, 'utf8')) as T
  } catch (e) {
    console.error(`reference ${label}: ${(e as Error).message.split('\n')[0]}`)
    return null
  } finally {
    rmSync(out, { force: true })
  }
}

/** The reference's PyTorch version (/usr/bin/python3), or null when torch is not installed. */
export function torchVersion(): string | null {
  try {
    return execFileSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  } catch {
    return null
  }
}

/** torchVersion(), after installing Debian's python3-torch with apt-get when it is absent and we are root. */
export function ensureTorch(): string | null {
  const v = torchVersion()
  if (v || process.getuid?.() !== 0) return v
  try {
    execFileSync('apt-get', ['install', '-y', 'python3-torch', 'libopenblas0-pthread'], { stdio: 'inherit' })
  } catch (e) {
    console.error(`apt-get install python3-torch: ${(e as Error).message.split('\n')[0]}`)
  }
  return torchVersion()
}
