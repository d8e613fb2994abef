#!/usr/bin/env node
// `npm test`: every check a change must pass — typecheck, lint, build, unit + integration tests
// (vitest), end-to-end tests (Playwright in Debian's chromium) — then one summary line.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(new URL('.', import.meta.url).pathname, '..')
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'
mkdirSync(join(root, 'test-results'), { recursive: true })

function step(name, cmd, args) {
  const t0 = Date.now()
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env })
  console.log(`=== ${name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  return r.status === 0
}

const failed = []
if (!step('typecheck', 'npm', ['run', '--silent', 'typecheck'])) failed.push('typecheck')
if (!step('lint', npx, ['eslint', '.'])) failed.push('lint')
if (!step('build', npx, ['electron-vite', 'build'])) failed.push('build')
const unitOk = step('unit + integration', npx, [
  'vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json',
])
if (!unitOk) failed.push('vitest')
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
let e2eOk = true
if (!existsSync(chromium)) {
  console.log(`\n=== e2e: FAILED — no chromium at ${chromium} (install Debian's chromium: see .ci/run)`)
  e2eOk = false
} else if (!failed.includes('build')) {
  e2eOk = step('e2e', npx, ['playwright', 'test'])
}
if (!e2eOk) failed.push('e2e')

// One closing line over both runners.
let passed = 0
let fail = 0
let skipped = 0
const read = (f) => (existsSync(join(root, f)) ? JSON.parse(readFileSync(join(root, f), 'utf8')) : null)
const v = read('test-results/vitest.json')
if (v) {
  passed += v.numPassedTests
  fail += v.numFailedTests
  skipped += v.numPendingTests + (v.numTodoTests ?? 0)
}
const p = read('test-results/e2e-report.json')
if (p) {
  passed += p.stats.expected
  fail += p.stats.unexpected + (p.stats.flaky ?? 0)
  skipped += p.stats.skipped
}
if (failed.length) console.log(`\nfailed steps: ${failed.join(', ')}`)
console.log(`\ntests: ${passed} passed, ${fail} failed, ${skipped} skipped`)
process.exit(failed.length || fail ? 1 : 0)
