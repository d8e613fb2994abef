// SIGKILL of `ner-studio train` mid-training: nothing is left to record the end of the run, so the
// record stays 'running' until the project is opened again, which marks it failed (the run's owner,
// the CLI's pid on this host, is dead). The trainer child does not linger either: it loses its
// channel to the host and stops at the next batch.
import { readdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project } from '../../../src-main/services/project/project'
import { openDatabase } from '../../../src-main/store/db'
import { spawnCli } from '../../helpers/cli'
import { makeProject } from '../../helpers/project'
import { TINY, tinyTitles } from '../../helpers/tiny'
import { tmpDir } from '../../helpers/tmp'
import { waitFor } from '../../helpers/wait'

/** Whether any process of the process group `pgid` is still there. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** Run `fn` with os.tmpdir() pointing at `dir` (it reads TMPDIR on every call). */
function withTmpdir<T>(dir: string, fn: () => T): T {
  const saved = process.env.TMPDIR
  process.env.TMPDIR = dir
  try {
    return fn()
  } finally {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
  }
}

// Process groups (to find and clean up the forked trainer) are POSIX.
describe.skipIf(process.platform === 'win32')('killing a training CLI', () => {
  it('SIGKILL mid-training: the trainer child ends on its own, and reopening the project marks the run failed', async () => {
    const dir = tmpDir()
    const project = await makeProject(dir, tinyTitles(10 * TINY.length), { split: 'train' })
    const config = join(dir, 'small.json')
    writeFileSync(config, JSON.stringify({ model: { charEmbedding: 16, hidden: 16 }, batchSize: 8 }))

    // A temp folder of its own: any project opened anywhere on this machine sweeps the dead CLI's
    // training data out of the shared one, which is what this test waits to see happen.
    const temp = tmpDir('ner-train-kill-tmp-')
    // Its own process group (detached), so the CLI and the trainer it forks can be found and cleaned up.
    const cli = spawnCli(['train', project, '--model', 'bilstm', '--epochs', '10000', '--patience', '0', '--config', config], { TMPDIR: temp }, { detached: true })
    const pid = cli.pid!
    cli.stdout!.resume() // not read, only drained
    let stderr = ''
    cli.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null
    const exit = new Promise<void>((resolve) =>
      cli.on('exit', (code, signal) => {
        exited = { code, signal }
        resolve()
      }),
    )
    try {
      // Training is under way: the trainer reported 'started' and an epoch went by.
      await waitFor(() => exited !== null || /epoch 1: loss/.test(stderr), () => `the trainer to start (${stderr})`, { timeoutMs: 45_000 })
      expect(exited, `the CLI ended before it could be killed: ${stderr}`).toBeNull()
      const db = openDatabase(project, { readonly: true })
      const before = db.prepare('SELECT id, status, owner_host, owner_pid FROM runs').all()
      db.close()
      expect(before).toEqual([{ id: 1, status: 'running', owner_host: hostname(), owner_pid: pid }])

      cli.kill('SIGKILL')
      await exit
      expect(exited).toEqual({ code: null, signal: 'SIGKILL' })
      // The orphaned trainer notices the lost channel and stops at its next batch.
      await waitFor(() => !groupAlive(pid), 'the orphaned trainer to exit', { timeoutMs: 15_000 })

      // Nobody recorded an end: the run still says 'running'…
      const db2 = openDatabase(project, { readonly: true })
      expect(db2.prepare('SELECT status, finished_at FROM runs WHERE id = 1').get()).toEqual({ status: 'running', finished_at: null })
      db2.close()
      // The killed CLI's training data (a copy of the titles) is still in the temp folder…
      const litter = (): string[] => readdirSync(temp).filter((f) => f.startsWith(`ner-studio-train-${pid}-`))
      expect(litter()).toHaveLength(1)
      // …until the project is opened again, which also removes that litter.
      const p = withTmpdir(temp, () => Project.open(project))
      expect(litter()).toEqual([])
      const run = p.listRuns()[0]!
      p.close()
      expect(run).toMatchObject({ id: 1, status: 'failed', hasCheckpoint: false })
      expect(run.error).toBe(`interrupted: the process that was training it (pid ${pid} on host ${hostname()}) ended before the run finished`)
      expect(run.finishedAt).toBeGreaterThan(run.startedAt!)
      expect((run.metrics as { epochs: unknown[] }).epochs.length).toBeGreaterThanOrEqual(1)
    } finally {
      // Whatever happened, leave no process of the group behind.
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL')
    }
  }, 90_000)
})
