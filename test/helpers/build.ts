// vitest's and Playwright's globalSetup: the CLI tests launch the built CLI (`node out/main/cli.js`,
// what `npx ner-studio` runs after setup) instead of the TypeScript sources through tsx, which cost
// about a second of compiling on every launch, and the browser tests load the built renderer. So
// build once, before any test, and only when out/ is older than a file it is built from (`npm test`
// has just built it; a change under src-main or src-renderer makes it stale).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { BUILT_CLI, BUILT_TRAINER, REPO_ROOT } from './paths'

/** The newest modification time of a file under `dir` (recursively). */
function newest(dir: string): number {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

/** Why out/main must be rebuilt, or null when it is newer than everything it is built from. */
export function staleness(): string | null {
  // The renderer too: `npm start`'s test serves it.
  const built = [BUILT_CLI, BUILT_TRAINER, join(REPO_ROOT, 'out', 'renderer', 'index.html')]
  const missing = built.find((f) => !existsSync(f))
  if (missing) return `${missing} is missing`
  const builtAt = Math.min(...built.map((f) => statSync(f).mtimeMs))
  const sources = Math.max(
    newest(join(REPO_ROOT, 'src-main')),
    newest(join(REPO_ROOT, 'src-renderer')),
    ...['package.json', 'electron.vite.config.ts'].map((f) => statSync(join(REPO_ROOT, f)).mtimeMs),
  )
  return sources > builtAt ? 'a source file is newer than the build' : null
}

export default function setup(): void {
  const why = staleness()
  if (!why) return
  console.log(`[test setup] building (electron-vite build): ${why}`)
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`electron-vite build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`)
}
