/// <reference lib="dom" />
// `npm run bench editor [titles]`: the annotation desk on a 200,000-title project, in Debian's
// chromium against the real server (the renderer build in out/renderer: run `npx electron-vite build`).
// Measures: opening the project to the first title drawn; key press → span drawn (the service has
// committed it: the editor draws only what the service answered) → read back over the API, for a
// hotkey applying a type and for boundary moves; scrolling the title list end to end; renderer heap.
// Writes bench/results/editor.md.
import { chromium, type Page } from '@playwright/test'
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from '../src-main/server/http'
import { importInto } from '../src-main/services/io/import'
import { Project } from '../src-main/services/project/project'
import { benchCommand, machine, mdTable, osName, writeResults } from './lib/report'

const N = Number(process.argv[2] ?? 200_000)
const EDIT_TITLES = 100
const SCROLL_STEPS = 300
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

const BRANDS = ['华为', '小米', '苹果', '啄木鸟', '七匹狼', '李宁', '安踏', '海尔', '美的', '格力', '罗技', '雷蛇', 'zippo', '耐克', '阿迪达斯']
const PRODUCTS = ['手机壳', '钱包', '运动鞋', '保温杯', '打火机', '机械键盘', '电饭煲', '充电宝', '双肩包', '羽绒服', '连衣裙', '数据线']
const MATERIALS = ['真皮', '牛皮', '纯棉', '不锈钢', '硅胶', '帆布', '羊毛', '合金']
const COLORS = ['黑色', '白色', '红色', '深蓝色', '玫瑰金', '浅灰色']
const WORDS = ['新款', '男女通用', '正品', '包邮', '加厚', '防水', '轻薄', '大容量', '潮流', '商务']

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

async function makeJsonl(path: string): Promise<void> {
  const r = rng(42)
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!
  const out = createWriteStream(path)
  for (let i = 0; i < N; i++) {
    const parts: [string, string | null][] = [
      [pick(BRANDS), '品牌'],
      [pick(WORDS), null],
      [pick(PRODUCTS), '品类'],
      [pick(MATERIALS), '材质'],
      [pick(WORDS), null],
      [pick(COLORS), '颜色'],
      [` 型号${String(10000 + ((i * 7919) % 90000))}`, null],
    ]
    let text = ''
    const label: [number, number, string][] = []
    for (const [s, type] of parts) {
      const start = Array.from(text).length
      text += s
      if (type) label.push([start, start + Array.from(s).length, type])
    }
    if (!out.write(JSON.stringify({ text, label }) + '\n')) await new Promise<void>((ok) => out.once('drain', () => ok()))
  }
  await new Promise<void>((ok) => out.end(ok))
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
const ms = (x: number): string => `${x.toFixed(1)} ms`

async function heap(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  const { metrics } = await cdp.send('Performance.getMetrics')
  await cdp.detach()
  return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value / 2 ** 20
}

/** Press `key`; resolve with [ms to the span row `sel` drawn, ms to it read back over the API]. */
async function timedKey(page: Page, key: string, sel: string, titleId: number, expect: [number, number]): Promise<[number, number]> {
  await page.evaluate((sel) => {
    const w = window as unknown as Record<string, unknown>
    w.__done = new Promise<number>((res) => {
      const check = (): void => {
        if (document.querySelector(sel)) {
          obs.disconnect()
          res(performance.now())
        }
      }
      const obs = new MutationObserver(check)
      obs.observe(document.body, { subtree: true, childList: true, attributes: true })
    })
    window.addEventListener('keydown', () => (w.__t0 = performance.now()), { capture: true, once: true })
  }, sel)
  await page.keyboard.press(key)
  return page.evaluate(
    async ({ titleId, expect }) => {
      const w = window as unknown as { __done: Promise<number>; __t0: number }
      const drawn = (await w.__done) - w.__t0
      const res = await fetch('/api/titles.get', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: titleId }) })
      const body = (await res.json()) as { ok: boolean; result: { spans: { start: number; end: number }[] } }
      if (!body.ok || !body.result.spans.some((s) => s.start === expect[0] && s.end === expect[1])) throw new Error('edit not persisted')
      return [drawn, performance.now() - w.__t0] as [number, number]
    },
    { titleId, expect },
  )
}

