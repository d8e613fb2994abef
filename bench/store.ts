// Store benchmark: import 1,000,000 synthetic titles (JSONL, ~50 characters, 3 spans each, a few
// dozen types) through importInto, then span edit latency on that project, then an attributes-CSV
// export. Writes bench/results/store.md. Run: `npm run bench store [-- --titles N] [--edits N]`.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { exportFrom } from '../src-main/services/export'
import { importInto } from '../src-main/services/import'
import { Project } from '../src-main/services/project'

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

// ---- synthetic titles: the same generator as test/helpers/synthetic.ts (kept in this file so the
// benchmark typechecks on its own, under tsconfig.e2e.json)

const SYNTHETIC_TYPES = [
  '品牌',
  '品类',
  '颜色',
  '材质',
  '型号',
  '款式',
  '规格',
  '功能',
  '风格',
  '适用人群',
  '适用季节',
  '产地',
  '口味',
  '尺码',
  '容量',
  '重量',
  '系列',
  '图案',
  '工艺',
  '场景',
  '包装',
  '版本',
  '年份',
  '成分',
  '功效',
  '品种',
  '等级',
  '领型',
  '袖长',
  '裤长',
  '鞋跟',
  '屏幕',
  '内存',
  '接口',
  '电压',
  '配件',
]

const COMMON =
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞'

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface SyntheticTitle {
  text: string
  label: [number, number, string][]
}

/** An endless, deterministic stream of titles. */
function* syntheticTitles(seed = 1): Generator<SyntheticTitle> {
  const rnd = mulberry32(seed)
  const pick = (s: string): string => s[Math.floor(rnd() * s.length)]!
  for (let n = 0; ; n++) {
    const len = 40 + Math.floor(rnd() * 21) // 40…60, mean 50
    const cs: string[] = []
    for (let i = 0; i < len; i++) {
      const r = rnd()
      cs.push(
        r < 0.85
          ? pick(COMMON)
          : r < 0.93
            ? pick('abcdefghijklmnopqrstuvwxyz')
            : r < 0.98
              ? pick('0123456789')
              : ' ',
      )
    }
    // Three spans in three thirds of the title: never overlapping.
    const third = Math.floor(len / 3)
    const label: [number, number, string][] = []
    for (let k = 0; k < 3; k++) {
      const w = 2 + Math.floor(rnd() * 3)
      const start = k * third + Math.floor(rnd() * (third - w))
      // Skewed type frequencies, like real data: 品牌 and 品类 most common.
      const ti = Math.min(SYNTHETIC_TYPES.length - 1, Math.floor(SYNTHETIC_TYPES.length * rnd() * rnd()))
      label.push([start, start + w, SYNTHETIC_TYPES[ti]!])
    }
    yield { text: cs.join(''), label }
  }
}

/** Write `count` synthetic titles as doccano JSONL; returns the byte size. */
function writeSyntheticJsonl(path: string, count: number, seed = 1): number {
  const fd = openSync(path, 'w')
  let bytes = 0
  try {
    const gen = syntheticTitles(seed)
    let buf: string[] = []
    for (let i = 0; i < count; i++) {
      buf.push(JSON.stringify(gen.next().value))
      if (buf.length === 10_000 || i === count - 1) {
        bytes += writeSync(fd, buf.join('\n') + '\n')
        buf = []
      }
    }
  } finally {
    closeSync(fd)
  }
  return bytes
}

/** Peak RSS while `fn` runs, sampled every 20 ms (plus at the start and the end). */
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
    const rnd = mulberry32(42)
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
    log(
      `- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${mib(totalmem())} RAM, ${process.platform} ${process.arch}`,
    )
    log(`- Node ${process.version}; better-sqlite3 (WAL, synchronous = NORMAL)`)
    log(
      `- Command: \`npm run bench store${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``,
    )
    log(
      `- Data: ${TITLES.toLocaleString('en-US')} synthetic titles (40–60 characters, mostly Chinese, 3 spans each, ${SYNTHETIC_TYPES.length} types), doccano JSONL, ${mib(bytes)}; generated in ${genS.toFixed(1)} s`,
    )
    log('')
    log('## Import (`importInto`, one transaction)')
    log('')
    log('| measure | value |')
    log('|---|---|')
    log(`| titles / spans | ${imp.titles.toLocaleString('en-US')} / ${imp.spans.toLocaleString('en-US')} |`)
    log(
      `| wall time | ${imp.seconds.toFixed(1)} s (${Math.round(imp.titles / imp.seconds).toLocaleString('en-US')} titles/s) |`,
    )
    log(`| RSS at start → peak (sampled every 20 ms) | ${mib(start)} → ${mib(peak)} |`)
    log(`| process maxRSS before → after the import | ${mib(maxRssBefore)} → ${mib(maxRssAfter)} |`)
    log(`| project file after import | ${mib(projectBytes)} |`)
    log('')
    log(
      `## Span edits (${EDITS.toLocaleString('en-US')} of each kind on random titles, each one transaction + history entry)`,
    )
    log('')
    log('| call | p50 ms | p99 ms | max ms |')
    log('|---|---|---|---|')
    for (const [k, xs] of [
      ['createSpan', lat.create],
      ['updateSpan', lat.update],
      ['deleteSpan', lat.delete],
      ['all three', all],
      ['undo', undo],
    ] as const) {
      log(`| ${k} | ${ms(percentile(xs, 50))} | ${ms(percentile(xs, 99))} | ${ms(Math.max(...xs))} |`)
    }
    log('')
    log('## Reads on the imported project (median of 3)')
    log('')
    log('| call | ms |')
    log('|---|---|')
    for (const [k, v] of reads) log(`| ${k} | ${ms(v)} |`)
    log(`| stats() | ${ms(statsMs)} |`)
    log('')
    log('## Export')
    log('')
    log(
      `attributes CSV of ${exp.titles.toLocaleString('en-US')} titles, ${exp.spans.toLocaleString('en-US')} spans, ${SYNTHETIC_TYPES.length} type columns: ${exportS.toFixed(1)} s, ${mib(csvBytes)}`,
    )
    log('')
    writeFileSync(RESULTS, lines.join('\n'))
    console.log(`\nwrote ${RESULTS}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

void main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
