// Temporary folders for real SQLite project files; removed after the test file finishes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

const made: string[] = []

function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
}

// Registered when a test file imports this module (collection time), so it runs after that file's
// tests; the exit hook catches a worker that ends without running hooks (e.g. a failed collection).
afterAll(cleanup)
process.once('exit', cleanup)

/** A fresh temporary folder, deleted (with everything in it) after the current test file. */
export function tmpDir(prefix = 'ner-studio-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  made.push(d)
  return d
}