async function main(): Promise<void> {
  if (!existsSync('out/renderer/index.html')) throw new Error('out/renderer is missing: run `npx electron-vite build` first')
  const dir = mkdtempSync(join(tmpdir(), 'ner-bench-editor-'))
  process.env.NER_STUDIO_HOME = join(dir, 'home')
  const projectPath = join(dir, 'big.sqlite')
  const lines: string[] = []
  const log = (s: string): void => {
    console.log(s)
    lines.push(s)
  }
  try {
    let t = performance.now()
    await makeJsonl(join(dir, 'big.jsonl'))
    const genS = (performance.now() - t) / 1000
    Project.open(projectPath, { create: true }).close()
    t = performance.now()
    const imp = await importInto(projectPath, { path: join(dir, 'big.jsonl'), format: 'jsonl', split: 'train', origin: 'weak' })
    const importS = (performance.now() - t) / 1000
    const p = Project.open(projectPath)
    p.createType({ name: '型号', hotkey: 'x' })
    p.close()

    const server = await startServer({ projectPath })
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS })
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    // tsx compiles the functions passed to page.evaluate with esbuild's keepNames helper.
    await page.addInitScript('window.__name = (f) => f')

    // Open: page load → project → first page of titles → first title drawn in the editor.
    const opens: number[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      await page.goto(i === 0 ? server.url : server.url.replace(/\?token=.*/, ''))
      await page.locator('[data-app-state="ready"] [data-testid="char"]').first().waitFor()
      await page.locator('[data-testid="title-row"][data-index="0"] .text').waitFor()
      opens.push(performance.now() - t0)
    }
    const heapOpen = await heap(page)

    // Edits: per title, select the last two characters (型号 digits) from the keyboard, then time:
    // hotkey → span; end −1; end +1; start −1 (Alt/Ctrl+arrows on the selected span).
    const create: number[] = []
    const createRead: number[] = []
    const move: number[] = []
    const moveRead: number[] = []
    await page.getByTestId('title-text').focus()
    for (let k = 0; k < EDIT_TITLES; k++) {
      const id = Number(await page.locator('[data-testid="title-row"].active').getAttribute('data-id'))
      const n = await page.getByTestId('char').count()
      await page.keyboard.press('End')
      await page.keyboard.press('Shift+ArrowLeft')
      await page.keyboard.press('Shift+ArrowLeft')
      const row = (a: number, b: number): string => `[data-testid="span-row"][data-start="${a}"][data-end="${b}"][data-type="型号"]`
      let r = await timedKey(page, 'x', row(n - 2, n), id, [n - 2, n])
      create.push(r[0])
      createRead.push(r[1])
      for (const [key, a, b] of [
        ['Alt+Shift+ArrowLeft', n - 2, n - 1],
        ['Alt+Shift+ArrowRight', n - 2, n],
        ['Control+ArrowLeft', n - 3, n],
      ] as const) {
        r = await timedKey(page, key, row(a, b), id, [a, b])
        move.push(r[0])
        moveRead.push(r[1])
      }
      await page.keyboard.press('ArrowDown')
      await page.locator(`[data-testid="title-row"].active:not([data-id="${id}"])`).waitFor()
      await page.waitForFunction((id) => !document.querySelector(`[data-testid="title-text"]`)?.closest('.editor')?.textContent?.includes(`#${id} ·`), id)
    }
    const heapEdit = await heap(page)

    // Scroll the list end to end in SCROLL_STEPS jumps; each step waits until every row in view
    // has its text (paged in from the service). Then one jump back to the top.
    const steps = await page.evaluate(async (STEPS) => {
      const el = document.querySelector<HTMLElement>('[data-testid="title-list"]')!
      const frame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => r()))
      const filled = async (): Promise<void> => {
        for (;;) {
          await frame()
          const rows = Array.from(el.querySelectorAll('[data-testid="title-row"]'))
          if (rows.length && rows.every((r) => r.querySelector('.text'))) return
        }
      }
      const times: number[] = []
      const t0 = performance.now()
      for (let i = 1; i <= STEPS; i++) {
        const s = performance.now()
        el.scrollTop = ((el.scrollHeight - el.clientHeight) * i) / STEPS
        await filled()
        times.push(performance.now() - s)
      }
      const lastIndex = Number(el.querySelector('[data-testid="title-row"]:last-child')?.getAttribute('data-index'))
      const total = performance.now() - t0
      const s = performance.now()
      el.scrollTop = 0
      await filled()
      return { times, total, back: performance.now() - s, lastIndex, rows: el.querySelectorAll('[data-testid="title-row"]').length }
    }, SCROLL_STEPS)
    // A smooth wheel scroll over 30,000 px, frame by frame.
    const wheel = await page.evaluate(async () => {
      const el = document.querySelector<HTMLElement>('[data-testid="title-list"]')!
      const gaps: number[] = []
      let last = performance.now()
      for (let i = 0; i < 300; i++) {
        el.scrollTop += 100
        await new Promise((r) => requestAnimationFrame(() => r(null)))
        const now = performance.now()
        gaps.push(now - last)
        last = now
      }
      gaps.sort((a, b) => a - b)
      return { p50: gaps[Math.floor(gaps.length / 2)]!, p99: gaps[Math.floor(gaps.length * 0.99)]!, max: gaps[gaps.length - 1]! }
    })
    const heapScroll = await heap(page)
    const chromiumVersion = browser.version()
    await browser.close()
    await server.close()

    log('# Annotation desk benchmark (`npm run bench editor`)')
    log('')
    log(`- Command: \`npx electron-vite build && ${benchCommand('editor', process.argv.slice(2, 3), ' ')}\``)
    log(`- Machine: ${machine.cores} × ${machine.cpu}, ${machine.ramGiB} GiB RAM, ${osName()}, no GPU`)
    log(`- Node ${process.version}; Chromium ${chromiumVersion} (Debian, headless, flags as playwright.config.ts)`)
    log(`- Date: ${new Date().toISOString()}`)
    log('')
    log(`## Project`)
    log('')
    log(`${imp.titles.toLocaleString()} synthetic titles, ${imp.spans.toLocaleString()} weak spans (generated in ${genS.toFixed(1)} s, imported through \`importInto\` in ${importS.toFixed(1)} s).`)
    log('')
    log('## Results')
    log('')
    const results = mdTable(['measure', 'result', 'target'], 'lll', [
      ['open: page load → project → first title drawn (cold, then 2 reloads)', opens.map(ms).join(', '), '< 2 s'],
      [`hotkey applies a type to a selection → span drawn (committed), p50 / p99 / max (n=${create.length})`, `${ms(pct(create, 50))} / ${ms(pct(create, 99))} / ${ms(Math.max(...create))}`, 'p99 < 50 ms'],
      ['… → drawn and read back over the API, p50 / p99', `${ms(pct(createRead, 50))} / ${ms(pct(createRead, 99))}`, ''],
      [`boundary move (Alt/Ctrl+arrows) → drawn (committed), p50 / p99 / max (n=${move.length})`, `${ms(pct(move, 50))} / ${ms(pct(move, 99))} / ${ms(Math.max(...move))}`, 'p99 < 50 ms'],
      ['… → drawn and read back over the API, p50 / p99', `${ms(pct(moveRead, 50))} / ${ms(pct(moveRead, 99))}`, ''],
      [
        `scroll the list end to end in ${SCROLL_STEPS} jumps (each waits for every visible row's text)`,
        `total ${ms(steps.total)}; per jump p50 ${ms(pct(steps.times, 50))}, p99 ${ms(pct(steps.times, 99))}; last row index ${steps.lastIndex}; back to top ${ms(steps.back)}`,
        '',
      ],
      ['wheel-like scroll, 300 frames × 100 px: frame gap p50 / p99 / max', `${ms(wheel.p50)} / ${ms(wheel.p99)} / ${ms(wheel.max)}`, '16.7 ms = 60 fps'],
      ['rows in the DOM while scrolling', steps.rows, ''],
      [
        `renderer JS heap used (CDP JSHeapUsedSize): after open / after ${create.length + move.length} edits / after scrolling`,
        `${heapOpen.toFixed(1)} / ${heapEdit.toFixed(1)} / ${heapScroll.toFixed(1)} MiB`,
        '',
      ],
    ])
    for (const l of results) log(l)
    log('')
    log('"Drawn (committed)": the editor draws a span only from the service\'s answer, and the service answers after its')
    log('SQLite transaction (edit + history entry) has committed, so drawn means persisted; the read-back column adds one')
    log('more `titles.get` round trip from the page to prove it. Times are measured inside the page from the keydown event')
    log('to the DOM mutation (MutationObserver), so Playwright\'s own input latency is not counted.')
    writeResults('bench/results/editor.md', lines.join('\n') + '\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

void main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
