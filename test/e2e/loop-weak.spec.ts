/// <reference lib="dom" />
// Weak labelling and export, end to end in chromium against the real server (the parts
// without the training engine): import ecommerce-ding2019 train as weak labels, import its seven
// gazetteers on the Weak-label screen, apply them, see dictionary spans in the editor, promote
// confirmed spans; on the Export screen preview the rows, export the attributes CSV and check it.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { dataPath } from '../helpers/paths'
import { test, expect } from './fixtures/studio'

const DING = dataPath('ecommerce-ding2019')
const DICS = [
  ['brand1', 'HP'],
  ['brand2', 'HP'],
  ['brand3', 'HP'],
  ['brand4', 'HP'],
  ['product1', 'HC'],
  ['product2', 'HC'],
  ['product3', 'HC'],
] as const

test('ding2019: gazetteers weak-label the titles, precision shows, spans reach the editor, promote, export the attributes CSV', async ({ studio, page }) => {
  test.skip(!existsSync(join(DING, 'dics')), 'needs ../shared/data/ecommerce-ding2019 (not present on this machine)')
  test.setTimeout(180_000)
  // Tall enough that each screen's whole content is in the screenshots.
  await page.setViewportSize({ width: 1400, height: 1160 })
  await studio.open()

  // Train as weak labels, through the Project screen.
  await studio.importFile(join(DING, 'train.txt.bieos'), { format: 'conll', split: 'train', origin: 'weak' })
  await expect(page.getByTestId('title-count')).toHaveText('3,989 titles')
  // Dev as gold and reviewed: the titles a person has confirmed, against which precision is measured.
  await studio.api('import.run', { path: join(DING, 'dev.txt.bieos'), format: 'conll', split: 'dev', origin: 'gold' })
  const dev = await studio.api('titles.list', { split: 'dev', limit: 1000 })
  expect(dev.total).toBe(500)
  await studio.api('titles.setStatus', { ids: dev.items.map((t) => t.id), status: 'reviewed' })

  // The seven gazetteers, one import each on the Weak-label screen.
  await page.getByTestId('tab-weak').click()
  await expect(page.getByTestId('dict-empty')).toBeVisible()
  for (const [name, type] of DICS) {
    await page.getByTestId('dict-path').fill(join(DING, 'dics', `${name}.dic`))
    await page.getByTestId('dict-type').fill(type)
    await page.getByTestId('dict-import').click()
    await expect(page.getByTestId('dict-imported')).toContainText(`${name}:`)
  }
  await expect(page.getByTestId('dict-row')).toHaveCount(7)
  await expect(page.getByTestId('dict-reviewed')).toContainText('500 reviewed titles')
  // Every dictionary has an estimated precision (a percentage, not "–").
  for (const cell of await page.getByTestId('dict-precision').all()) await expect(cell).toContainText('%')
  const listed = await studio.api('dicts.list')
  expect(listed.reduce((n, d) => n + d.terms, 0)).toBeGreaterThan(50_000)
  for (const d of listed) expect(d.quality.reviewedTitles).toBe(500)

  // Apply all seven to the unreviewed train titles.
  await page.getByTestId('apply-split').selectOption('train')
  await page.getByTestId('apply-run').click()
  await expect(page.getByTestId('apply-result')).toBeVisible({ timeout: 60_000 })
  const added = Number((await page.getByTestId('apply-added').textContent())!.replace(/\D/g, ''))
  expect(added).toBeGreaterThan(1000)
  const stats = await studio.api('project.stats')
  expect(stats.byOrigin.dictionary).toBe(added)
  expect(stats.byOrigin.gold).toBeGreaterThan(0)
  await page.screenshot({ path: test.info().outputPath('weak-label-screen.png'), fullPage: true })

  // The dictionary spans in the editor: the first title that has one.
  await page.getByTestId('apply-see').click()
  await page.getByTestId('filter-origin').selectOption('dictionary')
  await expect(page.getByTestId('span-row').filter({ hasText: 'dictionary' }).first()).toBeVisible()
  await expect(page.locator('[data-testid="span-row"][data-origin="dictionary"]').first()).toBeVisible()
  await page.screenshot({ path: test.info().outputPath('weak-label-editor.png'), fullPage: true })

  // Promote the reviewed titles' gold HP spans into a new dictionary.
  await page.getByTestId('tab-weak').click()
  await page.getByTestId('promote-type').selectOption('HP')
  await page.getByTestId('promote-new-name').fill('confirmed-brands')
  await page.getByTestId('promote-run').click()
  await expect(page.getByTestId('promote-result')).toContainText('confirmed-brands')
  const promoted = (await studio.api('dicts.list')).find((d) => d.name === 'confirmed-brands')!
  expect(promoted.terms).toBeGreaterThan(100)
  expect(promoted.type).toBe('HP')
  await expect(page.locator('[data-testid="dict-row"][data-name="confirmed-brands"] [data-testid="dict-terms"]')).toHaveText(
    promoted.terms.toLocaleString('en-US'),
  )
  // Its own source titles agree with it by construction; its precision is high.
  expect(promoted.quality.precision).toBeGreaterThan(0.5)

  // Export: preview the attributes CSV, export it, read it back.
  await page.getByTestId('tab-export').click()
  await expect(page.getByTestId('preview-row')).toHaveCount(12)
  const header = await page.locator('[data-testid="preview-table"] th').allTextContents()
  expect(header.slice(0, 2)).toEqual(['id', 'title'])
  expect(header.slice(2).sort()).toEqual(['HC', 'HP'])
  const first = await studio.api('titles.get', { id: 1 })
  await expect(page.getByTestId('preview-row').first().locator('td').nth(1)).toHaveText(first.text)
  const previewCells = await page.getByTestId('preview-row').first().locator('td').allTextContents()
  await page.screenshot({ path: test.info().outputPath('export-screen.png'), fullPage: true })

  const out = join(studio.dir, 'attributes.csv')
  await page.getByTestId('export-out').fill(out)
  await page.getByTestId('export-run').click()
  await expect(page.getByTestId('export-result')).toContainText('Exported 4,489 titles')
  const csv = readFileSync(out, 'utf8')
  expect(csv.charCodeAt(0)).toBe(0xfeff) // BOM on by default: Excel reads it as UTF-8
  const lines = csv.slice(1).split('\r\n')
  expect(lines.at(-1)).toBe('')
  expect(lines).toHaveLength(1 + 4489 + 1)
  expect(lines[0]).toBe(header.join(','))
  expect(lines[1]).toBe(previewCells.join(','))
  // Values come from gold, weak and dictionary spans: title 1's HP/HC cells are its spans' texts.
  const cps = Array.from(first.text)
  const hp = [...new Set(first.spans.filter((s) => s.type === 'HP').map((s) => cps.slice(s.start, s.end).join('')))]
  expect(previewCells[header.indexOf('HP')]).toBe(hp.join('|'))
  // Browser mode: the file the export wrote downloads through the token-protected server (fetch with
  // the token header → Blob → save), and nothing else does.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').first().click()])
  expect(dl.suggestedFilename()).toBe(out.split('/').pop())
  expect(readFileSync((await dl.path())!, 'utf8')).toBe(csv)
  const base = `http://127.0.0.1:${studio.server.port}/download?path=`
  expect((await page.request.get(`${base}${encodeURIComponent(out)}`)).status()).toBe(401)
  const auth = { authorization: `Bearer ${studio.server.token}` }
  expect((await page.request.get(`${base}${encodeURIComponent(studio.projectPath)}`, { headers: auth })).status()).toBe(404)

  // Another format: CoNLL BIOES lines in the preview.
  await page.getByTestId('export-format').selectOption('conll-bioes')
  await expect(page.getByTestId('preview-lines')).toContainText(`${cps[0]}\t`)
  await expect(page.getByTestId('preview-lines')).toContainText(/\t[SE]-H[PC]/)
  await page.screenshot({ path: test.info().outputPath('export-conll.png'), fullPage: true })
})

