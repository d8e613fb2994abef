#!/usr/bin/env node
// `ner-studio` entry: the built CLI (out/main/cli.js, made by `npm run build`), or the TypeScript
// sources through tsx when the build is missing (a development checkout).
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const { spawnSync } = require('node:child_process')

const root = join(__dirname, '..')
const built = join(root, 'out', 'main', 'cli.js')
if (existsSync(built)) {
  require(built)
    .main(process.argv.slice(2))
    .then((code) => {
      process.exitCode = code
    })
} else {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src-main', 'cli', 'main.ts'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: process.cwd(),
  })
  process.exitCode = r.status ?? 1
}
