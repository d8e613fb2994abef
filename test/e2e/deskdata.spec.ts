/// <reference lib="dom" />
// Data management on the desk, end to end in chromium against the real server and a real
// project file. Each story failed before: a tagged file detected as text (problem 4), weak labels
// with stray tags not importable from the screen (3), no way to change splits, delete titles or
// mark imported gold reviewed in bulk (10, 11), no warning before training on a handful of titles.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { test, expect } from './fixtures/studio'

const CONLL = ['小 B-8', '米 I-8', '手 B-4', '环 I-4', '', '苹 B-8', '果 I-8', '壳 O', ''].join('\n')

test('problem 4: a tagged .txt is not guessed as text; the preview shows titles and spans; the import is listed and undone', async ({ studio, page }) => {
  const file = join(studio.dir, 'weak-labels.txt')
  writeFileSync(file, CONLL)
  await studio.open()
  await page.getByTestId('tab-project').click()
  await page.getByTestId('import-path').fill(file)
  // "detect format" refuses to choose between CoNLL and text, and says why.
  await page.getByTestId('import-preview').click()
  await expect(page.getByTestId('import-error')).toContainText('look like CoNLL')
  await page.getByTestId('import-run').click()
  await expect(page.getByTestId('import-error')).toContainText('choose "conll"')
  expect((await studio.api('project.stats')).titles).toBe(0)

  await page.getByTestId('import-format').selectOption('conll')
  await page.getByTestId('import-preview').click()
  await expect(page.getByTestId('import-preview-format')).toHaveText('conll')
  await expect(page.getByTestId('import-preview-title')).toHaveText([/小米手环\s*8, 4/, /苹果壳\s*8/])
  // Cancel writes nothing; Import from the preview imports.
  await page.getByTestId('import-preview-cancel').click()
  await expect(page.getByTestId('import-preview-panel')).toHaveCount(0)
  expect((await studio.api('project.stats')).titles).toBe(0)
  await page.getByTestId('import-preview').click()
  await page.getByTestId('import-preview-run').click()
  await expect(page.getByTestId('import-done')).toContainText('2 titles')
  expect((await studio.api('project.stats')).spans).toBe(3)

  await page.getByTestId('tab-project').click()
  await expect(page.getByTestId('import-row-1')).toContainText('weak-labels.txt')
  await page.getByTestId('import-undo-1').click()
  await expect(page.getByTestId('import-undo-confirm')).toContainText('Delete the 2 titles')
  await page.getByTestId('import-undo-yes').click()
  await expect(page.getByTestId('import-row-1')).toContainText('undone')
  expect((await studio.api('project.stats')).titles).toBe(0)

  // Read as plain text on purpose, the result is flagged at once.
  await page.getByTestId('import-path').fill(file)
  await page.getByTestId('import-format').selectOption('text')
  await page.getByTestId('import-run').click()
  await expect(page.getByTestId('import-warnings')).toContainText('7 of 7 titles are one character and a tag')
})

test('problem 3: weak labels with a stray I- tag import from the screen with "repair stray tags"', async ({ studio, page }) => {
  const file = join(studio.dir, 'gaiic.bio')
  writeFileSync(file, ['华 B-1', '为 I-1', '', '手 I-4', '机 I-4', '壳 O', ''].join('\n'))
  await studio.open()
  await page.getByTestId('tab-project').click()
  await page.getByTestId('import-path').fill(file)
  await page.getByTestId('import-run').click()
  await expect(page.getByTestId('import-error')).toContainText('gaiic.bio:4')
  await page.getByTestId('import-repair').check()
  await page.getByTestId('import-preview').click()
  await expect(page.getByTestId('import-preview-panel')).toContainText('1 stray tags repaired')
  await page.getByTestId('import-preview-run').click()
  await expect(page.getByTestId('import-done')).toContainText('2 titles')
  const t = await studio.api('titles.get', { id: 2 })
  expect(t.spans.map((s) => [s.start, s.end, s.type])).toEqual([[0, 2, '4']])
})

