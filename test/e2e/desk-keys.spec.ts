/// <reference lib="dom" />
// The desk's keyboard and display (issue 12): Tab moves the focus (spans are walked with ] and [),
// and span labels never overlap, however short and adjacent the spans. Real renderer, real server,
// real project file.
import type { Page } from '@playwright/test'
import { test, expect, type StudioFixture } from './fixtures/studio'

async function load(studio: StudioFixture, page: Page, lines: { text: string; label: [number, number, string][] }[], origin = 'gold'): Promise<void> {
  await studio.api('import.run', { path: studio.jsonl('t.jsonl', lines), format: 'jsonl', split: 'train', origin: origin as 'gold' })
  await studio.open()
  await page.getByTestId('title-row').first().click()
  await expect(page.getByTestId('title-text')).toContainText(lines[0]!.text)
}

const focused = (page: Page): Promise<string | null> => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null)
const chosen = (page: Page) => page.locator('[data-testid="span-row"].chosen')

test('Tab and Shift+Tab move the focus out of the title (to the search box); ] and [ walk the spans', async ({ studio, page }) => {
  await load(studio, page, [{ text: '红色苹果手机壳', label: [[0, 2, '颜色'], [2, 4, '品牌'], [4, 7, '产品']] }])
  const text = page.getByTestId('title-text')
  await text.focus()
  await page.keyboard.press('Tab')
  expect(await focused(page)).not.toBe('title-text')
  await expect(chosen(page)).toHaveCount(0)
  await page.keyboard.press('Shift+Tab')
  expect(await focused(page)).toBe('title-text')
  // Keyboard only, backwards from the title: the search box is reachable.
  let reached = false
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Shift+Tab')
    reached = (await focused(page)) === 'search'
  }
  expect(reached).toBe(true)
  await expect(chosen(page)).toHaveCount(0)

  await text.focus()
  await page.keyboard.press(']')
  await expect(chosen(page)).toHaveAttribute('data-start', '0')
  await page.keyboard.press(']')
  await expect(chosen(page)).toHaveAttribute('data-start', '2')
  await page.keyboard.press('[')
  await expect(chosen(page)).toHaveAttribute('data-start', '0')
  await page.keyboard.press('[')
  await expect(chosen(page)).toHaveAttribute('data-start', '4')
  // Messages in words, not offsets.
  await page.keyboard.press('Delete')
  await expect(page.getByTestId('editor-message')).toHaveText('Removed the 产品 label from “手机壳”')
  await page.keyboard.press('Control+z')
  await expect(page.locator('[data-testid="span-row"][data-start="4"]')).toHaveCount(1)
  await page.locator('[data-testid="span-row"][data-start="0"]').click()
  await page.keyboard.press('Alt+Shift+ArrowLeft')
  await expect(page.getByTestId('editor-message')).toHaveText('The 颜色 span is now “红”')
  // The key list shows the same keys.
  await expect(page.locator('.keys')).toContainText('] / [')
})

type Box = { x: number; y: number; width: number; height: number }
const meet = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height

test('span labels of adjacent one- and two-character spans never overlap (weak spans, long type names, wrapped lines)', async ({ studio, page }) => {
  const text = '红黑白蓝男女童装加厚款🇨🇳国潮'
  const label: [number, number, string][] = [
    [0, 1, '颜色分类'], [1, 2, '颜色'], [2, 3, '适用人群类型'], [3, 4, '颜色'],
    [4, 5, '适用人群'], [5, 6, '适用性别'], [6, 8, '产品类型名称'], [8, 10, '功能属性'], [10, 11, '款式'],
    [11, 12, '产地'], [12, 14, '风格'],
  ]
  await load(studio, page, [{ text, label }], 'weak')
  const labels = page.getByTestId('span-label')
  await expect(labels).toHaveCount(label.length)
  await expect(labels.first()).toContainText('颜色分类 · weak')

  async function assertApart(): Promise<void> {
    const boxes = (await Promise.all((await labels.all()).map((l) => l.boundingBox()))).map((b) => b!)
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) expect(meet(boxes[i]!, boxes[j]!), `labels ${i} and ${j} overlap`).toBe(false)
    // …and no label reaches into the characters (of this line or the next).
    const chars = (await Promise.all((await page.getByTestId('char').all()).map((c) => c.boundingBox()))).map((b) => b!)
    for (const b of boxes) for (const c of chars) expect(meet(b, c), 'a label covers a character').toBe(false)
    // …nor sticks out of the title's box.
    const t = (await page.getByTestId('title-text').boundingBox())!
    for (const b of boxes) expect(b.x >= t.x && b.x + b.width <= t.x + t.width + 0.5 && b.y + b.height <= t.y + t.height).toBe(true)
  }
  await assertApart()
  await page.screenshot({ path: test.info().outputPath('labels-wide.png') })
  // Narrow: the title wraps; the labels are placed again.
  await page.setViewportSize({ width: 700, height: 900 })
  await expect.poll(async () => (await page.getByTestId('char').first().boundingBox())!.y !== (await page.getByTestId('char').last().boundingBox())!.y).toBe(true)
  await assertApart()
  await page.screenshot({ path: test.info().outputPath('labels-narrow.png') })
})

test('title search ignores case and full/half width, and highlights what it matched', async ({ studio, page }) => {
  await load(studio, page, [
    { text: '红色ｉＰｈｏｎｅ壳', label: [] },
    { text: '😀IPHONE15 手机膜 iphone', label: [] },
    { text: '华为手机', label: [[0, 2, '品牌']] },
  ])
  await page.getByTestId('search').fill('iPhone')
  await page.getByTestId('search').press('Enter')
  await expect(page.getByTestId('title-count')).toHaveText('2 titles')
  await expect(page.getByTestId('search-hit')).toHaveText(['ｉＰｈｏｎｅ', 'IPHONE', 'iphone'])
  // The row still reads as the whole title.
  await expect(page.getByTestId('title-row').nth(1)).toContainText('😀IPHONE15 手机膜 iphone')
  await page.getByTestId('search').fill('')
  await page.getByTestId('search').press('Enter')
  await expect(page.getByTestId('title-count')).toHaveText('3 titles')
  await expect(page.getByTestId('search-hit')).toHaveCount(0)
  // Plain counts: "1 span", not "1 spans".
  await expect(page.getByTestId('title-row').nth(2)).toContainText('#3 · train · 1 span')
  await expect(page.getByTestId('title-row').nth(2)).not.toContainText('1 spans')
})
