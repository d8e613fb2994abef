#!/usr/bin/env node
// `npm start`: the desktop window when Electron can run here; otherwise the headless server on
// 127.0.0.1 with the same renderer, printing the URL (with its token) to open in a browser.
// Either way the studio opens the last project, or the built-in demo project on first start.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const root = join(new URL('.', import.meta.url).pathname, '..')
const require = createRequire(join(root, 'package.json'))
const args = process.argv.slice(2)
// npm runs scripts in the install folder; a relative project path is meant from where the user typed
// `npm start` (npm's INIT_CWD), so the studio runs there.
const userDir = process.env.INIT_CWD ?? process.cwd()

if (!existsSync(join(root, 'out', 'main', 'index.js')) || !existsSync(join(root, 'out', 'renderer', 'index.html'))) {
  console.log('[start] no build found: building first (npm run build) …')
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(1)
}

function electronBinary() {
  if (process.env.NER_STUDIO_HEADLESS) return { ok: false, why: 'NER_STUDIO_HEADLESS is set' }
  let bin
  try {
    bin = require('electron')
  } catch (e) {
    return { ok: false, why: `the Electron binary is not installed (${String(e.message).split('\n')[0]})` }
  }
  if (typeof bin !== 'string' || !existsSync(bin)) return { ok: false, why: 'the Electron binary is not installed' }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { ok: false, why: 'there is no display (DISPLAY / WAYLAND_DISPLAY unset)' }
  }
  const v = spawnSync(bin, ['--version'], { timeout: 20000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } })
  if (v.status !== 0) return { ok: false, why: `the Electron binary does not run here (${String(v.stderr ?? '').trim() || `exit ${v.status}`})` }
  return { ok: true, bin }
}

function serve(why) {
  console.log(`[start] Desktop shell unavailable: ${why}.`)
  console.log('[start] Starting the headless server instead — the same studio, in your browser.')
  const child = spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'serve', ...args], { stdio: 'inherit', cwd: userDir })
  const stop = () => child.kill('SIGTERM')
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  child.on('exit', (code) => process.exit(code ?? 0))
}

const e = electronBinary()
if (!e.ok) {
  serve(e.why)
} else {
  const started = Date.now()
  const child = spawn(e.bin, [root, ...args], { stdio: 'inherit', cwd: userDir })
  child.on('exit', (code) => {
    if (code !== 0 && Date.now() - started < 5000) serve(`Electron exited at start (code ${code})`)
    else process.exit(code ?? 0)
  })
}
