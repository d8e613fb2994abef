/// <reference lib="dom" />
// Windows, connection and display: two windows on one `ner-studio serve` follow one
// project and an edit never lands in a project its window does not show (checked by the server,
// not only the page); a banner when the server stops answering, and Reconnect; notices that fit a
// 1280-pixel window; relative project paths refused with a clear message. Real renderer, real
// server, real project files.
import type { Page } from '@playwright/test'
import { join } from 'node:path'
import { Project } from '../../src-main/services/project/project'
import { startServer } from '../../src-main/server/http'
import { makeProject, writeJsonl } from '../helpers/project'
import { test, expect, type StudioFixture } from './fixtures/studio'

/** Review status per title text, read from the file itself. */
function statuses(path: string): Record<string, string> {
  const p = Project.open(path, { readonly: true })
  try {
    return Object.fromEntries(p.listTitles({ limit: 100 }).items.map((t) => [t.text, t.status]))
  } finally {
    p.close()
  }
}

/** The fixture's project with two titles, a second project file beside it, window A on title 1. */
async function twoProjects(studio: StudioFixture, page: Page): Promise<string> {
  await studio.api('import.run', { path: studio.jsonl('one.jsonl', [{ text: '红色苹果手机壳', label: [[0, 2, '颜色']] }, { text: '男士真皮皮鞋' }]), format: 'jsonl', split: 'train', origin: 'gold' })
  const other = await makeProject(studio.dir, [{ text: '蓝色连衣裙', label: [[0, 2, '颜色']] }, { text: '儿童双肩书包' }], { name: 'other.sqlite' })
  await studio.open()
  await page.getByTestId('title-row').first().click()
  await expect(page.getByTestId('title-text')).toContainText('红色苹果手机壳')
  return other
}

/** Window B: a second tab on the same server, which opens `path` from its Project screen. */
async function openInWindowB(studio: StudioFixture, page: Page, path: string): Promise<Page> {
  const b = await page.context().newPage()
  await b.goto(studio.server.url)
  await expect(b.locator('[data-app-state="ready"]')).toBeVisible()
  await b.getByTestId('tab-project').click()
  await b.getByTestId('open-path').fill(path)
  await b.getByTestId('open-run').click()
  await expect(b.getByTestId('project-name')).toHaveText('other')
  return b
}

test('two windows: when B opens another project, A follows it — its editor drops the old title — and Enter in A edits only what A shows', async ({ studio, page }) => {
  const other = await twoProjects(studio, page)
  await openInWindowB(studio, page, other)

  // A follows at once: the other project's name, list and first title, and a word on why.
  await expect(page.getByTestId('project-name')).toHaveText('other')
  await expect(page.getByTestId('notice')).toHaveText('Another window opened “other”: this window shows it now')
  await expect(page.getByTestId('title-text')).toContainText('蓝色连衣裙')
  await expect(page.getByTestId('title-row')).toHaveCount(2)
  await expect(page.getByTestId('title-row').first()).toContainText('蓝色连衣裙')

  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('editor-message')).toHaveText('Marked reviewed')
  // The title A showed was the one marked; the project A no longer shows is untouched.
  expect(statuses(other)).toEqual({ 蓝色连衣裙: 'reviewed', 儿童双肩书包: 'unreviewed' })
  expect(statuses(studio.projectPath)).toEqual({ 红色苹果手机壳: 'unreviewed', 男士真皮皮鞋: 'unreviewed' })
})

test('a window that missed the switch (its events held back) is refused by the server: Enter changes neither project, and the window reloads what is open', async ({ studio, page }) => {
  // Window A's event connection delivers nothing from the server: as if the switch's event were late.
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer()
    server.onMessage(() => undefined)
  })
  const other = await twoProjects(studio, page)
  await openInWindowB(studio, page, other)
  // A did not hear of it: it still shows the first project's title 1.
  await expect(page.getByTestId('project-name')).toHaveText('project')
  await expect(page.getByTestId('title-text')).toContainText('红色苹果手机壳')

  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Enter')
  // Before, this marked title 1 of the OTHER project reviewed.
  await expect(page.getByTestId('project-name')).toHaveText('other')
  await expect(page.getByTestId('title-text')).toContainText('蓝色连衣裙')
  await expect(page.getByTestId('notice')).toHaveText('Another window opened “other”: this window shows it now')
  expect(statuses(other)).toEqual({ 蓝色连衣裙: 'unreviewed', 儿童双肩书包: 'unreviewed' })
  expect(statuses(studio.projectPath)).toEqual({ 红色苹果手机壳: 'unreviewed', 男士真皮皮鞋: 'unreviewed' })
  // Now that A shows the open project, its Enter works there.
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('editor-message')).toHaveText('Marked reviewed')
  expect(statuses(other)['蓝色连衣裙']).toBe('reviewed')
})

