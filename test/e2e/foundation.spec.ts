/// <reference lib="dom" />
import { existsSync, readFileSync } from 'node:fs'
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
  await expect(page.getByTestId('project-name')).toHaveCount(0)
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

test('an export downloads in browser mode: fetch with the token header → Blob → save; no token, no file', async ({ studio, page }) => {
  await studio.api('import.run', { path: studio.jsonl('titles.jsonl', [{ text: '华为手机壳', label: [[0, 2, '品牌']] }, { text: '😀苹果充电器' }]) })
  await studio.open()
  await page.getByTestId('tab-export').click()
  const out = `${studio.dir}/attributes.csv`
  await page.getByTestId('export-out').fill(out)
  await page.getByTestId('export-run').click()
  await expect(page.getByTestId('export-result')).toContainText('Exported 2 titles')
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').first().click()])
  expect(dl.suggestedFilename()).toBe('attributes.csv')
  const saved = readFileSync((await dl.path())!, 'utf8')
  expect(saved).toBe(readFileSync(out, 'utf8'))
  expect(saved).toContain('华为手机壳')
  // The same file without the header: refused.
  const res = await page.request.get(`http://127.0.0.1:${studio.server.port}/download?path=${encodeURIComponent(out)}`)
  expect(res.status()).toBe(401)
})
