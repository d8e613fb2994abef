#!/usr/bin/env node
// `npm run setup`: install, build, and say what this machine can run.
// - Electron's binary and tfjs-node(-gpu)'s libtensorflow are downloaded by their install scripts
//   from outside the npm registry. Where that fails, we retry without the Electron binary
//   (ELECTRON_SKIP_BINARY_DOWNLOAD=1) and npm drops the optional tfjs-node packages; the studio
//   then runs in the browser against the headless server and trains on the wasm backend.
// Uses only Node built-ins: it runs before node_modules exists.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const run = (args, env = {}) =>
  spawnSync(npm, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } }).status === 0

const say = (s) => console.log(`\n[setup] ${s}`)
// Always `npm install` (it installs the versions in package-lock.json), never `npm ci`: the registry
// mirror reachable here lacks some other-platform optional binaries (e.g. @node-rs/jieba-darwin-x64
// at our version), so the lock cannot list them and `npm ci` rejects it as "out of sync".
const install = ['install', '--no-audit', '--no-fund']

say(`npm ${install[0]} …`)
let electronSkipped = false
if (!run(install)) {
  say(
    'the install failed — most likely Electron could not download its binary (only the npm registry is reachable).\n' +
      '[setup] Retrying with ELECTRON_SKIP_BINARY_DOWNLOAD=1: the desktop shell will be unavailable and\n' +
      '[setup] `npm start` will serve the same studio to your browser instead.',
  )
  electronSkipped = true
  if (!run(install, { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' })) {
    say('the install failed again; see the npm output above.')
    process.exit(1)
  }
}

say('building (electron-vite build) …')
if (!run(['run', 'build'])) process.exit(1)

const require = createRequire(join(root, 'package.json'))
const can = (m) => {
  try {
    require.resolve(m)
    return true
  } catch {
    return false
  }
}
let electron = 'missing'
try {
  const bin = require('electron')
  electron = typeof bin === 'string' && existsSync(bin) ? `installed (${bin})` : 'package only, no binary'
} catch {
  electron = electronSkipped ? 'package only, no binary (download skipped)' : 'package only, no binary'
}
const backends = [
  ['@tensorflow/tfjs-node-gpu', 'GPU (CUDA)'],
  ['@tensorflow/tfjs-node', 'native CPU'],
  ['@tensorflow/tfjs-backend-wasm', 'WebAssembly'],
].map(([m, what]) => `  ${can(m) ? '✓' : '✗'} ${m} (${what})${can(m) ? '' : ' — not installed (its download is blocked or it does not support this machine)'}`)

say(`done.\n  Electron: ${electron}\n  Training backends:\n${backends.join('\n')}\n  (cpu is always available.)\n\nStart the studio with: npm start`)
