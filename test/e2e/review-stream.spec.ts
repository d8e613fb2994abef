/// <reference lib="dom" />
// The review stream with the model's suggestions, in chromium against the real
// server and a real project file: the disagreement queue opened and walked keyboard-only (accept a
// suggestion with Alt+A, Enter to submit and move on, ↓ skip, ↑ back), and suggestions accepted by
// click from the desk's "Suggestions from run" picker — refused where they overlap, undone with Ctrl+Z.
import type { Page } from '@playwright/test'
import Database from 'better-sqlite3'
import { test, expect, type StudioFixture } from './fixtures/studio'

type P = { start: number; end: number; type: string; confidence: number }
const p = (start: number, end: number, type: string, confidence: number): P => ({ start, end, type, confidence })

/**
 * Four titles and run 1's predictions. Against the stored (gold/weak) spans:
 *   1 华为手机壳  gold 品牌 0-2          pred 品牌 0-2                → agrees: not in the queue
 *   2 小米电视机  weak 品牌 0-2          pred 品牌 0-2, 品类 2-5      → 1 difference
 *   3 苹果耳机套  —                      pred 品牌 0-2, 品类 2-5      → 2 differences
 *   4 回力女鞋子  gold 品牌 0-2          pred 品牌 0-2, 品类 1-5      → 1 difference (and a clash)
 */
async function setup(studio: StudioFixture): Promise<void> {
  const lines = [
    { text: '华为手机壳', label: [[0, 2, '品牌']] as [number, number, string][] },
    { text: '小米电视机' },
    { text: '苹果耳机套' },
    { text: '回力女鞋子', label: [[0, 2, '品牌']] as [number, number, string][] },
  ]
  await studio.api('import.run', { path: studio.jsonl('t.jsonl', lines), format: 'jsonl', split: 'train' })
  const db = new Database(studio.projectPath)
  const brand = (db.prepare(`SELECT id FROM entity_types WHERE name = '品牌'`).get() as { id: number }).id
  db.prepare(`INSERT INTO entity_types (name, color, created_at) VALUES ('品类', '#1a7f37', 0)`).run()
  db.prepare(`INSERT INTO spans (title_id, start, end, type_id, origin, created_at) VALUES (2, 0, 2, ?, 'weak', 0)`).run(brand)
  db.prepare(`INSERT INTO runs (id, preset, config, status, created_at) VALUES (1, 'bilstm-crf', '{}', 'done', 1)`).run()
  db.prepare(`INSERT INTO checkpoints (run_id, manifest, weights) VALUES (1, '{}', x'00')`).run()
  const pred = db.prepare('INSERT INTO predictions (run_id, title_id, spans) VALUES (1, ?, ?)')
  pred.run(1, JSON.stringify([p(0, 2, '品牌', 0.97)]))
  pred.run(2, JSON.stringify([p(0, 2, '品牌', 0.81), p(2, 5, '品类', 0.42)]))
  pred.run(3, JSON.stringify([p(0, 2, '品牌', 0.9), p(2, 5, '品类', 0.7)]))
  pred.run(4, JSON.stringify([p(0, 2, '品牌', 0.88), p(1, 5, '品类', 0.35)]))
  db.close()
  await studio.open()
}

const spansOf = async (studio: StudioFixture, id: number): Promise<string[]> =>
  (await studio.api('titles.get', { id })).spans.map((s) => `${s.start}-${s.end}:${s.type}:${s.origin}`)
const focused = (page: Page): Promise<string | null> => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null)
const suggestion = (page: Page, start: number, type: string) => page.locator(`[data-testid="suggestion"][data-start="${start}"][data-type="${type}"]`)

