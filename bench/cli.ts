// CLI launch cost: what one `ner-studio` launch costs the CLI tests, run from the TypeScript sources
// through tsx (what the tests did) and from the build (`node out/main/cli.js`, what they do now and
// what `npx ner-studio` runs after setup). Launches alternate between the two, so a load change on
// the machine touches both alike. Writes bench/results/cli.md.
// Run: `npm run bench cli [-- --rounds N]` (needs `npm run build` first).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { benchCommand, machineLine, mdTable, osName, writeResults } from './lib/report'

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { rounds: { type: 'string', default: '8' }, out: { type: 'string' } },
})
const ROUNDS = Number(values.rounds)
const ROOT = join(__dirname, '..')
const BUILT = join(ROOT, 'out', 'main', 'cli.js')
const RESULTS = values.out ?? join(__dirname, 'results', 'cli.md')
if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first`)

const ways = {
  'tsx (sources)': ['--import', 'tsx', join(ROOT, 'src-main', 'cli', 'main.ts')],
  'built (out/main/cli.js)': [BUILT],
} as const
type Way = keyof typeof ways

const dir = mkdtempSync(join(tmpdir(), 'ner-bench-cli-'))
const titles = join(dir, 't.txt')
writeFileSync(titles, '回力女鞋2019春季新款\n创维50英寸智能电视\n')
const project = join(dir, 'p.sqlite')

function launch(way: Way, args: string[]): number {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [...ways[way], ...args], { cwd: ROOT, encoding: 'utf8' })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${way} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`)
  return ms
}

launch('built (out/main/cli.js)', ['import', project, titles])
const commands: [string, string[]][] = [
  ['--help', ['--help']],
  ['stats --json', ['stats', project, '--json']],
]
const times = new Map<string, number[]>()
const loads: number[] = [os.loadavg()[0]!]
// One warm-up launch of each (tsx's cache, the disk cache), not counted.
for (const w of Object.keys(ways) as Way[]) launch(w, ['--help'])
for (let i = 0; i < ROUNDS; i++) {
  for (const [name, args] of commands) {
    const order = (i % 2 ? Object.keys(ways).reverse() : Object.keys(ways)) as Way[]
    for (const w of order) {
      const key = `${name}\t${w}`
      times.set(key, [...(times.get(key) ?? []), launch(w, args)])
    }
  }
  loads.push(os.loadavg()[0]!)
}
rmSync(dir, { recursive: true, force: true })

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const rows = commands.map(([name]) => {
  const tsx = median(times.get(`${name}\ttsx (sources)`)!)
  const built = median(times.get(`${name}\tbuilt (out/main/cli.js)`)!)
  return [`\`ner-studio ${name}\``, tsx.toFixed(0), built.toFixed(0), (tsx - built).toFixed(0), `${(tsx / built).toFixed(2)}×`]
})
const text = [
  '# CLI launch cost (the vitest suite launches the CLI dozens of times)',
  '',
  `Machine: ${machineLine()}, ${osName()}. SHARED with other engineers' test runs: 1-minute load`,
  `average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the run, so absolute times are inflated;`,
  'the two ways alternate launch by launch, so the comparison between them holds.',
  '',
  `Command: \`${benchCommand('cli')}\`. Median of ${ROUNDS} launches each, wall time of the whole process in ms.`,
  '',
  ...mdTable(['command', 'tsx over the sources', 'built CLI', 'saved per launch', 'ratio'], 'lrrrr', rows),
  '',
].join('\n')
writeResults(RESULTS, text)
console.log(text)
