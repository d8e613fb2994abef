/// <reference lib="dom" />
// The learning curve on the Runs screen, in chromium against the real server: a tiny
// project gets a real `ner-studio train-curve` run set from the CLI (a second process writing the
// project the studio has open); the Runs screen then draws one point per fraction at the height of
// that run's dev F1, with the reading the CLI gave. A second, shorter curve replaces it on screen.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { CURVE_READING_TEXT, type CurveReading } from '../../src-main/shared/curve'
import { runCli } from '../helpers/cli'
import { tinyTitles } from '../helpers/tiny'
import { test, expect } from './fixtures/studio'

interface CurveOut {
  points: { fraction: number; titles: number; runId: number; dev: { f1: number } | null }[]
  reading: CurveReading | null
}
interface Drawn {
  points: [number, number][][]
  y: [number, number][]
}

async function trainCurve(projectPath: string, cfg: string, fractions: string): Promise<CurveOut> {
  const r = await runCli(['train-curve', projectPath, '--model', 'bilstm-crf', '--data', 'all', '--fractions', fractions, '--epochs', '1', '--config', cfg, '--json'], {
    timeoutMs: 600_000,
  })
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as CurveOut
}

/** The chart's drawn points once chart.js has finished animating (the same twice in a row). */
async function drawn(page: Page, n: number): Promise<Drawn> {
  const canvas = page.getByTestId('learning-curve').locator('canvas')
  let last = ''
  await expect
    .poll(async () => {
      const now = (await canvas.getAttribute('data-drawn')) ?? ''
      const stable = now === last && (JSON.parse(now || '{"points":[[]]}') as Drawn).points[0]!.length === n
      last = now
      return stable
    })
    .toBe(true)
  return JSON.parse(last) as Drawn
}

/** Whether the canvas is painted in the series' blue (#0969da) within 3 CSS pixels of (x, y) (a point on the axis is half clipped). */
function paintedBlue(page: Page, x: number, y: number): Promise<boolean> {
  return page
    .getByTestId('learning-curve')
    .locator('canvas')
    .evaluate((c: HTMLCanvasElement, [px, py]) => {
      const k = c.width / c.getBoundingClientRect().width
      const r = Math.ceil(3 * k)
      const d = c.getContext('2d')!.getImageData(Math.round(px! * k) - r, Math.round(py! * k) - r, 2 * r + 1, 2 * r + 1).data
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 200 && d[i + 2]! - d[i]! > 100) return true
      return false
    }, [x, y])
}

async function expectCurve(page: Page, out: CurveOut): Promise<void> {
  const card = page.getByTestId('learning-curve')
  await expect(card).toBeVisible()
  await expect(card).toContainText(`runs ${out.points.map((p) => p.runId).join(', ')}`)
  const d = await drawn(page, out.points.length)
  expect(d.points).toHaveLength(1)
  const pts = d.points[0]!
  // One point per fraction, left to right in order of growing data…
  for (let i = 1; i < pts.length; i++) expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0])
  // …each at the height of its run's dev F1 on the 0–1 scale…
  const [[v0, p0], [v1, p1]] = d.y as [[number, number], [number, number]]
  expect([v0, v1]).toEqual([0, 1])
  out.points.forEach((p, i) => {
    const f1 = (p0 - pts[i]![1]) / (p0 - p1)
    expect(Math.abs(f1 - p.dev!.f1), `point ${i}: drawn at F1 ${f1}, run ${p.runId} has ${p.dev!.f1}`).toBeLessThan(0.01)
  })
  // …and really painted there in the series' colour (#0969da), not left blank.
  for (const [x, y] of pts) expect(await paintedBlue(page, x, y), `nothing painted at ${x},${y}`).toBe(true)
  // The one-line reading is the CLI's (shared/curve.ts: the last step gained ≥ 1 F1 point or not).
  expect(out.reading).not.toBeNull()
  await expect(page.getByTestId('curve-reading')).toHaveText(CURVE_READING_TEXT[out.reading!])
}

test('learning curve: a train-curve run set draws one point per fraction at its dev F1, with the reading', async ({ studio, page }) => {
  test.setTimeout(1_200_000)
  await studio.api('import.run', { path: studio.jsonl('train.jsonl', tinyTitles(32)), format: 'jsonl', split: 'train', origin: 'gold' })
  await studio.api('import.run', { path: studio.jsonl('dev.jsonl', tinyTitles(8, 3)), format: 'jsonl', split: 'dev', origin: 'gold' })
  const cfg = join(studio.dir, 'tiny.json')
  writeFileSync(cfg, JSON.stringify({ model: { charEmbedding: 16, hidden: 16 }, batchSize: 8 }))

  const first = await trainCurve(studio.projectPath, cfg, '0.25,0.5,1')
  expect(first.points.map((p) => [p.fraction, p.titles])).toEqual([
    [0.25, 8],
    [0.5, 16],
    [1, 32],
  ])
  await studio.open()
  await page.getByTestId('tab-runs').click()
  await expectCurve(page, first)
  await page.screenshot({ path: test.info().outputPath('learning-curve-3.png') })

  // A newer curve (two fractions) is the one drawn; the older one's runs stay on the board.
  const second = await trainCurve(studio.projectPath, cfg, '0.5,1')
  await page.reload()
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  await page.getByTestId('tab-runs').click()
  await expectCurve(page, second)
  expect((await studio.api('runs.list')).length).toBe(5)
  await page.screenshot({ path: test.info().outputPath('learning-curve-2.png') })
})
