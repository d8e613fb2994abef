/// <reference lib="dom" />
// The desk's keyboard and display: Tab moves the focus (spans are walked with ] and [),
// span labels never overlap, however short and adjacent the spans; the ? overlay; grapheme
// clusters as one cell; the dark theme. Real renderer, real server,
// real project file.
import type { Page } from '@playwright/test'
import { test, expect, type StudioFixture } from './fixtures/studio'
import { KEYMAP, shown } from '../../src-main/shared/keymap'

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

test('? shows every key of the keymap table and every type hotkey; Esc closes it', async ({ studio, page }) => {
  await load(studio, page, [{ text: '红色苹果手机壳', label: [[0, 2, '颜色'], [2, 4, '品牌'], [4, 7, '产品']] }])
  await expect(page.getByTestId('keys-overlay')).toHaveCount(0)
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('?')
  const overlay = page.getByTestId('keys-overlay')
  await expect(overlay).toBeVisible()
  await expect(overlay.getByTestId('keys-row')).toHaveText(KEYMAP.map(shown))
  const types = await studio.api('types.list')
  await expect(overlay.getByTestId('keys-type')).toHaveCount(types.length)
  for (const t of types) await expect(overlay.locator(`[data-testid="keys-type"][data-type="${t.name}"]`)).toContainText(t.hotkey!)
  // While it is open, keys do not act on the title.
  await page.keyboard.press('1')
  await page.keyboard.press('Escape')
  await expect(overlay).toHaveCount(0)
  await expect(page.getByTestId('span-row')).toHaveCount(3)
  // The button opens it too (for the mouse); ? closes it again.
  await page.getByTestId('keys-open').click()
  await expect(page.getByTestId('keys-overlay')).toBeVisible()
  await page.keyboard.press('?')
  await expect(page.getByTestId('keys-overlay')).toHaveCount(0)
})

test('grapheme clusters (👍🏽, 👨‍👩‍👧, 🇨🇳, e + combining acute) are one cell each; labelling one covers all its code points', async ({ studio, page }) => {
  const text = 'a👍🏽b👨‍👩‍👧🇨🇳e\u0301x'
  await load(studio, page, [{ text, label: [] }, { text: '标签', label: [[0, 2, '标签']] }])
  // 7 cells for 14 code points; each cell's data-i is its first code point.
  const cells = page.getByTestId('char')
  await expect(cells).toHaveCount(7)
  expect(await cells.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.i)))).toEqual([0, 1, 3, 4, 9, 11, 13])
  await expect(cells.nth(1)).toHaveText('👍🏽')
  await expect(cells.nth(3)).toHaveText('👨‍👩‍👧')
  const key = (await studio.api('types.list')).find((t) => t.name === '标签')!.hotkey!
  const id = Number(await page.getByTestId('title-row').first().getAttribute('data-id'))
  const spans = async (): Promise<[number, number][]> => (await studio.api('titles.get', { id })).spans.map((s) => [s.start, s.end])

  // Keyboard: → steps over a, Shift+→ takes the whole 👍🏽 (code points 1…3).
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Home')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press(key)
  await expect.poll(spans).toEqual([[1, 3]])
  // The editor has drawn the new span (and moved its caret past it) before the next keys.
  await expect(page.getByTestId('editor-message')).toHaveText('Labelled “👍🏽” as 标签')
  // From the end, Shift+← twice: x and é (e + U+0301), code points 11…14.
  await page.keyboard.press('End')
  await page.keyboard.press('Shift+ArrowLeft')
  await page.keyboard.press('Shift+ArrowLeft')
  await page.keyboard.press(key)
  await expect.poll(spans).toEqual([[1, 3], [11, 14]])
  await expect(page.getByTestId('editor-message')).toHaveText('Labelled “e\u0301x” as 标签')
  // Mouse: drag from the family to the flag covers both clusters whole (4…11).
  const from = (await cells.nth(3).boundingBox())!
  const to = (await cells.nth(4).boundingBox())!
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2)
  await page.mouse.down()
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 4 })
  await page.mouse.up()
  await page.keyboard.press(key)
  await expect.poll(spans).toEqual([[1, 3], [4, 11], [11, 14]])
  // The span list shows the text whole.
  await expect(page.locator('[data-testid="span-row"][data-start="4"] .stext')).toHaveText('👨‍👩‍👧🇨🇳')
})

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string): number => {
    const [r, g, bl] = c.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((x) => {
      const s = Number(x) / 255
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
    })
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!
  }
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p)
  return (x! + 0.05) / (y! + 0.05)
}

test('dark theme: follows prefers-color-scheme, the toggle is remembered over a reload, CJK text stays readable', async ({ studio, page }) => {
  await page.emulateMedia({ colorScheme: 'dark' })
  await load(studio, page, [{ text: '红色苹果手机壳', label: [[0, 2, '颜色'], [4, 7, '产品']] }])
  const theme = (): Promise<string | null> => page.evaluate(() => document.documentElement.dataset.theme ?? null)
  expect(await theme()).toBe('dark')
  const colours = (sel: string) =>
    page.locator(sel).first().evaluate((el) => {
      let bgEl: Element | null = el
      let bg = 'rgba(0, 0, 0, 0)'
      while (bgEl && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
        bg = getComputedStyle(bgEl).backgroundColor
        bgEl = bgEl.parentElement
      }
      return { fg: getComputedStyle(el).color, bg }
    })
  const body = await colours('body')
  expect(contrast(body.bg, 'rgb(0, 0, 0)')).toBeLessThan(2) // a dark page
  // CJK characters, plain and on a type colour, read clearly (WCAG AA: ≥ 4.5) and are drawn full width.
  for (const i of [2, 0]) {
    const c = await colours(`[data-testid="char"][data-i="${i}"]`)
    expect(contrast(c.fg, c.bg), `character ${i}`).toBeGreaterThanOrEqual(4.5)
  }
  const w = (await page.locator('[data-testid="char"][data-i="2"]').boundingBox())!.width
  expect(w).toBeGreaterThan(20)
  await page.screenshot({ path: test.info().outputPath('dark.png') })

  await page.getByTestId('theme-toggle').click()
  expect(await theme()).toBe('light')
  await page.reload()
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  expect(await theme()).toBe('light')
  expect(contrast((await colours('body')).bg, 'rgb(255, 255, 255)')).toBeLessThan(1.2)
  await page.getByTestId('theme-toggle').click()
  expect(await theme()).toBe('dark')
})
