/// <reference lib="dom" />
// Hundreds of entity types at the desk: every type gets a hotkey (digits, then two-key
// chords from pinyin initials), remappable on the Entity types screen and shown in the palette;
// the palette lists every type and finds them by pinyin initials; colours stay distinct; the
// tables sort. Real renderer in Chromium, real server, real project file.
import type { Page } from '@playwright/test'
import { clash } from '../../src-main/shared/hotkeys'
import { colorDistance } from '../../src-main/services/types/palette'
import { test, expect, type StudioFixture } from './fixtures/studio'

// 300 two-character type names; 颜色 and 类型 (once nearly the same colour) come first.
const HAN = '颜色类型品牌产品款式风格功能属性尺码材质重量长度宽高厚薄软硬冷热新旧大小男女老少春夏秋冬东南西北红黄蓝绿黑白'
const NAMES = ['颜色', '类型']
for (let i = 0; NAMES.length < 300; i++) {
  const name = HAN[Math.floor(i / HAN.length)]! + HAN[i % HAN.length]!
  if (!NAMES.includes(name) && name[0] !== name[1]) NAMES.push(name)
}

async function manyTypes(studio: StudioFixture, page: Page): Promise<void> {
  const lines = [
    { text: '新款蓝色手机壳', label: [] as [number, number, string][] },
    ...NAMES.map((name) => ({ text: `${name}手机壳`, label: [[0, 2, name]] as [number, number, string][] })),
    // 颜色 and 类型 are the most used (the list, and so ties in the palette, put them first).
    ...['颜色', '颜色', '类型'].map((name) => ({ text: `${name}款`, label: [[0, 2, name]] as [number, number, string][] })),
  ]
  await studio.api('import.run', { path: studio.jsonl('many.jsonl', lines), format: 'jsonl', split: 'train', origin: 'gold' })
  await studio.open()
  await page.getByTestId('title-row').first().click()
  await expect(page.getByTestId('title-text')).toContainText('新款蓝色手机壳')
}

async function spansOf(studio: StudioFixture, id: number): Promise<[number, number, string][]> {
  return (await studio.api('titles.get', { id })).spans.map((s) => [s.start, s.end, s.type])
}

/** Select characters [a, b) of the open title with the keyboard. */
async function select(page: Page, a: number, b: number): Promise<void> {
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Home')
  for (let i = 0; i < a; i++) await page.keyboard.press('ArrowRight')
  for (let i = a; i < b; i++) await page.keyboard.press('Shift+ArrowRight')
}

test('300 types: every one gets a hotkey (digits, then prefix-free two-key chords); a chord labels the selection', async ({ studio, page }) => {
  await manyTypes(studio, page)
  const types = await studio.api('types.list')
  expect(types).toHaveLength(300)
  const keys = types.map((t) => t.hotkey)
  expect(keys.every((k) => !!k)).toBe(true)
  const clashes: string[] = []
  for (let i = 0; i < keys.length; i++) for (let j = i + 1; j < keys.length; j++) if (clash(keys[i]!, keys[j]!)) clashes.push(`${keys[i]} / ${keys[j]}`)
  expect(clashes).toEqual([])
  expect(keys.filter((k) => k!.length === 1).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])

  // A chord: its first key waits (shown), the second labels 蓝色 (characters 2…4).
  const chorded = types.find((t) => t.hotkey!.length === 2)!
  await select(page, 2, 4)
  await page.keyboard.press(chorded.hotkey![0]!)
  await expect(page.getByTestId('chord')).toHaveText(`${chorded.hotkey![0]} …`)
  await page.keyboard.press(chorded.hotkey![1]!)
  await expect(page.getByTestId('chord')).toHaveCount(0)
  await expect(page.locator('[data-testid="span-row"][data-start="2"]')).toHaveAttribute('data-type', chorded.name)
  const id = Number(await page.getByTestId('title-row').first().getAttribute('data-id'))
  expect(await spansOf(studio, id)).toEqual([[2, 4, chorded.name]])

  // The side list and the palette show the chord as two keys.
  await page.keyboard.press('Escape')
  await page.keyboard.press(' ')
  await page.getByTestId('palette-input').fill(chorded.name)
  await expect(page.getByTestId('palette-item').first()).toHaveAttribute('data-type', chorded.name)
  await expect(page.getByTestId('palette-item').first().getByTestId('palette-hotkey')).toHaveText(`${chorded.hotkey![0]} ${chorded.hotkey![1]}`)
  await page.getByTestId('palette-input').press('Escape')
})

test('the palette lists all 300 types and finds them by pinyin initials (ys → 颜色), hotkey and fuzzily', async ({ studio, page }) => {
  await manyTypes(studio, page)
  await select(page, 2, 4)
  await page.keyboard.press(' ')
  await expect(page.getByTestId('palette-count')).toHaveText('300 of 300 types')
  await expect(page.getByTestId('palette-item')).toHaveCount(300)
  // ↓ walks to the end of the list (it scrolls along).
  for (let i = 0; i < 299; i++) await page.getByTestId('palette-input').press('ArrowDown')
  await expect(page.getByTestId('palette-item').last()).toHaveClass(/\bat\b/)
  await expect(page.getByTestId('palette-item').last()).toBeInViewport()

  await page.getByTestId('palette-input').fill('ys')
  await expect(page.getByTestId('palette-item').first()).toHaveAttribute('data-type', '颜色')
  await page.getByTestId('palette-input').fill('lx')
  await expect(page.getByTestId('palette-item').first()).toHaveAttribute('data-type', '类型')
  await page.getByTestId('palette-input').press('Enter')
  await expect(page.locator('[data-testid="span-row"][data-start="2"]')).toHaveAttribute('data-type', '类型')
})

