/// <reference lib="dom" />
// Model in the loop end to end, one long story: the real renderer in Debian's chromium,
// the real server, a real trainer process. Weak labels from ecommerce-ding2019 → its gazetteers
// applied → correct a few titles → train bilstm-crf one epoch (small dims) watching progress and
// chart → Evaluate → click a cell → fix the title in the editor → pre-annotate unlabelled titles →
// accept one type above a threshold → export the attributes CSV and check its rows.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { DING_TRAIN as DING } from '../helpers/paths'
import { test, expect } from './fixtures/studio'

/** Titles [from, from + n) of the CoNLL file, as CoNLL blocks. */
function slice(from: number, n: number): string[] {
  const blocks = readFileSync(DING, 'utf8').split(/\n\s*\n/).filter((b) => b.trim())
  return blocks.slice(from, from + n)
}
const textOf = (block: string): string =>
  block
    .split('\n')
    .filter((l) => l.length)
    .map((l) => (l.startsWith('\t') ? ' ' : l.split('\t')[0]))
    .join('')

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`) })
}

test('weak labels → gazetteers → correct → train → evaluate → drill down → fix → pre-annotate → accept → export', async ({ studio, page }) => {
  test.skip(!existsSync(DING), 'needs ../shared/data/ecommerce-ding2019/train.txt.bieos (not present on this machine)')
  test.setTimeout(240_000)
  const train = join(studio.dir, 'ding-train.bieos')
  const testFile = join(studio.dir, 'ding-test.bieos')
  const unlabelled = join(studio.dir, 'ding-unlabelled.txt')
  writeFileSync(train, slice(0, 800).join('\n\n') + '\n')
  writeFileSync(testFile, slice(800, 80).join('\n\n') + '\n')
  writeFileSync(unlabelled, slice(880, 120).map(textOf).join('\n') + '\n')

  // Import the weak labels through the Project screen; the test and unlabelled slices by the API.
  await studio.open()
  await studio.importFile(train, { format: 'conll', split: 'train', origin: 'weak' })
  await studio.api('import.run', { path: testFile, format: 'conll', split: 'test', origin: 'weak' })
  await studio.api('import.run', { path: unlabelled, format: 'text', split: 'none' })

  // Apply two of its gazetteers (a brand list and a product list) to the train titles.
  await page.getByTestId('tab-weak').click()
  for (const [name, type] of [['brand1', 'HP'], ['product1', 'HC']] as const) {
    await page.getByTestId('dict-path').fill(join(DING, '..', 'dics', `${name}.dic`))
    await page.getByTestId('dict-type').fill(type)
    await page.getByTestId('dict-import').click()
    await expect(page.getByTestId('dict-imported')).toContainText(`${name}:`)
  }
  await page.getByTestId('apply-split').selectOption('train')
  await page.getByTestId('apply-run').click()
  await expect(page.getByTestId('apply-result')).toBeVisible({ timeout: 60_000 })
  expect((await studio.api('project.stats')).byOrigin.dictionary).toBeGreaterThan(0)
  await shot(page, '0-weak-labels')

  // A few hundred weak titles is enough (and keeps this fast); correct a few: accept their weak spans as gold and mark them reviewed.
  await page.getByTestId('tab-annotate').click()
  for (let i = 0; i < 3; i++) {
    await page.getByTestId('title-row').nth(i).click()
    await page.getByTestId('accept-all').click()
    await page.getByTestId('mark-reviewed').click()
    await expect(page.getByTestId('title-status')).toHaveText('reviewed')
  }
  expect((await studio.api('project.stats')).byStatus.reviewed).toBe(3)

  // Train bilstm-crf for one epoch with small dims; the progress bar and the loss chart move.
  await page.getByTestId('tab-train').click()
  await expect(page.getByTestId('train-screen')).toBeVisible()
  // A BERT preset asks for the encoder's folder before it can train.
  await expect(page.getByTestId('preset-bert-crf')).toContainText('needs a BERT folder')
  await page.getByTestId('preset-bert-crf').click()
  await expect(page.getByTestId('train-bert')).toBeVisible()
  await expect(page.getByTestId('train-start')).toBeDisabled()
  await page.getByTestId('train-bert').fill('/some/folder')
  await expect(page.getByTestId('train-start')).toBeEnabled()
  // The eleventh preset, beyond the study, with its one line.
  await expect(page.getByTestId('preset-bilstm-globalpointer')).toContainText('GlobalPointer span head')
  await page.getByTestId('preset-bilstm-crf').click()
  // One of the parts beyond the study: lexicon features (here from the reviewed titles' gold spans).
  await page.getByTestId('cfg-lexicon').check()
  // and the decode bias chosen on dev after training
  await page.getByTestId('cfg-decode-bias').check()
  await page.getByTestId('cfg-epochs').fill('1')
  await page.getByTestId('cfg-batch').fill('8')
  // Small dims and a high learning rate: one epoch on 720 titles (a few seconds on wasm) that finds entities.
  await page.getByTestId('cfg-char').fill('32')
  await page.getByTestId('cfg-hidden').fill('32')
  await page.getByTestId('cfg-lr').fill('0.02')
  await page.getByTestId('data-all').check()
  await shot(page, '1-train-setup')
  await page.getByTestId('train-start').click()
  await expect(page.getByTestId('job-state')).toBeVisible()
  // The bar and the loss chart move while it trains: read the bar twice, and the job's loss points.
  const progress = async (): Promise<number> => Number(await page.getByTestId('progress').getAttribute('aria-valuenow'))
  await expect.poll(progress, { timeout: 60_000, intervals: [100] }).toBeGreaterThan(0)
  const early = await progress()
  const earlyPoints = (await studio.api('train.jobs'))[0]!.batchLoss.length
  await expect.poll(progress, { timeout: 60_000, intervals: [100] }).toBeGreaterThanOrEqual(Math.min(100, early + 30))
  if ((await page.getByTestId('job-state').textContent()) === 'running') {
    expect((await studio.api('train.jobs'))[0]!.batchLoss.length).toBeGreaterThan(earlyPoints)
    await shot(page, '2-train-running')
  }
  await expect(page.getByTestId('job-state')).toHaveText('done', { timeout: 120_000 })
  const jobs = await studio.api('train.jobs')
  expect(jobs[0]).toMatchObject({ state: 'done', preset: 'bilstm-crf', trainExamples: 720, devExamples: 80 })
  expect(jobs[0]!.batchLoss.length).toBeGreaterThan(1)
  expect(jobs[0]!.history[0]!.dev).toBeDefined()
  await expect(page.getByTestId('backend')).toContainText(/wasm|cpu|tensorflow/)
  await expect(page.getByTestId('best-f1')).toBeVisible()
  // A reloaded window shows the job again (it lives in the server).
  await page.reload()
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  await page.getByTestId('tab-train').click()
  await expect(page.getByTestId('job-state')).toHaveText('done')
  await page.waitForTimeout(300)
  await shot(page, '3-train-done')

  // Runs board.
  await page.getByTestId('tab-runs').click()
  await expect(page.getByTestId('run-row')).toHaveCount(1)
  await expect(page.getByTestId('run-row').first()).toContainText('bilstm-crf')
  await expect(page.getByTestId('run-parts-1')).toHaveText('+ lexicon · decoding tuned on dev')
  await expect(page.getByTestId('run-decoding-1')).toHaveText(/^decoding: (O bias [\d.]+ chosen on dev \(dev F1 [\d.]+ → [\d.]+\)|no O bias pays on dev \(dev F1 [\d.]+\))$/)
  // honest numbers: the whole training's wall time and its speed
  await expect(page.getByTestId('run-time-1')).toHaveText(/^\d+ s$|^\d+ min \d\d s$/)
  await expect(page.getByTestId('run-cps-1')).toHaveText(/^[\d,]+$/)
  await shot(page, '4-runs')

  // Evaluate on test, click an error bucket, land on one of its titles in the editor and fix it.
  await page.getByTestId('evaluate-1').click()
  await expect(page.getByTestId('per-type')).toBeVisible({ timeout: 60_000 })
  const ev = (await studio.api('runs.get', { runId: 1 })).evaluations.test
  expect(ev?.titles).toBe(80)
  await shot(page, '5-evaluate')
  const summary = await studio.api('eval.run', { runId: 1, split: 'test' })
  const bucket = (['missed', 'spurious', 'wrongBoundary', 'wrongType', 'wrongBoth'] as const).find((b) => summary.errors[b] > 0)!
  const offDiag = page.getByTestId('conf-off').first()
  const cell = (await offDiag.count()) ? offDiag : page.getByTestId(`bucket-${bucket}`)
  await cell.click()
  await expect(page.getByTestId('drill')).toBeVisible()
  const rows = page.getByTestId('drill-title')
  await expect(rows.first()).toBeVisible()
  const shown = await rows.count()
  expect(shown).toBeGreaterThan(0)
  await shot(page, '6-drill-down')
  const id = Number(await rows.first().getAttribute('data-id'))
  await rows.first().getByTestId('drill-open').click()
  await expect(page.getByTestId('editor')).toBeVisible()
  await expect(page.getByTestId('title-text')).toContainText((await studio.api('titles.get', { id })).text.slice(0, 6))
  // The cell is a review stream, with the run's predictions drawn beside the gold as suggestions.
  await expect(page.getByTestId('stream-progress')).toHaveText(/^1 \/ \d/)
  await expect(page.getByTestId('suggest-run')).toHaveValue('1')
  const predicted = await studio.api('review.suggestions', { runId: 1, titleId: id })
  await expect(page.getByTestId('suggestion')).toHaveCount(predicted.length)
  await page.getByTestId('accept-all').click()
  await page.getByTestId('mark-reviewed').click()
  await expect(page.getByTestId('title-status')).toHaveText('reviewed')
  const fixed = await studio.api('titles.get', { id })
  expect(fixed.status).toBe('reviewed')
  expect(fixed.spans.every((s) => s.origin === 'gold')).toBe(true)

  // Pre-annotate the unlabelled titles, then accept one type above a threshold.
  await page.getByTestId('tab-preannotate').click()
  await page.getByTestId('pre-split').selectOption('none')
  await page.getByTestId('pre-go').click()
  await expect(page.getByTestId('pre-result')).toBeVisible({ timeout: 60_000 })
  const statsAfter = await studio.api('project.stats')
  expect(statsAfter.byOrigin.model).toBeGreaterThan(0)
  await expect(page.getByTestId('queue-row').first()).toBeVisible()
  const confs = await page.getByTestId('queue-row').evaluateAll((trs) => trs.map((tr) => Number(tr.querySelector('td b')!.textContent)))
  expect(confs).toEqual([...confs].sort((a, b) => a - b))
  await shot(page, '7-preannotate')
  // Another uncertainty order: the least probable tag path first, the titles without a span included.
  await page.getByTestId('queue-order').selectOption('sequence')
  await expect(page.getByTestId('queue-heading')).toContainText('Least probable title first')
  const seq = await studio.api('preannotate.queue', { runId: 1, order: 'sequence', limit: 100 })
  await expect(page.getByTestId('queue-row').first()).toHaveAttribute('data-id', String(seq.items[0]!.id))
  const probs = await page.getByTestId('queue-score').allTextContents()
  expect(probs.map(Number)).toEqual(seq.items.map((i) => Number(Math.exp(i.logProb!).toPrecision(2))))
  await shot(page, '7b-queue-sequence')
  await page.getByTestId('queue-order').selectOption('least-confident')
  await expect(page.getByTestId('queue-score')).toHaveCount(0)

  // The type with the most model spans, threshold 0.5.
  const byType = statsAfter.types.filter((t) => t.byOrigin.model > 0).sort((a, b) => b.byOrigin.model - a.byOrigin.model)
  const type = byType[0]!.name
  await page.getByTestId('bulk-type').selectOption(type)
  await page.getByTestId('bulk-threshold').fill('0.5')
  const goldBefore = statsAfter.types.find((t) => t.name === type)!.byOrigin.gold
  await page.getByTestId('bulk-accept').click()
  await expect(page.getByTestId('bulk-message')).toContainText(`Accepted`)
  const msg = (await page.getByTestId('bulk-message').textContent())!
  const accepted = Number(/Accepted (\d+)/.exec(msg)![1])
  const statsEnd = await studio.api('project.stats')
  expect(statsEnd.types.find((t) => t.name === type)!.byOrigin.gold).toBe(goldBefore + accepted)
  await shot(page, '8-accepted')

  // A queued title opens in the editor with its model spans and their confidence.
  const first = page.getByTestId('queue-row').first()
  if (await first.count()) {
    await first.getByTestId('queue-open').click()
    await expect(page.locator('[data-testid="span-row"][data-origin="model"]').first()).toBeVisible()
    await shot(page, '9-editor-model-spans')
  }

  // A second model, then the two side by side per type on the Runs board.
  const second = await studio.api('train.start', { preset: 'bilstm', overrides: { epochs: 1, batchSize: 8, learningRate: 0.02, model: { charEmbedding: 32, hidden: 32 } } })
  await expect.poll(async () => (await studio.api('train.jobs')).find((j) => j.runId === second.runId)?.state, { timeout: 90_000 }).toBe('done')
  await page.getByTestId('tab-runs').click()
  await expect(page.getByTestId('run-row')).toHaveCount(2)
  await page.getByTestId('pick-1').check()
  await page.getByTestId(`pick-${second.runId}`).check()
  await page.getByTestId('compare').click()
  await expect(page.getByTestId('compare-table')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('compare-table')).toContainText('all (micro)')
  await shot(page, '10-runs-compare')

  // Cancel from the Train screen: a long job stops at the next batch and says so.
  await page.getByTestId('tab-train').click()
  await page.getByTestId('preset-bilstm').click()
  // started from the second model (a warm start): its small dims replace the form's
  await page.getByTestId('train-from').selectOption(String(second.runId))
  await expect(page.getByTestId('cfg-hidden')).toHaveValue('32')
  await page.getByTestId('cfg-epochs').fill('30')
  await page.getByTestId('train-start').click()
  await expect(page.getByTestId('job-state')).toHaveText('running')
  // Reopening the page while it trains shows the job again (the header's Train tab says so too).
  await page.reload()
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  await expect(page.getByTestId('tab-train-live')).toBeVisible()
  await page.getByTestId('tab-train').click()
  await expect(page.getByTestId('job-state')).toHaveText('running')
  await expect(page.getByTestId('preset-bilstm').locator('input')).toBeChecked()
  await expect.poll(progress, { timeout: 60_000, intervals: [100] }).toBeGreaterThan(0)
  await page.getByTestId('train-cancel').click()
  await expect(page.getByTestId('job-state')).toHaveText('cancelled', { timeout: 60_000 })
  expect((await studio.api('runs.list'))[0]!.status).toBe('cancelled')
  await shot(page, '11-train-cancelled')
  await page.getByTestId('tab-runs').click()
  await expect(page.getByTestId(`run-parts-${second.runId + 1}`)).toContainText(`continued from run ${second.runId}`)

  // Export the attributes CSV of every title and check its rows.
  await page.getByTestId('tab-export').click()
  const out = join(studio.dir, 'attributes.csv')
  await page.getByTestId('export-out').fill(out)
  await page.getByTestId('export-run').click()
  await expect(page.getByTestId('export-result')).toContainText('Exported 1,000 titles')
  const csvRows = readFileSync(out, 'utf8').replace(/^\ufeff/, '').split('\r\n')
  expect(csvRows).toHaveLength(1 + 1000 + 1)
  const header = csvRows[0]!.split(',')
  expect(header.slice(0, 2)).toEqual(['id', 'title'])
  expect(header.slice(2).sort()).toEqual(['HC', 'HP'])
  const firstTitle = await studio.api('titles.get', { id: 1 })
  expect(csvRows[1]!.startsWith(`1,${firstTitle.text},`)).toBe(true)
  await shot(page, '12-export')
})
