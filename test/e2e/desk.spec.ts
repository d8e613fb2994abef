/// <reference lib="dom" />
// The annotation desk end to end: the real renderer in Debian's chromium, the real server and a
// real project file. What the UI does is read back through the API (offsets are code points).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { SEED_TRAIN as SEED } from '../helpers/paths'
import { test, expect, type StudioFixture } from './fixtures/studio'

const ch = (page: Page, i: number) => page.locator(`[data-testid="char"][data-i="${i}"]`)

/** Press on character `a`, move over to character `b`, release: a mouse selection. */
async function dragChars(page: Page, a: number, b: number): Promise<void> {
  const from = (await ch(page, a).boundingBox())!
  const to = (await ch(page, b).boundingBox())!
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2)
  await page.mouse.down()
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 4 })
  await page.mouse.up()
}

async function spansOf(studio: StudioFixture, id: number): Promise<[number, number, string, string][]> {
  const t = await studio.api('titles.get', { id })
  return t.spans.map((s) => [s.start, s.end, s.type, s.origin])
}

async function hotkeyOf(studio: StudioFixture, type: string): Promise<string> {
  const t = (await studio.api('types.list')).find((x) => x.name === type)
  if (!t?.hotkey) throw new Error(`no hotkey for ${type}`)
  return t.hotkey
}

/** Press a type's hotkey: one key, or a chord's two keys in turn. */
async function pressHotkey(page: Page, hotkey: string): Promise<void> {
  for (const k of Array.from(hotkey)) await page.keyboard.press(k)
}

