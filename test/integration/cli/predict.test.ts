// `ner-studio predict` streams a titles file through the prediction pool into the attributes CSV:
// every title, in order, the same at 1 and 2 workers, written atomically; a stop or a kill mid-way
// leaves no output file, no helper process, and (after SIGTERM at once, after kill -9 on the next
// write there) no temp file.
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli, spawnCli } from '../../helpers/cli'
import { makeProject } from '../../helpers/project'
import { TINY, tinyTitles } from '../../helpers/tiny'
import { tmpDir } from '../../helpers/tmp'
import { waitFor } from '../../helpers/wait'
import { childrenOf } from '../../helpers/procs'

const dir = tmpDir('ner-predict-cli-')
let project = ''

/** `n` titles (one per line) mixed from the tiny titles, each with its number so no two are alike. */
function titlesFile(name: string, n: number): string {
  const lines = Array.from({ length: n }, (_, i) => `${TINY[i % TINY.length]!.text}${i % 3 === 0 ? ` ${i}` : ''}`)
  const path = join(dir, name)
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}


/** Running (a zombie — exited, not yet reaped by whoever inherited it — has stopped running). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Exists at all (a zombie too). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const temps = (): string[] => readdirSync(dir).filter((f) => /\.tmp-\d+$/.test(f))

/** Start predict on `input`, stop it with `signal` once its 2 helpers run and its output is open; what was left. */
async function stopMidway(input: string, out: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; helpers: number[]; temps: string[] }> {
  const child = spawnCli(['predict', project, '--run', '1', input, '--out', out, '--workers', '2'])
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  let exited = false
  const done = new Promise<number | null>((r) => child.on('exit', (code) => ((exited = true), r(code))))
  let helpers: number[] = []
  await waitFor(
    () => exited || ((helpers = childrenOf(child.pid!)).length === 2 && existsSync(`${out}.tmp-${child.pid}`)),
    () => `predict's 2 helpers and its temp output (${stderr})`,
    { timeoutMs: 90_000 },
  )
  expect(exited, `predict ended before it could be stopped: ${stderr}`).toBe(false)
  await sleep(300) // mid-way: titles are being tagged
  child.kill(signal)
  const code = await done
  return { code, stderr, helpers, temps: temps() }
}

describe('predict (CLI, streaming, on the prediction pool)', () => {
  beforeAll(async () => {
    project = await makeProject(dir, tinyTitles(64), { origin: 'weak', split: 'train' })
    writeFileSync(join(dir, 'small.json'), JSON.stringify({ model: { charEmbedding: 16, hidden: 16 }, batchSize: 8 }))
    // 2 workers: the built trainer (out/main/trainer.js) runs its helper as a worker thread of itself
    const t = await runCli(['train', project, '--model', 'bilstm-crf', '--epochs', '2', '--workers', '2', '--config', join(dir, 'small.json'), '--json'], { timeoutMs: 240_000 })
    expect(t.code, t.stderr).toBe(0)
    expect(JSON.parse(t.stdout).timings).toMatchObject({ workers: 2 })
  }, 300_000)

  it('3,000 titles: every title once, in input order, the same CSV at 1 and 2 workers', async () => {
    const input = titlesFile('titles.txt', 3000)
    const lines = readFileSync(input, 'utf8').trimEnd().split('\n')
    const outs: string[] = []
    for (const w of ['1', '2']) {
      const out = join(dir, `pred-${w}.csv`)
      const r = await runCli(['predict', project, '--run', '1', input, '--out', out, '--workers', w], { timeoutMs: 240_000 })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`tagged 3000 titles .*, ${w} workers?\\) → `))
      outs.push(readFileSync(out, 'utf8'))
    }
    const rows = outs[0]!.trimEnd().split('\r\n')
    expect(rows).toHaveLength(3001)
    expect(rows[0]).toMatch(/^id,title,/)
    rows.slice(1).forEach((row, i) => expect(row.startsWith(`${i + 1},${lines[i]},`), `row ${i + 1}: ${row}`).toBe(true))
    // some title has a span (a row longer than its id, title and empty type cells)
    const types = rows[0]!.split(',').length - 2
    expect(rows.slice(1).some((row, i) => row.length > `${i + 1},${lines[i]}`.length + types)).toBe(true)
    expect(outs[1]).toBe(outs[0])
    expect(temps()).toEqual([])
  }, 300_000)

  it('SIGTERM mid-way: exit 1 with the reason, no output, no temp file, no helper left', async () => {
    const out = join(dir, 'stopped.csv')
    const r = await stopMidway(titlesFile('many.txt', 200_000), out, 'SIGTERM')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/prediction cancelled/)
    expect(existsSync(out)).toBe(false)
    expect(r.temps).toEqual([])
    await waitFor(() => !r.helpers.some(alive), 'the helpers to exit')
  }, 180_000)

  it('kill -9 mid-way: no output, helpers exit with their parent, the temp file goes on the next write there', async () => {
    const out = join(dir, 'killed.csv')
    const r = await stopMidway(titlesFile('many.txt', 200_000), out, 'SIGKILL')
    expect(existsSync(out)).toBe(false)
    expect(r.temps).toHaveLength(1)
    await waitFor(() => !r.helpers.some(running), 'the helpers to exit with their parent')
    const again = await runCli(['predict', project, '--run', '1', titlesFile('few.txt', 10), '--out', join(dir, 'few.csv'), '--workers', '1'], { timeoutMs: 120_000 })
    expect(again.code, again.stderr).toBe(0)
    expect(temps()).toEqual([])
  }, 240_000)
})