test('problems 10 and 11: move a filter to dev, mark imported gold reviewed in bulk — counted, confirmed, one undo step', async ({ studio, page }) => {
  const lines = Array.from({ length: 12 }, (_, i) => ({ text: `${i < 4 ? '华为' : '小米'}手机${i}`, label: [[0, 2, '品牌']] as [number, number, string][] }))
  await studio.open()
  await studio.importFile(studio.jsonl('gold.jsonl', lines), { format: 'jsonl', split: 'train', origin: 'gold' })
  await page.getByTestId('tab-annotate').click()
  await page.getByTestId('search').fill('华为')
  await page.getByTestId('search').press('Enter')
  await expect(page.getByTestId('title-count')).toHaveText('4 titles')
  await page.getByTestId('bulk-action').selectOption('move:dev')
  await page.getByTestId('bulk-ask').click()
  await expect(page.getByTestId('bulk-confirm-text')).toHaveText('Move 4 of 4 titles to dev?')
  await page.getByTestId('bulk-yes').click()
  await expect(page.getByTestId('bulk-confirm')).toHaveCount(0)
  expect((await studio.api('titles.counts', {})).bySplit).toMatchObject({ train: 8, dev: 4 })

  await page.getByTestId('search').fill('')
  await page.getByTestId('search').press('Enter')
  await expect(page.getByTestId('title-count')).toHaveText('12 titles')
  await page.getByTestId('bulk-action').selectOption('mark:reviewed')
  await page.getByTestId('bulk-ask').click()
  await expect(page.getByTestId('bulk-confirm-text')).toHaveText('Mark 12 of 12 titles reviewed?')
  await page.getByTestId('bulk-yes').click()
  await expect.poll(async () => (await studio.api('titles.counts', {})).byStatus.reviewed).toBe(12)
  // One undo step takes the whole bulk action back.
  expect((await studio.api('history.undo')).label).toBe('mark 12 titles reviewed')
  expect((await studio.api('titles.counts', {})).byStatus.reviewed).toBe(0)

  // Delete titles: confirmed with the span count, then gone.
  await page.getByTestId('filter-split').selectOption('dev')
  await expect(page.getByTestId('title-count')).toHaveText('4 titles')
  await page.getByTestId('bulk-action').selectOption('delete')
  await page.getByTestId('bulk-ask').click()
  await expect(page.getByTestId('bulk-confirm-text')).toHaveText('Delete 4 titles and their 4 spans?')
  await page.getByTestId('bulk-yes').click()
  await expect.poll(async () => (await studio.api('project.stats')).titles).toBe(8)
})

test('training on a handful of titles is warned about before it starts', async ({ studio, page }) => {
  await studio.open()
  await studio.importFile(studio.jsonl('few.jsonl', [{ text: '华为手机', label: [[0, 2, '品牌']] }]), { format: 'jsonl', split: 'train' })
  await page.getByTestId('tab-train').click()
  await expect(page.getByTestId('train-few')).toContainText('Only 1 title to train on')
})

test('problem 7: Alt+L on weak data confirms identical weak places, previews its count, and leaves dev titles alone', async ({ studio, page }) => {
  await studio.open()
  const weak = [
    { text: '苹果手机壳', label: [[0, 2, '品牌']] as [number, number, string][] },
    { text: '苹果数据线', label: [[0, 2, '品牌']] as [number, number, string][] },
    { text: '新款苹果', label: [] },
  ]
  await studio.importFile(studio.jsonl('weak.jsonl', weak), { format: 'jsonl', split: 'train', origin: 'weak' })
  await page.getByTestId('tab-project').click()
  await studio.importFile(studio.jsonl('dev.jsonl', [{ text: '苹果耳机', label: [] }]), { format: 'jsonl', split: 'dev', origin: 'gold' })
  await page.getByTestId('tab-annotate').click()
  await page.getByTestId('title-row').first().click()
  await expect(page.getByTestId('title-text')).toContainText('苹果手机壳')
  await page.getByTestId('span-row').first().click()
  await page.keyboard.press('Alt+l')
  await expect(page.getByTestId('occurrences-text')).toContainText('Label 2 more “苹果” in 2 titles (1 weak spans confirmed)')
  await expect(page.getByTestId('occurrences-text')).toContainText('1 in reviewed or dev/test titles are left alone')
  expect((await studio.api('project.stats')).byOrigin).toMatchObject({ gold: 0, weak: 2 })
  await page.getByTestId('occurrences-yes').click()
  await expect(page.getByTestId('editor-message')).toContainText('Labelled 2 more places in 2 titles')
  expect((await studio.api('titles.get', { id: 2 })).spans.map((s) => [s.type, s.origin])).toEqual([['品牌', 'gold']])
  expect((await studio.api('titles.get', { id: 4 })).spans).toEqual([])
})