test('seed sample: find a title, label with mouse and keyboard, move boundaries, retype, undo/redo, review, reload', async ({
  studio,
  page,
}) => {
  test.skip(!existsSync(SEED), 'needs ../shared/data/seed-sample (not present on this machine)')
  await studio.open()
  await studio.importFile(SEED, { format: 'seed' })
  await expect(page.getByTestId('title-count')).toHaveText('10,000 titles')

  // Find the title: 啄木鸟钥匙包男女通用款头层牛皮零钱包多功能情侣短款牛皮钱包潮 黑色
  await page.getByTestId('search').fill('啄木鸟钥匙包')
  await page.getByTestId('search').press('Enter')
  await expect(page.getByTestId('title-count')).toHaveText('1 title')
  await page.getByTestId('title-row').first().click()
  await expect(page.getByTestId('title-text')).toContainText('啄木鸟钥匙包男女通用款')
  const id = Number(await page.getByTestId('title-row').first().getAttribute('data-id'))
  const before = await spansOf(studio, id)
  expect(before.map((s) => s.slice(0, 2))).toEqual([[0, 3], [3, 6], [13, 15], [25, 27]])
  const crowd = await hotkeyOf(studio, '适用人群')
  const colour = await hotkeyOf(studio, '颜色')

  // Mouse: drag over 男女 (6..7), then the type's hotkey.
  await dragChars(page, 6, 7)
  await pressHotkey(page, crowd)
  await expect(page.locator('[data-testid="span-row"][data-start="6"][data-end="8"]')).toHaveAttribute('data-type', '适用人群')
  expect(await spansOf(studio, id)).toContainEqual([6, 8, '适用人群', 'gold'])

  // Keyboard only: End, Shift+← twice selects 黑色, then the hotkey.
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('End')
  await page.keyboard.press('Shift+ArrowLeft')
  await page.keyboard.press('Shift+ArrowLeft')
  await pressHotkey(page, colour)
  await expect(page.locator('[data-testid="span-row"][data-start="31"]')).toHaveAttribute('data-type', '颜色')
  expect(await spansOf(studio, id)).toContainEqual([31, 33, '颜色', 'gold'])

  // Select 男女 by clicking it; extend its end from the keyboard (Alt+Shift+→ twice) → 男女通用.
  await ch(page, 6).click()
  await expect(page.getByTestId('handle-end')).toBeVisible()
  await page.keyboard.press('Alt+Shift+ArrowRight')
  await page.keyboard.press('Alt+Shift+ArrowRight')
  await expect(page.locator('[data-testid="span-row"][data-start="6"][data-end="10"]')).toBeVisible()
  // …and move its start from the keyboard too (Ctrl+→ then Ctrl+← back).
  await page.keyboard.press('Control+ArrowRight')
  await expect(page.locator('[data-testid="span-row"][data-start="7"][data-end="10"]')).toBeVisible()
  await page.keyboard.press('Control+ArrowLeft')
  await expect(page.locator('[data-testid="span-row"][data-start="6"][data-end="10"]')).toBeVisible()
  // Drag the end handle with the mouse onto 款 (index 10) → 男女通用款 [6, 11).
  const h = (await page.getByTestId('handle-end').boundingBox())!
  const target = (await ch(page, 10).boundingBox())!
  await page.mouse.move(h.x + h.width / 2, h.y + h.height / 2)
  await page.mouse.down()
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 5 })
  await page.mouse.up()
  await expect(page.locator('[data-testid="span-row"][data-start="6"][data-end="11"]')).toBeVisible()
  expect(await spansOf(studio, id)).toContainEqual([6, 11, '适用人群', 'gold'])

  // Change its type through the palette (Space, filter, Enter).
  await page.keyboard.press(' ')
  await page.getByTestId('palette-input').fill('款')
  await expect(page.getByTestId('palette-item').first()).toBeVisible()
  await page.screenshot({ path: test.info().outputPath('desk-palette.png') })
  await page.getByTestId('palette-input').fill('款式')
  await page.getByTestId('palette-input').press('Enter')
  await expect(page.locator('[data-testid="span-row"][data-start="6"]')).toHaveAttribute('data-type', '款式')

  // Undo the retype, redo it; undo twice more restores the pre-drag boundary.
  await page.keyboard.press('Control+z')
  await expect(page.locator('[data-testid="span-row"][data-start="6"]')).toHaveAttribute('data-type', '适用人群')
  await page.keyboard.press('Control+Shift+z')
  await expect(page.locator('[data-testid="span-row"][data-start="6"]')).toHaveAttribute('data-type', '款式')
  expect(await spansOf(studio, id)).toContainEqual([6, 11, '款式', 'gold'])

  // Accept all (weak → gold) and mark reviewed, one key each.
  await page.keyboard.press('Shift+Enter')
  await expect(page.locator('[data-testid="span-row"][data-origin="weak"]')).toHaveCount(0)
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('title-status')).toHaveText('reviewed')
  await ch(page, 0).click()
  await page.screenshot({ path: test.info().outputPath('desk-editor-seed.png') })

  // Reload: everything was persisted at once.
  await page.reload()
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  await page.getByTestId('search').fill('啄木鸟钥匙包')
  await page.getByTestId('search').press('Enter')
  await expect(page.getByTestId('title-status')).toHaveText('reviewed')
  await expect(page.getByTestId('span-row')).toHaveCount(6)
  await expect(page.locator('[data-testid="span-row"][data-start="6"][data-end="11"]')).toHaveAttribute('data-type', '款式')
  await expect(page.locator('[data-testid="span-row"][data-start="31"][data-end="33"]')).toHaveAttribute('data-type', '颜色')
  expect((await spansOf(studio, id)).every((s) => s[3] === 'gold')).toBe(true)
  // Undo still works after the reload (history lives in the project file).
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Control+z')
  await expect(page.getByTestId('title-status')).toHaveText('unreviewed')
  // The seed's 431 entity types on their screen.
  await page.getByTestId('tab-types').click()
  await expect(page.getByTestId('type-row')).toHaveCount((await studio.api('types.list')).length)
  await page.screenshot({ path: test.info().outputPath('desk-types-seed.png') })
})