test('the server stops: a banner says so; Reconnect while it is down keeps it; after a restart on the same port the window comes back to its title and works again', async ({ studio, page }) => {
  await studio.api('import.run', { path: studio.jsonl('t.jsonl', [{ text: '红色苹果手机壳' }, { text: '男士真皮皮鞋' }]), format: 'jsonl', split: 'train', origin: 'gold' })
  await studio.open()
  await page.getByTestId('title-row').nth(1).click()
  await expect(page.getByTestId('title-text')).toContainText('男士真皮皮鞋')
  await expect(page.getByTestId('server-gone')).toHaveCount(0)

  await studio.server.close()
  const banner = page.getByTestId('server-gone')
  await expect(banner).toContainText("The studio's server stopped responding")
  await page.getByTestId('reconnect').click()
  await expect(page.getByTestId('reconnect')).toHaveText('Reconnect')
  await expect(banner).toBeVisible()
  // An edit while it is gone says so instead of pretending.
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('editor-message')).toContainText("The studio's server stopped responding")

  const again = await startServer({ projectPath: studio.projectPath, port: studio.server.port, token: studio.server.token })
  try {
    const button = page.getByTestId('reconnect')
    if (await button.isVisible()) await button.click().catch(() => undefined) // or the window's own retry got there first
    await expect(banner).toHaveCount(0)
    // The view comes back: the same title (the restarted server is a new opening of the same file).
    await expect(page.getByTestId('title-text')).toContainText('男士真皮皮鞋')
    await expect(page.getByTestId('notice')).toContainText('“project” was opened again')
    await page.getByTestId('title-text').focus()
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('editor-message')).toHaveText('Marked reviewed')
    await page.getByTestId('title-row').first().click()
    await expect(page.getByTestId('title-text')).toContainText('红色苹果手机壳')
  } finally {
    await again.close()
  }
  expect(statuses(studio.projectPath)).toEqual({ 红色苹果手机壳: 'unreviewed', 男士真皮皮鞋: 'reviewed' })
})

test('a server restarted with a new access token: Reconnect says to open the URL it printed', async ({ studio, page }) => {
  await studio.open()
  await studio.server.close()
  await expect(page.getByTestId('server-gone')).toContainText("The studio's server stopped responding")
  const again = await startServer({ projectPath: studio.projectPath, port: studio.server.port })
  try {
    await page.getByTestId('reconnect').click()
    await expect(page.getByTestId('server-gone')).toContainText("does not accept this window's access token (was it restarted?): open the URL it printed")
  } finally {
    await again.close()
  }
})

test('at 1280 × 800 the import notice is shown whole ("Imported 3,000 titles, … from <file>"), not cut to "Imported 3,…"', async ({ studio, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 })
  const titles = Array.from({ length: 3000 }, (_, i) => ({ text: `红色苹果手机壳第${i}款`, label: [[0, 2, '颜色']] as [number, number, string][] }))
  const file = writeJsonl(join(studio.dir, 'a-rather-long-file-name-from-the-shop-export-2026-12.jsonl'), titles)
  await studio.open()
  await studio.importFile(file, { format: 'jsonl', split: 'train', origin: 'gold' })
  const done = page.getByTestId('import-done')
  await expect(done).toHaveText('Imported 3,000 titles, 3,000 spans from a-rather-long-file-name-from-the-shop-export-2026-12.jsonl')
  const fits = await done.evaluate((el) => {
    const r = el.getBoundingClientRect()
    return { scroll: el.scrollWidth, client: el.clientWidth, right: r.right, view: window.innerWidth }
  })
  expect(fits.scroll).toBeLessThanOrEqual(fits.client)
  expect(fits.right).toBeLessThanOrEqual(fits.view)
})

test('a relative project path typed in the window is refused with a message, and nothing is opened or created', async ({ studio, page }) => {
  await studio.open()
  await page.getByTestId('tab-project').click()
  await page.getByTestId('open-path').fill('shop.sqlite')
  await page.getByTestId('open-run').click()
  await expect(page.getByTestId('app-error')).toContainText('“shop.sqlite” is a relative path: give the full path of the project file')
  await expect(page.getByTestId('project-name')).toHaveText('project')
  expect((await studio.api('project.current'))?.path).toBe(studio.projectPath)
})