test('problem 8: after a reload the pre-annotate screen picks the run whose spans wait, rejects below a threshold, recounts after undo', async ({ studio, page }) => {
  await studio.open()
  await studio.importFile(studio.jsonl('t.jsonl', [{ text: '华为手机' }, { text: '小米电视' }, { text: '红色外套' }]), { format: 'jsonl', split: 'train' })
  // Two trained runs; only the older one has pre-annotated spans waiting (as after a reload).
  const db = new Database(studio.projectPath)
  const type = Number(db.prepare(`INSERT INTO entity_types (name, color, created_at) VALUES ('品牌', '#2f6feb', 0)`).run().lastInsertRowid)
  for (const id of [1, 2]) {
    db.prepare(`INSERT INTO runs (id, preset, config, status, created_at) VALUES (?, 'bilstm-crf', '{}', 'done', ?)`).run(id, id)
    db.prepare(`INSERT INTO checkpoints (run_id, manifest, weights) VALUES (?, '{}', x'00')`).run(id)
  }
  const span = db.prepare(`INSERT INTO spans (title_id, start, end, type_id, origin, run_id, confidence, created_at) VALUES (?, 0, 2, ?, 'model', 1, ?, 0)`)
  span.run(1, type, 0.3)
  span.run(2, type, 0.95)
  db.close()
  await page.reload()
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  await page.getByTestId('tab-preannotate').click()
  await expect(page.getByTestId('pre-run')).toHaveValue('1')
  await expect(page.getByTestId('queue-row')).toHaveCount(2)
  // The newest run has nothing waiting: the screen says where the spans are instead of "Nothing to review".
  await page.getByTestId('pre-run').selectOption('2')
  await expect(page.getByTestId('queue-empty')).toContainText('run 1 has 2 in 2 titles')
  await page.getByTestId('queue-switch').click()
  await expect(page.getByTestId('queue-row')).toHaveCount(2)
  // Reject the unsure ones: below 0.90.
  await page.getByTestId('bulk-direction').selectOption({ label: '<' })
  await expect(page.getByTestId('bulk-preview')).toContainText('1 品牌 model span(s) at < 0.90 in 1 title(s)')
  await page.getByTestId('bulk-reject').click()
  await expect(page.getByTestId('queue-row')).toHaveCount(1)
  expect((await studio.api('titles.get', { id: 1 })).spans).toEqual([])
  // Undone elsewhere (another window, the editor): the counts here follow.
  await studio.api('history.undo')
  await expect(page.getByTestId('queue-row')).toHaveCount(2)
  await expect(page.getByTestId('bulk-preview')).toContainText('1 品牌 model span(s) at < 0.90')
})

test('problem 9: the least-confident queue is a review stream — ↓ goes to the next in the queue, Enter accepts and moves on', async ({ studio, page }) => {
  await studio.open()
  const lines = [{ text: '华为手机' }, { text: '小米电视' }, { text: '红色外套' }, { text: '苹果耳机' }]
  await studio.importFile(studio.jsonl('t.jsonl', lines), { format: 'jsonl', split: 'train' })
  const db = new Database(studio.projectPath)
  const type = Number(db.prepare(`INSERT INTO entity_types (name, color, created_at) VALUES ('品牌', '#2f6feb', 0)`).run().lastInsertRowid)
  db.prepare(`INSERT INTO runs (id, preset, config, status, created_at) VALUES (1, 'bilstm-crf', '{}', 'done', 1)`).run()
  db.prepare(`INSERT INTO checkpoints (run_id, manifest, weights) VALUES (1, '{}', x'00')`).run()
  const span = db.prepare(`INSERT INTO spans (title_id, start, end, type_id, origin, run_id, confidence, created_at) VALUES (?, 0, 2, ?, 'model', 1, ?, 0)`)
  span.run(3, type, 0.2) // least confident first: 3, then 1
  span.run(1, type, 0.6)
  db.close()
  await page.reload()
  await page.getByTestId('tab-preannotate').click()
  await expect(page.getByTestId('queue-row')).toHaveCount(2)
  await page.getByTestId('queue-open').first().click()
  await expect(page.getByTestId('title-text')).toContainText('红色外套')
  await expect(page.getByTestId('stream-progress')).toHaveText('1 / 2')
  await page.getByTestId('title-text').focus()
  await page.keyboard.press('ArrowDown') // skip: the next in the queue is title 1, not title 4
  await expect(page.getByTestId('title-text')).toContainText('华为手机')
  await expect(page.getByTestId('stream-progress')).toHaveText('2 / 2')
  await page.keyboard.press('ArrowUp') // back
  await expect(page.getByTestId('title-text')).toContainText('红色外套')
  await page.keyboard.press('Enter') // accept and next
  await expect(page.getByTestId('title-text')).toContainText('华为手机')
  expect((await studio.api('titles.get', { id: 3 })).status).toBe('reviewed')
  expect((await studio.api('titles.get', { id: 1 })).status).toBe('unreviewed')
  await page.getByTestId('stream-leave').click()
  await expect(page.getByTestId('stream')).toHaveCount(0)
})
