#!/usr/bin/env node
// `npm run bench <name> [args…]` runs bench/<name>.ts under tsx. Each benchmark writes its results,
// with the machine and the command, to bench/results/<name>.md.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const [name, ...rest] = process.argv.slice(2)
const available = readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench <${available.join('|')}> [args…]`)
  process.exit(2)
}
const file = join('bench', `${name}.ts`)
if (!existsSync(file)) process.exit(2)
const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...rest], { stdio: 'inherit' })
process.exit(r.status ?? 1)