test('emoji and full-width characters: offsets sent and stored are code points (uploaded JSONL)', async ({ studio, page }) => {
  const file = studio.jsonl('emoji.jsonl', [
    { text: '🎁礼盒ＡＢＣ装😀好', label: [[1, 3, '包装']] },
    { text: '红色ｉＰｈｏｎｅ壳', label: [[0, 2, '颜色']] },
  ])
  await studio.open()
  await page.getByTestId('tab-project').click()
  // Browser mode: upload the file through the server, then import it.
  await page.getByTestId('import-file').setInputFiles(file)
  await page.getByTestId('import-format').selectOption('jsonl')
  await page.getByTestId('import-origin').selectOption('gold')
  await page.getByTestId('import-run').click()
  await expect(page.getByTestId('import-done')).toContainText('2 titles')
  await expect(page.getByTestId('title-text')).toContainText('🎁礼盒')
  await expect(page.getByTestId('char')).toHaveCount(9)
  const id = Number(await page.getByTestId('title-row').first().getAttribute('data-id'))
  const pack = await hotkeyOf(studio, '包装')
  const colour = await hotkeyOf(studio, '颜色')

  // Mouse over ＡＢＣ (code points 3..5).
  await dragChars(page, 3, 5)
  await pressHotkey(page, colour)
  await expect(page.locator('[data-testid="span-row"][data-start="3"][data-end="6"]')).toBeVisible()
  // Keyboard over 😀好 (code points 7..8): Home, → ×7, Shift+→ ×2.
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Home')
  for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight')
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('Shift+ArrowRight')
  await pressHotkey(page, pack)
  await expect(page.locator('[data-testid="span-row"][data-start="7"][data-end="9"]')).toContainText('😀好')
  expect(await spansOf(studio, id)).toEqual([
    [1, 3, '包装', 'gold'],
    [3, 6, '颜色', 'gold'],
    [7, 9, '包装', 'gold'],
  ])
  // Pick the type first (it stays armed), then drag: 装 (6) becomes 包装; Esc disarms.
  await page.keyboard.press('Escape')
  await page.locator('[data-testid="type-item"][data-type="包装"]').click()
  await expect(page.getByTestId('armed')).toContainText('包装')
  await ch(page, 6).click() // a click is not a drag: nothing is created
  await expect(page.locator('[data-testid="span-row"][data-start="6"]')).toHaveCount(0)
  const box6 = (await ch(page, 6).boundingBox())!
  await page.mouse.move(box6.x + 2, box6.y + box6.height / 2)
  await page.mouse.down()
  await page.mouse.move(box6.x + box6.width - 2, box6.y + box6.height / 2, { steps: 3 })
  await page.mouse.up()
  await expect(page.locator('[data-testid="span-row"][data-start="6"][data-end="7"]')).toHaveAttribute('data-type', '包装')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('armed')).toHaveCount(0)
  // Delete it again from the keyboard (the new span is selected), then undo the delete.
  await ch(page, 6).click()
  await page.keyboard.press('Delete')
  await expect(page.locator('[data-testid="span-row"][data-start="6"]')).toHaveCount(0)
  await page.keyboard.press('Control+z')
  await expect(page.locator('[data-testid="span-row"][data-start="6"]')).toHaveCount(1)
  await page.keyboard.press('Control+y')
  await expect(page.locator('[data-testid="span-row"][data-start="6"]')).toHaveCount(0)
  expect((await spansOf(studio, id)).map((s) => s.slice(0, 2))).toEqual([[1, 3], [3, 6], [7, 9]])

  await ch(page, 3).click()
  await expect(page.getByTestId('handle-start')).toBeVisible()
  await page.screenshot({ path: test.info().outputPath('desk-editor-emoji.png') })
  await page.keyboard.press('ArrowDown')
  await expect(page.getByTestId('title-text')).toContainText('ｉＰｈｏｎｅ')
})

