// The engine from the command line, on a slice of the study's own data: train one epoch, evaluate,
// predict to the attributes CSV; and Ctrl-C mid-epoch leaves a consistent project. runCli launches
// the built CLI, so training here also proves it finds the built trainer entry (out/main/trainer.js).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-main/store/db'
import { runCli, spawnCli } from '../../helpers/cli'
import { hasData, REPO_ROOT, SEED_TRAIN } from '../../helpers/paths'
import { tmpDir } from '../../helpers/tmp'

const SMALL = JSON.stringify({ model: { charEmbedding: 32, hidden: 32 }, batchSize: 16 })
const FILES = ['input.seq.char', 'input.seq.word', 'output.seq.bioattr']

/** The first `n` titles of the seed sample as a study folder of our own. */
function seedSlice(dir: string, from: number, n: number): string {
  mkdirSync(dir, { recursive: true })
  for (const f of FILES) {
    const lines = readFileSync(join(SEED_TRAIN, f), 'utf8').split('\n').slice(from, from + n)
    writeFileSync(join(dir, f), lines.join('\n') + '\n')
  }
  return dir
}

describe.skipIf(!hasData('seed-sample', 'train'))('train / evaluate / predict (needs ../shared/data/seed-sample)', () => {
  let dir: string
  let project: string
  let config: string
  beforeAll(async () => {
    dir = tmpDir()
    project = join(dir, 'p.sqlite')
    config = join(dir, 'small.json')
    writeFileSync(config, SMALL)
    expect((await runCli(['import', project, seedSlice(join(dir, 'train'), 0, 240), '--split', 'train', '--origin', 'weak'])).code).toBe(0)
    expect((await runCli(['import', project, seedSlice(join(dir, 'test'), 240, 60), '--split', 'test'])).code).toBe(0)
  })

  it('trains one epoch (dev held back from train), evaluates on test and predicts to CSV', async () => {
    const t = await runCli(['train', project, '--model', 'cascade-bilstm-crf-wlf', '--epochs', '1', '--config', config, '--json'], { timeoutMs: 240_000 })
    expect(t.stderr).toMatch(/run 1: cascade-bilstm-crf-wlf on 216 titles \(dev 24\)/)
    expect(t.code, t.stderr).toBe(0)
    const summary = JSON.parse(t.stdout) as { runId: number; status: string; backend: string; dev: { f1: number } }
    expect(summary).toMatchObject({ runId: 1, status: 'done' })
    expect(['wasm', 'cpu', 'tensorflow']).toContain(summary.backend)

    const db = openDatabase(project, { readonly: true })
    const run = db.prepare('SELECT status, backend, metrics, finished_at FROM runs WHERE id = 1').get() as { status: string; backend: string; metrics: string; finished_at: number }
    const ckpt = db.prepare('SELECT length(weights) AS n, manifest FROM checkpoints WHERE run_id = 1').get() as { n: number; manifest: string }
    db.close()
    expect(run.status).toBe('done')
    expect(run.finished_at).toBeGreaterThan(0)
    expect(JSON.parse(run.metrics).epochs).toHaveLength(1)
    // --json's dev score is the run's recorded best (one epoch on 216 weak titles sets no floor on it)
    expect(summary.dev).toEqual(JSON.parse(run.metrics).best)
    expect(ckpt.n).toBeGreaterThan(1000)
    expect(JSON.parse(ckpt.manifest).config.preset).toBe('cascade-bilstm-crf-wlf')

    const e = await runCli(['evaluate', project, '--run', '1', '--split', 'test', '--json'], { timeoutMs: 120_000 })
    expect(e.code, e.stderr).toBe(0)
    const ev = JSON.parse(e.stdout) as { titles: number; report: { micro: { support: number; precision: number }; errors: Record<string, number> } }
    expect(ev.titles).toBe(60)
    expect(ev.report.micro.support).toBeGreaterThan(100)
    expect(Object.keys(ev.report.errors)).toEqual(expect.arrayContaining(['missed', 'spurious', 'wrongBoundary', 'wrongType']))
    const db2 = openDatabase(project, { readonly: true })
    const preds = db2.prepare('SELECT count(*) AS n FROM predictions WHERE run_id = 1').get() as { n: number }
    db2.close()
    expect(preds.n).toBe(60)

    const titles = join(dir, 'titles.txt')
    writeFileSync(titles, '回力女鞋2019春季新款低帮帆布鞋女韩版 37\n创维 50e33a 50英寸智能电视\n\n')
    const out = join(dir, 'pred.csv')
    const p = await runCli(['predict', project, '--run', '1', titles, '--out', out], { timeoutMs: 120_000 })
    expect(p.code, p.stderr).toBe(0)
    const rows = readFileSync(out, 'utf8').trimEnd().split('\r\n')
    expect(rows).toHaveLength(3)
    expect(rows[0]!.startsWith('id,title,')).toBe(true)
    expect(rows[1]!.startsWith('1,回力女鞋2019春季新款低帮帆布鞋女韩版 37,')).toBe(true)
  })

  it('BERT: train --model bert-crf --bert <folder> one epoch, evaluate and predict the BERT run; bad folders are one clear line', async () => {
    const bert = join(REPO_ROOT, 'test', 'fixtures', 'bert-tiny')
    const t = await runCli(['train', project, '--model', 'bert-crf', '--bert', bert, '--epochs', '1', '--batch-size', '16', '--json'], { timeoutMs: 240_000 })
    expect(t.code, t.stderr).toBe(0)
    expect(t.stderr).toMatch(/run \d+: bert-crf on 216 titles \(dev 24\).*backend (wasm|cpu|tensorflow)/)
    const summary = JSON.parse(t.stdout) as { runId: number; status: string; backend: string; note?: string }
    expect(summary.status).toBe('done')
    if (summary.backend !== 'tensorflow') {
      expect(t.stderr).toMatch(/note: BERT on \w+ \(no GPU\): fine-tuning will be slow/)
      expect(summary.note).toMatch(/3–4 layers/)
    }
    const db = openDatabase(project, { readonly: true })
    const run = db.prepare('SELECT backend, backend_reason FROM runs WHERE id = ?').get(summary.runId) as { backend: string; backend_reason: string }
    const ck = db.prepare('SELECT manifest FROM checkpoints WHERE run_id = ?').get(summary.runId) as { manifest: string }
    db.close()
    expect(run.backend).toBe(summary.backend)
    if (summary.backend !== 'tensorflow') expect(run.backend_reason).toMatch(/no GPU/)
    const manifest = JSON.parse(ck.manifest) as { version: number; bert: { vocab: string[]; config: { num_hidden_layers: number } }; weights: { name: string }[] }
    expect(manifest.version).toBe(2)
    expect(manifest.bert.vocab).toHaveLength(76)
    expect(manifest.weights.some((w) => w.name.startsWith('bert/'))).toBe(true)

    const e = await runCli(['evaluate', project, '--run', String(summary.runId), '--split', 'test', '--json'], { timeoutMs: 120_000 })
    expect(e.code, e.stderr).toBe(0)
    expect((JSON.parse(e.stdout) as { titles: number }).titles).toBe(60)
    const titles = join(dir, 'titles-bert.txt')
    writeFileSync(titles, '回力女鞋 2019春季新款低帮帆布鞋女韩版 37\n创维 50e33a 50英寸智能电视\n')
    const out = join(dir, 'pred-bert.csv')
    const p = await runCli(['predict', project, '--run', String(summary.runId), titles, '--out', out], { timeoutMs: 120_000 })
    expect(p.code, p.stderr).toBe(0)
    const rows = readFileSync(out, 'utf8').trimEnd().split('\r\n')
    expect(rows).toHaveLength(3)
    expect(rows[1]!.startsWith('1,回力女鞋 2019春季新款低帮帆布鞋女韩版 37,')).toBe(true)

    const bad = await runCli(['train', project, '--model', 'bert-crf', '--bert', join(dir, 'train'), '--epochs', '1'])
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(/BERT folder: .*not a BERT folder/)
    const none = await runCli(['train', project, '--model', 'bert', '--epochs', '1'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/--bert <folder>/)
  })

  it('Ctrl-C mid-epoch cancels: the run is recorded as cancelled, no checkpoint, the project intact', async () => {
    const child = spawnCli(['train', project, '--model', 'bilstm', '--epochs', '50', '--config', config])
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d
        // Interrupt once training is under way (the run record exists and the child is training).
        if (/run \d+: bilstm/.test(stderr) && !child.killed) {
          setTimeout(() => child.kill('SIGINT'), 1500)
        }
      })
      child.on('close', () => resolve())
      child.on('error', reject)
    })
    expect(stderr).toMatch(/cancelling at the next batch/)
    const db = openDatabase(project, { readonly: true })
    const runs = db.prepare('SELECT id, status, finished_at FROM runs ORDER BY id').all() as { id: number; status: string; finished_at: number | null }[]
    const ck = db.prepare('SELECT count(*) AS n FROM checkpoints WHERE run_id = ?').get(runs.at(-1)!.id) as { n: number }
    const integrity = db.pragma('integrity_check', { simple: true })
    db.close()
    expect(runs.at(-1)).toMatchObject({ status: 'cancelled' })
    expect(runs.at(-1)!.finished_at).toBeGreaterThan(0)
    expect(ck.n).toBe(0)
    expect(integrity).toBe('ok')
  })
})