test('type colours: the first 24 pairwise distinct, neighbours apart, 类型 and 颜色 clearly different in the editor', async ({ studio, page }) => {
  await manyTypes(studio, page)
  const byId = (await studio.api('types.list')).sort((a, b) => a.id - b.id)
  const first = byId.slice(0, 24).map((t) => t.color)
  const close: string[] = []
  for (let i = 0; i < first.length; i++) for (let j = i + 1; j < first.length; j++) if (colorDistance(first[i]!, first[j]!) < 6) close.push(`${i} ~ ${j}`)
  for (let i = 0; i + 1 < byId.length; i++) if (colorDistance(byId[i]!.color, byId[i + 1]!.color) < 10) close.push(`${i} ~ ${i + 1}`)
  expect(close).toEqual([])

  // As drawn: the cells of 颜色 (title 2) and 类型 (title 3) in the browser.
  const drawn = async (row: number): Promise<string> => {
    await page.getByTestId('title-row').nth(row).click()
    const bg = await page.locator('[data-testid="char"][data-i="0"]').evaluate((el) => getComputedStyle(el).backgroundColor)
    const [r, g, b] = bg.match(/\d+/g)!.map(Number)
    return `#${[r, g, b].map((x) => x!.toString(16).padStart(2, '0')).join('')}`
  }
  const colour = await drawn(1)
  const kind = await drawn(2)
  expect(colour).toBe(byId.find((t) => t.name === '颜色')!.color)
  expect(kind).toBe(byId.find((t) => t.name === '类型')!.color)
  expect(colorDistance(colour, kind)).toBeGreaterThanOrEqual(15)
})

test('Entity types: remap to a chord (refusing one that clashes), use it in the editor; the table sorts by any column', async ({ studio, page }) => {
  await manyTypes(studio, page)
  // A chord no type holds yet (the target gives its own up).
  const [target, neighbour] = [NAMES[10]!, NAMES[11]!]
  const taken = (await studio.api('types.list')).filter((t) => t.name !== target).map((t) => t.hotkey!)
  const free = Array.from('abcdefghijklmnopqrstuvwxyz').flatMap((a) => Array.from('abcdefghijklmnopqrstuvwxyz', (b) => a + b)).find((k) => !taken.some((t) => clash(t, k)))!
  const [k1, k2] = [free[0]!, free[1]!]
  await page.getByTestId('tab-types').click()
  // The list reload that follows the remap is held back until the next field has been typed into:
  // re-rendering the rows must keep what is being typed (it once wiped it, and nothing was sent).
  let release = (): void => {}
  const held = new Promise<void>((r) => (release = r))
  let reloads = 0
  await page.route('**/api/types.list', async (route) => {
    reloads++
    await held
    await route.continue()
  })
  const row = page.locator(`[data-testid="type-row"][data-type="${target}"]`)
  await row.getByTestId('type-hotkey').fill(free.toUpperCase())
  await row.getByTestId('type-hotkey').press('Tab')
  await expect.poll(async () => (await studio.api('types.list')).find((t) => t.name === target)!.hotkey).toBe(free)
  await expect.poll(() => reloads).toBeGreaterThanOrEqual(1)
  // Its first key alone would shadow the chord: refused, with the reason.
  const other = page.locator(`[data-testid="type-row"][data-type="${neighbour}"]`)
  await other.getByTestId('type-hotkey').fill(k1)
  release()
  await expect(row.getByTestId('type-hotkey')).toHaveValue(free)
  await expect(other.getByTestId('type-hotkey')).toHaveValue(k1)
  await page.unroute('**/api/types.list')
  await other.getByTestId('type-hotkey').press('Tab')
  await expect(page.getByTestId('types-error')).toContainText(`clashes with "${k1} ${k2}" of entity type "${target}"`)

  // Sorting: by name (pinyin order), again reversed; by spans.
  const names = async (): Promise<string[]> => page.getByTestId('type-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')!))
  const pinyin = new Intl.Collator('zh-CN-u-co-pinyin', { numeric: true })
  await page.getByTestId('sort-name').click()
  const asc = await names()
  expect(asc).toEqual([...NAMES].sort(pinyin.compare))
  await page.getByTestId('sort-name').click()
  expect(await names()).toEqual([...asc].reverse())
  await expect(page.locator('th[aria-sort="descending"]')).toContainText('Name')

  await page.getByTestId('tab-annotate').click()
  await page.getByTestId('title-row').first().click()
  await select(page, 0, 2)
  await page.keyboard.press(k1)
  await page.keyboard.press(k2)
  await expect(page.locator('[data-testid="span-row"][data-start="0"]')).toHaveAttribute('data-type', target)
})

test('Weak labels: the dictionaries table sorts by a clicked header, again to reverse', async ({ studio, page }) => {
  await manyTypes(studio, page)
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  for (const [name, n] of [['甲', 3], ['乙', 1], ['丙', 2]] as const) {
    const path = join(studio.dir, `${name}.txt`)
    writeFileSync(path, Array.from({ length: n }, (_, i) => `词${name}${i}`).join('\n') + '\n')
    await studio.api('dicts.import', { path, type: '颜色', name })
  }
  await page.getByTestId('tab-weak').click()
  const names = async (): Promise<string[]> => page.getByTestId('dict-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')!))
  await page.getByTestId('sort-terms').click()
  await expect.poll(names).toEqual(['甲', '丙', '乙'])
  await page.getByTestId('sort-terms').click()
  await expect.poll(names).toEqual(['乙', '丙', '甲'])
  await page.getByTestId('sort-name').click()
  await expect.poll(names).toEqual(['丙', '甲', '乙'])
})