test('entity types: add, rename, recolour, hotkey, merge (moving spans) and delete with a confirmed count', async ({ studio, page }) => {
  const file = studio.jsonl('types.jsonl', [
    { text: '华为手机壳黑色', label: [[0, 2, '品牌'], [2, 5, '产品'], [5, 7, '颜色']] },
    { text: '苹果手机', label: [[0, 2, '品牌'], [2, 4, '品类']] },
  ])
  await studio.api('import.run', { path: file, format: 'jsonl', origin: 'gold' })
  await studio.open()
  await page.getByTestId('tab-types').click()
  await expect(page.getByTestId('type-row')).toHaveCount(4)

  await page.getByTestId('type-new-name').fill('材质')
  await page.getByTestId('type-new-hotkey').fill('m')
  await page.getByTestId('type-add').click()
  await expect(page.locator('[data-testid="type-row"][data-type="材质"]')).toBeVisible()
  const row = page.locator('[data-testid="type-row"][data-type="材质"]')
  await row.getByTestId('type-name').fill('面料')
  await row.getByTestId('type-name').press('Enter')
  await expect(page.locator('[data-testid="type-row"][data-type="面料"]')).toBeVisible()
  const fab = page.locator('[data-testid="type-row"][data-type="面料"]')
  await fab.getByTestId('type-hotkey').fill('f')
  await fab.getByTestId('type-hotkey').press('Tab')
  await fab.getByTestId('type-color').evaluate((el: HTMLInputElement) => {
    el.value = '#123456'
    el.dispatchEvent(new Event('change', { bubbles: true }))
  })
  await expect.poll(async () => (await studio.api('types.list')).find((t) => t.name === '面料')).toMatchObject({ hotkey: 'f', color: '#123456' })

  // Merge 品类 into 产品: the span moves.
  const types = await studio.api('types.list')
  const idOf = (n: string): string => String(types.find((t) => t.name === n)!.id)
  await page.getByTestId('merge-from').selectOption(idOf('品类'))
  await page.getByTestId('merge-into').selectOption(idOf('产品'))
  await page.getByTestId('merge-run').click()
  await expect(page.getByTestId('confirm-dialog')).toContainText('1 span(s) move to "产品"')
  await page.getByTestId('confirm-yes').click()
  await expect(page.locator('[data-testid="type-row"][data-type="品类"]')).toHaveCount(0)
  await expect(page.locator('[data-testid="type-row"][data-type="产品"] [data-testid="type-count"]')).toHaveText('2')
  const t2 = await studio.api('titles.get', { id: 2 })
  expect(t2.spans.map((s) => [s.start, s.end, s.type])).toEqual([[0, 2, '品牌'], [2, 4, '产品']])
  // Ctrl+Z on this screen undoes the merge; Ctrl+Shift+Z merges again.
  await page.locator('h2').click()
  await page.keyboard.press('Control+z')
  await expect(page.locator('[data-testid="type-row"][data-type="品类"]')).toBeVisible()
  expect((await studio.api('titles.get', { id: 2 })).spans[1]!.type).toBe('品类')
  await page.keyboard.press('Control+Shift+z')
  await expect(page.locator('[data-testid="type-row"][data-type="品类"]')).toHaveCount(0)

  // Delete 品牌: the dialog names the 2 spans that go with it.
  await page.locator('[data-testid="type-row"][data-type="品牌"] [data-testid="type-delete"]').click()
  await expect(page.getByTestId('confirm-dialog')).toContainText('its 2 span(s)')
  await page.getByTestId('confirm-yes').click()
  await expect(page.locator('[data-testid="type-row"][data-type="品牌"]')).toHaveCount(0)
  expect((await studio.api('project.stats')).spans).toBe(3)
  await page.screenshot({ path: test.info().outputPath('desk-types.png') })
})