test('a term<TAB>type gazetteer uploaded from the browser labels titles; a bad line is reported by file:line and changes nothing', async ({ studio, page }) => {
  await studio.api('import.run', {
    path: studio.jsonl('titles.jsonl', [
      { text: '华为Mate60手机壳', label: [[0, 2, '品牌']] },
      { text: '😀苹果手机壳' },
      { text: '小米充电器' },
    ]),
    origin: 'gold',
  })
  await studio.open()
  await page.getByTestId('tab-weak').click()
  // A bad file first: the error names the file and line; no dictionary appears.
  await page.getByTestId('dict-file').setInputFiles({ name: 'bad.tsv', mimeType: 'text/plain', buffer: Buffer.from('苹果\t品牌\n手机壳\n') })
  await page.getByTestId('dict-import').click()
  await expect(page.getByTestId('weak-error')).toContainText('bad.tsv:2: no type')
  await expect(page.getByTestId('dict-empty')).toBeVisible()
  expect(await studio.api('dicts.list')).toEqual([])

  await page.getByTestId('dict-file').setInputFiles({
    name: 'mixed.tsv',
    mimeType: 'text/plain',
    buffer: Buffer.from('苹果\t品牌\n小米\t品牌\n手机壳\t品类\n充电器\t品类\n华为Mate\t品牌\n'),
  })
  await expect(page.getByTestId('dict-name')).toHaveValue('mixed')
  await page.getByTestId('dict-import').click()
  await expect(page.getByTestId('dict-imported')).toContainText('mixed: 5 terms')
  await expect(page.getByTestId('dict-row')).toHaveCount(1)
  await page.getByTestId('apply-run').click()
  await expect(page.getByTestId('apply-result')).toBeVisible()
  // Title 1: gold 华为 stays, 华为Mate overlaps it (skipped), 手机壳 added. Titles 2 and 3: two each.
  await expect(page.getByTestId('apply-added')).toHaveText('5')
  const t1 = await studio.api('titles.get', { id: 1 })
  expect(t1.spans.map((s) => [s.start, s.end, s.type, s.origin])).toEqual([
    [0, 2, '品牌', 'gold'],
    [8, 11, '品类', 'dictionary'],
  ])
  const t2 = await studio.api('titles.get', { id: 2 })
  expect(t2.spans.map((s) => [s.start, s.end, s.type])).toEqual([
    [1, 3, '品牌'],
    [3, 6, '品类'],
  ])
  // Delete the dictionary with its spans: the titles are as before, gold untouched.
  await page.getByTestId('dict-delete').click()
  await page.getByTestId('dict-delete-spans').click()
  await expect(page.getByTestId('dict-empty')).toBeVisible()
  const stats = await studio.api('project.stats')
  expect(stats.byOrigin).toMatchObject({ gold: 1, dictionary: 0 })
})
