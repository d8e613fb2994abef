/// <reference lib="dom" />
// The same core flow in the desktop shell, through Playwright's Electron driver — when an Electron
// binary is installed. Its download is blocked on this machine, so there the suite says so and skips.
import { _electron as electron, expect, test } from '@playwright/test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { importInto } from '../../src-main/services/io/import'
import { Project } from '../../src-main/services/project/project'

function electronBinary(): string | null {
  try {
    // The electron package exports the path of its binary, and throws when the binary is missing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = require('electron') as unknown
    return typeof p === 'string' && existsSync(p) ? p : null
  } catch {
    return null
  }
}

const binary = electronBinary()

test('desktop shell: open a project, label with the keyboard, undo and redo, mark reviewed', async () => {
  test.skip(!binary, 'Electron binary not installed (its download is blocked on this machine)')
  const dir = mkdtempSync(join(tmpdir(), 'ner-electron-'))
  try {
    const projectPath = join(dir, 'desk.sqlite')
    Project.open(projectPath, { create: true }).close()
    const f = join(dir, 't.jsonl')
    writeFileSync(f, JSON.stringify({ text: '🎁华为手机壳黑色', label: [[1, 3, '品牌'], [6, 8, '颜色']] }) + '\n')
    await importInto(projectPath, { path: f, format: 'jsonl', origin: 'weak' })
    const app = await electron.launch({
      executablePath: binary!,
      args: [resolve(__dirname, '..', '..', 'out', 'main', 'index.js'), '--no-sandbox', projectPath],
      env: { ...process.env, NER_STUDIO_HOME: join(dir, 'home'), ELECTRON_ENABLE_LOGGING: '1' },
    })
    const page = await app.firstWindow()
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
    await expect(page.locator('.shell-note')).toContainText('desktop')
    // The preload exposes one frozen object and nothing of node.
    expect(await page.evaluate(() => Object.isFrozen((window as unknown as { studio: object }).studio))).toBe(true)
    expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined')
    await expect(page.getByTestId('title-text')).toContainText('华为手机壳')
    const hotkey = await page.locator('[data-testid="type-item"][data-type="品牌"] kbd').textContent()
    await page.getByTestId('title-text').focus()
    await page.keyboard.press('Home')
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight')
    await page.keyboard.press('Shift+ArrowRight')
    await page.keyboard.press('Shift+ArrowRight')
    await page.keyboard.press(hotkey!.trim())
    await expect(page.locator('[data-testid="span-row"][data-start="3"][data-end="5"]')).toHaveAttribute('data-origin', 'gold')
    await page.keyboard.press('Control+z')
    await expect(page.locator('[data-testid="span-row"][data-start="3"]')).toHaveCount(0)
    await page.keyboard.press('Control+Shift+z')
    await expect(page.locator('[data-testid="span-row"][data-start="3"]')).toHaveCount(1)
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('title-status')).toHaveText('reviewed')
    await page.screenshot({ path: test.info().outputPath('electron-editor.png') })
    await app.close()
    const p = Project.open(projectPath)
    expect(p.getTitle(1).spans.map((s) => [s.start, s.end])).toEqual([[1, 3], [3, 5], [6, 8]])
    expect(p.getTitle(1).status).toBe('reviewed')
    p.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
