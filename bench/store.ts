// Store benchmark: import 1,000,000 synthetic titles (JSONL, ~50 characters, 3 spans each, a few
// dozen types) through importInto, then span edit latency on that project, then an attributes-CSV
// export. Writes bench/results/store.md. Run: `npm run bench store [-- --titles N] [--edits N]`.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { exportFrom } from '../src-main/services/io/export'
import { importInto } from '../src-main/services/io/import'
import { Project } from '../src-main/services/project/project'
import { SYNTHETIC_TYPES, writeSyntheticJsonl } from '../test/helpers/synthetic'
import { makeRng } from '../src-main/ml/train/rng'
import { benchCommand, machine, mdTable, writeResults } from './lib/report'

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    titles: { type: 'string', default: '1000000' },
    edits: { type: 'string', default: '2000' },
    out: { type: 'string' },
  },
})
const TITLES = Number(values.titles)
const EDITS = Number(values.edits)
const RESULTS = values.out ?? join(__dirname, 'results', 'store.md')

const mib = (b: number): string => `${(b / (1 << 20)).toFixed(0)} MiB`
const ms = (x: number): string => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1))

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

async function withRssSampling<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number; start: number }> {
  const start = process.memoryUsage().rss
  let peak = start
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  try {
    const result = await fn()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { result, peak, start }
  } finally {
    clearInterval(timer)
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ner-studio-bench-'))
  const lines: string[] = []
  const log = (s: string): void => {
    console.log(s)
    lines.push(s)
  }
  try {
    // 1. Generate.
    const src = join(dir, 'titles.jsonl')
    let t = performance.now()
    const bytes = writeSyntheticJsonl(src, TITLES)
    const genS = (performance.now() - t) / 1000
    console.log(`generated ${TITLES} titles (${mib(bytes)}) in ${genS.toFixed(1)} s`)

    // 2. Import.
    const project = join(dir, 'bench.sqlite')
    Project.open(project, { create: true }).close()
    const maxRssBefore = process.resourceUsage().maxRSS * 1024
    const {
      result: imp,
      peak,
      start,
    } = await withRssSampling(() => importInto(project, { path: src, origin: 'weak', split: 'train' }))
    const maxRssAfter = process.resourceUsage().maxRSS * 1024
    const projectBytes = statSync(project).size
    console.log(
      `imported ${imp.titles} titles, ${imp.spans} spans in ${imp.seconds.toFixed(1)} s; peak RSS ${mib(peak)}`,
    )

    // 3. Span edits on random titles of that project.
    const p = Project.open(project)
    const rnd = makeRng(42)
    const lat = { create: [] as number[], update: [] as number[], delete: [] as number[] }
    const { n: titleCount } = p.db.prepare('SELECT count(*) AS n FROM titles').get() as { n: number }
    let done = 0
    while (done < EDITS) {
      const id = 1 + Math.floor(rnd() * titleCount)
      const title = p.getTitle(id)
      // A free gap of at least 2 characters between the existing spans.
      const taken = new Array<boolean>(title.length).fill(false)
      for (const s of title.spans) for (let i = s.start; i < s.end; i++) taken[i] = true
      let gap = -1
      for (let i = 0; i + 1 < title.length; i++) if (!taken[i] && !taken[i + 1]) gap = i
      if (gap < 0) continue
      const type = SYNTHETIC_TYPES[Math.floor(rnd() * SYNTHETIC_TYPES.length)]!
      t = performance.now()
      const s = p.createSpan({ titleId: id, start: gap, end: gap + 1, type })
      lat.create.push(performance.now() - t)
      t = performance.now()
      p.updateSpan({ id: s.id, end: gap + 2, type: SYNTHETIC_TYPES[0]! })
      lat.update.push(performance.now() - t)
      t = performance.now()
      p.deleteSpan(s.id)
      lat.delete.push(performance.now() - t)
      done++
    }
    // Undo of the last edits, for completeness.
    const undo: number[] = []
    for (let i = 0; i < Math.min(200, EDITS); i++) {
      t = performance.now()
      p.undo()
      undo.push(performance.now() - t)
    }
    // A few reads the UI makes on a big project.
    const reads: [string, number][] = []
    for (const [label, q] of [
      ['titles.list first page (no filter)', {}],
      ['titles.list first page, type 颜色', { type: '颜色' }],
      ['titles.list first page, search', { search: '电力' }],
    ] as const) {
      const xs: number[] = []
      for (let i = 0; i < 3; i++) {
        t = performance.now()
        p.listTitles({ ...q, limit: 50 })
        xs.push(performance.now() - t)
      }
      reads.push([label, percentile(xs, 50)])
    }
    t = performance.now()
    p.stats()
    const statsMs = performance.now() - t
    p.close()

    // 4. Export attributes CSV.
    const csv = join(dir, 'attributes.csv')
    t = performance.now()
    const exp = await exportFrom(project, { format: 'attributes-csv', out: csv })
    const exportS = (performance.now() - t) / 1000
    const csvBytes = statSync(csv).size

    // 5. Report.
    const all = [...lat.create, ...lat.update, ...lat.delete]
    log('# Store benchmark')
    log('')
    log(`- Date: ${new Date().toISOString()}`)
    log(`- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramMiB} MiB RAM, ${machine.platform}`)
    log(`- Node ${process.version}; better-sqlite3 (WAL, synchronous = NORMAL)`)
    log(`- Command: \`${benchCommand('store')}\``)
    log(
      `- Data: ${TITLES.toLocaleString('en-US')} synthetic titles (40–60 characters, mostly Chinese, 3 spans each, ${SYNTHETIC_TYPES.length} types), doccano JSONL, ${mib(bytes)}; generated in ${genS.toFixed(1)} s`,
    )
    log('')
    log('## Import (`importInto`, one transaction)')
    log('')
    const importRows = mdTable(['measure', 'value'], 'll', [
      ['titles / spans', `${imp.titles.toLocaleString('en-US')} / ${imp.spans.toLocaleString('en-US')}`],
      ['wall time', `${imp.seconds.toFixed(1)} s (${Math.round(imp.titles / imp.seconds).toLocaleString('en-US')} titles/s)`],
      ['RSS at start → peak (sampled every 20 ms)', `${mib(start)} → ${mib(peak)}`],
      ['process maxRSS before → after the import', `${mib(maxRssBefore)} → ${mib(maxRssAfter)}`],
      ['project file after import', mib(projectBytes)],
    ])
    for (const l of importRows) log(l)
    log('')
    log(
      `## Span edits (${EDITS.toLocaleString('en-US')} of each kind on random titles, each one transaction + history entry)`,
    )
    log('')
    const editRows = mdTable(
      ['call', 'p50 ms', 'p99 ms', 'max ms'],
      'llll',
      (
        [
          ['createSpan', lat.create],
          ['updateSpan', lat.update],
          ['deleteSpan', lat.delete],
          ['all three', all],
          ['undo', undo],
        ] as const
      ).map(([k, xs]) => [k, ms(percentile(xs, 50)), ms(percentile(xs, 99)), ms(Math.max(...xs))]),
    )
    for (const l of editRows) log(l)
    log('')
    log('## Reads on the imported project (median of 3)')
    log('')
    const readRows = mdTable(['call', 'ms'], 'll', [...reads.map(([k, v]) => [k, ms(v)]), ['stats()', ms(statsMs)]])
    for (const l of readRows) log(l)
    log('')
    log('## Export')
    log('')
    log(
      `attributes CSV of ${exp.titles.toLocaleString('en-US')} titles, ${exp.spans.toLocaleString('en-US')} spans, ${SYNTHETIC_TYPES.length} type columns: ${exportS.toFixed(1)} s, ${mib(csvBytes)}`,
    )
    log('')
    writeResults(RESULTS, lines.join('\n'))
    console.log(`\nwrote ${RESULTS}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

void main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