test('keyboard only: the disagreement queue, Alt+A accepts a suggestion, Enter submits and moves on, ↓ skips, ↑ goes back', async ({ studio, page }) => {
  await setup(studio)
  // Filter the list to "disagrees with run 1" with the keyboard: focus the select, arrow to the run.
  await page.getByTestId('filter-run').focus()
  await page.keyboard.press('ArrowDown')
  await expect(page.getByTestId('filter-run')).toHaveValue('1')
  await expect(page.getByTestId('title-count')).toHaveText('3 titles')
  // Tab to the list's Review button and press Enter: the queue opens, most disagreeing first.
  let reached = false
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab')
    reached = (await focused(page)) === 'review-list'
  }
  expect(reached).toBe(true)
  await expect(page.getByTestId('review-list')).toContainText('Review disagreements')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('stream-label')).toContainText('disagreements with run 1')
  await expect(page.getByTestId('title-text')).toContainText('苹果耳机套')
  await expect(page.getByTestId('stream-progress')).toHaveText('1 / 3')
  expect(await focused(page)).toBe('title-text')

  // The run's spans beside the gold, with confidences; none is stored yet.
  await expect(page.getByTestId('suggest-run')).toHaveValue('1')
  await expect(page.getByTestId('suggestion')).toHaveCount(2)
  await expect(suggestion(page, 0, '品牌')).toHaveAttribute('data-state', 'new')
  await expect(suggestion(page, 0, '品牌').getByTestId('suggestion-confidence')).toHaveText('0.90')
  await expect(suggestion(page, 2, '品类').getByTestId('suggestion-confidence')).toHaveText('0.70')
  await expect(page.getByTestId('span-row')).toHaveCount(0)
  // In the title itself, the characters under open suggestions carry their mark (5 of 5).
  await expect(page.locator('[data-testid="char"].sug')).toHaveCount(5)

  // Alt+A: the suggestion under the cursor (at 0) becomes a gold span; the next one is now current.
  await page.keyboard.press('Alt+A')
  await expect(suggestion(page, 0, '品牌')).toHaveAttribute('data-state', 'gold')
  await expect(page.locator('[data-testid="span-row"][data-start="0"][data-end="2"]')).toHaveAttribute('data-origin', 'gold')
  await expect(suggestion(page, 2, '品类')).toHaveClass(/current/)
  await expect(page.locator('[data-testid="char"].sug')).toHaveCount(3)

  // Enter: submit (reviewed) and move on to the next of the queue.
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('title-text')).toContainText('小米电视机')
  await expect(page.getByTestId('stream-progress')).toHaveText('2 / 3')
  expect((await studio.api('titles.get', { id: 3 })).status).toBe('reviewed')
  expect(await spansOf(studio, 3)).toEqual(['0-2:品牌:gold'])
  // Here the run agrees with the weak span (accepting it would confirm it) and adds 品类.
  await expect(suggestion(page, 0, '品牌')).toHaveAttribute('data-state', 'same')
  await expect(suggestion(page, 2, '品类')).toHaveAttribute('data-state', 'new')

  await page.keyboard.press('ArrowDown') // skip
  await expect(page.getByTestId('title-text')).toContainText('回力女鞋子')
  await expect(page.getByTestId('stream-progress')).toHaveText('3 / 3')
  await page.keyboard.press('ArrowUp') // back
  await expect(page.getByTestId('stream-progress')).toHaveText('2 / 3')
  await page.keyboard.press('ArrowUp')
  await expect(page.getByTestId('title-text')).toContainText('苹果耳机套')
  await expect(page.getByTestId('stream-progress')).toHaveText('1 / 3')
  await expect(page.getByTestId('title-status')).toHaveText('reviewed')
  // The skipped title is untouched.
  expect((await studio.api('titles.get', { id: 2 })).status).toBe('unreviewed')
  expect(await spansOf(studio, 2)).toEqual(['0-2:品牌:weak'])
})

test('a click accepts a suggestion (a weak span confirmed, a new gold span), an overlapping one is refused, Ctrl+Z undoes', async ({ studio, page }) => {
  await setup(studio)
  // No stream: the desk's picker chooses the run whose suggestions are drawn.
  await page.locator('[data-testid="title-row"][data-id="2"]').click()
  await expect(page.getByTestId('title-text')).toContainText('小米电视机')
  await expect(page.getByTestId('suggestion')).toHaveCount(0)
  await page.getByTestId('suggest-run').selectOption('1')
  await expect(page.getByTestId('suggestion')).toHaveCount(2)

  await suggestion(page, 0, '品牌').click()
  await expect(page.locator('[data-testid="span-row"][data-start="0"]')).toHaveAttribute('data-origin', 'gold')
  await suggestion(page, 2, '品类').click()
  await expect(page.locator('[data-testid="span-row"][data-start="2"]')).toHaveAttribute('data-type', '品类')
  await expect(page.getByTestId('suggestion').and(page.locator('[data-state="gold"]'))).toHaveCount(2)
  expect(await spansOf(studio, 2)).toEqual(['0-2:品牌:gold', '2-5:品类:gold'])

  // Each accept is one undo step.
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('Control+z')
  await expect(suggestion(page, 2, '品类')).toHaveAttribute('data-state', 'new')
  expect(await spansOf(studio, 2)).toEqual(['0-2:品牌:gold'])

  // Title 4: 品类 1-5 overlaps the gold 品牌 0-2, so accepting it is refused and nothing changes.
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowDown')
  await expect(page.getByTestId('title-text')).toContainText('回力女鞋子')
  await expect(suggestion(page, 0, '品牌')).toHaveAttribute('data-state', 'gold')
  await expect(suggestion(page, 1, '品类')).toHaveAttribute('data-state', 'clash')
  await suggestion(page, 1, '品类').click()
  await expect(page.getByTestId('editor-message')).toContainText('overlaps the 品牌 span')
  expect(await spansOf(studio, 4)).toEqual(['0-2:品牌:gold'])
})