test('title list: virtualised over 5,000 titles, filters with counts, keyboard navigation, label every occurrence', async ({
  studio,
  page,
}) => {
  const lines = Array.from({ length: 5000 }, (_, i) => ({
    text: `商品${i}号 苹果手机壳 ${i % 3 === 0 ? '红色' : '蓝色'}`,
    label: i % 2 === 0 ? ([[0, 2, '品类']] as [number, number, string][]) : [],
  }))
  await studio.api('import.run', { path: studio.jsonl('many.jsonl', lines), format: 'jsonl', split: 'train', origin: 'weak' })
  await studio.open()
  await expect(page.getByTestId('title-count')).toHaveText('5,000 titles')
  const rendered = await page.getByTestId('title-row').count()
  expect(rendered).toBeGreaterThan(5)
  expect(rendered).toBeLessThan(80)
  // Scroll to the end: the last title is paged in and drawn.
  await page.getByTestId('title-list').evaluate((el) => (el.scrollTop = el.scrollHeight))
  await expect(page.locator('[data-testid="title-row"][data-index="4999"]')).toContainText('商品4999号')

  // Counts per filter value (per-origin counts are asked for when the origin filter is used), then a filter.
  await page.getByTestId('filter-origin').focus()
  await expect(page.getByTestId('filter-origin').locator('option[value="weak"]')).toHaveText('weak (2,500)')
  await expect(page.getByTestId('filter-run').locator('option').first()).toHaveText('no runs yet')
  await page.getByTestId('filter-origin').selectOption('weak')
  await expect(page.getByTestId('title-count')).toHaveText('2,500 titles')
  await expect(page.getByTestId('filter-split').locator('option[value="train"]')).toHaveText('train (2,500)')

  // Keyboard: ↓ next, Enter reviewed, Shift+↓ next unreviewed skips reviewed ones.
  await expect(page.getByTestId('title-text')).toContainText('商品0号')
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('ArrowDown')
  await expect(page.getByTestId('title-text')).toContainText('商品2号')
  await page.keyboard.press('ArrowUp')
  await expect(page.getByTestId('title-text')).toContainText('商品0号')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('title-status')).toHaveText('reviewed')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  await page.keyboard.press('ArrowUp')
  await expect(page.getByTestId('title-text')).toContainText('商品0号')
  await page.keyboard.press('Shift+ArrowDown')
  await expect(page.getByTestId('title-text')).toContainText('商品4号')
  await expect(page.locator('[data-testid="title-row"].active')).toContainText('商品4号')
  await page.getByTestId('filter-status').selectOption('reviewed')
  await expect(page.getByTestId('title-count')).toHaveText('2 titles')

  // Label every other occurrence of 红色 (one undoable step across titles).
  await page.getByTestId('filter-status').selectOption('')
  await page.getByTestId('filter-origin').selectOption('')
  await page.getByTestId('search').fill('商品3号 ')
  await page.getByTestId('search').press('Enter')
  // Wait for the searched title itself: 商品0号 (shown after the filters are cleared) has 红色 too, and
  // selecting in it would be undone when the search's result arrives and opens 商品3号.
  await expect(page.getByTestId('title-count')).toHaveText('1 title')
  await expect(page.getByTestId('title-text')).toContainText('商品3号 苹果手机壳 红色')
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('End')
  await page.keyboard.press('Shift+ArrowLeft')
  await page.keyboard.press('Shift+ArrowLeft')
  await page.keyboard.press(' ')
  await page.getByTestId('palette-input').fill('品类')
  await page.getByTestId('palette-input').press('Enter')
  await expect(page.getByTestId('span-row')).toHaveCount(1)
  await page.keyboard.press('Alt+l')
  // A preview first: nothing is written until the analyst confirms.
  // One of the 红色 titles was marked reviewed above: it is left alone, and the preview says so.
  await expect(page.getByTestId('occurrences-text')).toContainText('Label 1665 more “红色” in 1665 titles? 1 in reviewed or dev/test titles are left alone')
  expect((await studio.api('project.stats')).byOrigin.gold).toBe(1)
  await page.getByTestId('occurrences-yes').click()
  await expect(page.getByTestId('editor-message')).toContainText('Labelled 1665 more places')
  expect((await studio.api('project.stats')).byOrigin.gold).toBe(1666)
  await page.keyboard.press('Control+z')
  await expect(page.getByTestId('editor-message')).toContainText('Undid')
  expect((await studio.api('project.stats')).byOrigin.gold).toBe(1)
})

test('project screen: create a project, see it in the recent list, reopen the first one from there', async ({ studio, page }) => {
  await studio.open()
  await page.getByTestId('tab-project').click()
  await expect(page.getByTestId('current-project')).toHaveText('project')
  await page.getByTestId('create-path').fill(join(studio.dir, 'second.sqlite'))
  await page.getByTestId('create-run').click()
  await expect(page.getByTestId('project-name')).toHaveText('second')
  await expect(page.getByTestId('recent-item')).toHaveCount(2)
  await expect(page.getByTestId('recent-item').first()).toContainText('second')
  await page.getByTestId('recent-item').nth(1).getByRole('button', { name: 'project' }).click()
  await expect(page.getByTestId('project-name')).toHaveText('project')
  // Import errors are shown: a missing file.
  await page.getByTestId('import-path').fill(join(studio.dir, 'missing.jsonl'))
  await page.getByTestId('import-run').click()
  await expect(page.getByTestId('import-error')).toBeVisible()
  await page.screenshot({ path: test.info().outputPath('desk-project.png') })
})
