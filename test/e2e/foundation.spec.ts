/// <reference lib="dom" />
import { existsSync } from 'node:fs'
import { SEED_TRAIN as SEED } from '../helpers/paths'
import { test, expect } from './fixtures/studio'

test('the renderer loads in a real browser through the token-protected server', async ({ studio, page }) => {
  await studio.open()
  await expect(page.getByTestId('project-name')).toHaveText('project')
  await expect(page.locator('.shell-note')).toContainText('browser mode')
})

test('the token comes from the URL fragment: stripped from the address bar, kept for reloads, never a cookie', async ({ studio, page }) => {
  expect(studio.server.url).toMatch(/\/#token=[0-9a-f]{48}$/)
  await studio.open()
  expect(page.url()).not.toContain(studio.server.token)
  expect(await page.evaluate(() => sessionStorage.getItem('ner-studio-token'))).toBe(studio.server.token)
  expect(await page.context().cookies()).toEqual([])
  // A reload works from the tab's session storage.
  await page.reload()
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  await expect(page.getByTestId('project-name')).toHaveText('project')
})

test('a page without the token gets the public shell but no data', async ({ studio, page }) => {
  const res = await page.goto(`http://127.0.0.1:${studio.server.port}/`)
  expect(res?.status()).toBe(200)
  const status = await page.evaluate(async () => (await fetch('/api/project.current', { method: 'POST' })).status)
  expect(status).toBe(401)
  await expect(page.getByTestId('project-name')).not.toHaveText('project')
})

test('import the seed sample from the browser and see Chinese titles rendered', async ({ studio, page }) => {
  test.skip(!existsSync(SEED), 'needs ../shared/data/seed-sample (not present on this machine)')
  await studio.open()
  await studio.importFile(SEED, { format: 'seed' })
  await expect(page.getByTestId('title-count')).toHaveText('10,000 titles')
  await expect(page.getByTestId('title-text')).toContainText('啄木鸟')
  // A CJK font must really draw the characters: without one, 品 and 牌 both come out as the same
  // "missing glyph" box, so their pixels are identical.
  const sameGlyph = await page.evaluate(() => {
    const draw = (ch: string): string => {
      const c = document.createElement('canvas')
      c.width = c.height = 40
      const g = c.getContext('2d')!
      g.font = `32px ${getComputedStyle(document.body).fontFamily}`
      g.fillText(ch, 2, 34)
      return c.toDataURL()
    }
    return draw('品') === draw('牌')
  })
  expect(sameGlyph).toBe(false)
  await page.getByTestId('search').fill('zippo')
  await page.getByTestId('search').press('Enter')
  await expect(page.getByTestId('title-row').first()).toContainText('zippo')
  await page.screenshot({ path: test.info().outputPath('foundation-seed-sample.png'), fullPage: true })
})
