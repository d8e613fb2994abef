// Runs left 'queued'/'running' by a process that was killed: opening the project marks them failed
// when their owner (host + pid, migration 3) is a dead process of this host or unknown; a live
// owner, or another host's, is left alone.
import { spawn } from 'node:child_process'
import { hostname } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Project } from '../../../../src-main/services/project/project'
import { createRun, failInterruptedRuns, pidAlive, updateRun } from '../../../../src-main/services/runs/records'
import { Studio } from '../../../../src-main/services/studio'
import { MIGRATIONS, SCHEMA_VERSION } from '../../../../src-main/store/schema'
import { tmpDir } from '../../../helpers/tmp'

interface RunRow {
  id: number
  status: string
  error: string | null
  started_at: number | null
  finished_at: number | null
  owner_host: string | null
  owner_pid: number | null
}

/** The pid of a process that has started and exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  const pid = child.pid!
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', () => resolve())
  })
  expect(pidAlive(pid)).toBe(false)
  return pid
}

/** A project with one 'running' run per owner, closed; answers its path and the run ids. */
function projectWithRuns(owners: { host: string; pid: number }[]): { path: string; ids: number[] } {
  const path = join(tmpDir(), 'p.sqlite')
  const p = Project.open(path, { create: true })
  const ids = owners.map((o) => {
    const id = createRun(p.db, 'bilstm-crf', { epochs: 100 }, o)
    updateRun(p.db, id, { status: 'running', startedAt: 1000 })
    return id
  })
  p.close()
  return { path, ids }
}

function runsOf(path: string): RunRow[] {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare('SELECT id, status, error, started_at, finished_at, owner_host, owner_pid FROM runs ORDER BY id').all() as RunRow[]
  } finally {
    db.close()
  }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('runs interrupted by a killed process', () => {
  it('records the owner (this host, this pid) when a run is created', () => {
    const path = join(tmpDir(), 'p.sqlite')
    const p = Project.open(path, { create: true })
    const id = createRun(p.db, 'bilstm-crf', {})
    p.close()
    expect(runsOf(path).find((r) => r.id === id)).toMatchObject({ status: 'queued', owner_host: hostname(), owner_pid: process.pid })
  })

  it('fails a run whose owner pid on this host has exited, with a clear error, on reopen', async () => {
    const pid = await deadPid()
    const { path, ids } = projectWithRuns([{ host: hostname(), pid }])
    const before = Date.now()
    const p = Project.open(path)
    const rec = p.listRuns().find((r) => r.id === ids[0])!
    p.close()
    expect(rec.status).toBe('failed')
    expect(rec.error).toBe(`interrupted: the process that was training it (pid ${pid} on host ${hostname()}) ended before the run finished`)
    expect(rec.finishedAt).toBeGreaterThanOrEqual(before)
    expect(rec.startedAt).toBe(1000)
  })

  it('fails a queued run of a dead owner too', async () => {
    const pid = await deadPid()
    const path = join(tmpDir(), 'p.sqlite')
    const p0 = Project.open(path, { create: true })
    const id = createRun(p0.db, 'bilstm-crf', {}, { host: hostname(), pid })
    p0.close()
    Project.open(path).close()
    expect(runsOf(path)[0]).toMatchObject({ id, status: 'failed', error: expect.stringMatching(/^interrupted: /) })
  })

  it('leaves alone a run owned by a live pid (this process) on this host', () => {
    const { path } = projectWithRuns([{ host: hostname(), pid: process.pid }])
    Project.open(path).close()
    expect(runsOf(path)[0]).toMatchObject({ status: 'running', error: null, finished_at: null })
  })

  it('leaves alone a run owned by another host, even with a pid that is dead here', async () => {
    const pid = await deadPid()
    const { path } = projectWithRuns([{ host: `${hostname()}-elsewhere`, pid }])
    Project.open(path).close()
    expect(runsOf(path)[0]).toMatchObject({ status: 'running', error: null, finished_at: null })
  })

  it('sweeps only the dead owners among several runs, and leaves finished runs as they are', async () => {
    const pid = await deadPid()
    const { path, ids } = projectWithRuns([
      { host: hostname(), pid },
      { host: hostname(), pid: process.pid },
      { host: 'other-host', pid },
      { host: hostname(), pid },
    ])
    const p0 = Project.open(path, { readonly: true })
    p0.close()
    // A read-only open (stats, predict) changes nothing.
    expect(runsOf(path).map((r) => r.status)).toEqual(['running', 'running', 'running', 'running'])
    const db = new Database(path)
    db.prepare(`UPDATE runs SET status = 'done', finished_at = 5 WHERE id = ?`).run(ids[3])
    db.close()
    const p = Project.open(path)
    expect(failInterruptedRuns(p.db)).toEqual([]) // already swept by the open
    p.close()
    expect(runsOf(path).map((r) => [r.id, r.status, r.finished_at === null])).toEqual([
      [ids[0], 'failed', false],
      [ids[1], 'running', true],
      [ids[2], 'running', true],
      [ids[3], 'done', false],
    ])
    expect(runsOf(path)[3]!.finished_at).toBe(5)
  })

  it('opening through the Studio (Electron, server) fails the run, and runs.list carries the error', async () => {
    const pid = await deadPid()
    const { path, ids } = projectWithRuns([{ host: hostname(), pid }])
    const studio = new Studio({ shell: 'server', version: '0.0.0-test' })
    try {
      await studio.handle('project.open', { path })
      const runs = await studio.handle('runs.list', undefined as never)
      expect(runs.find((r) => r.id === ids[0])).toMatchObject({ status: 'failed', error: expect.stringContaining(`pid ${pid} on host`) })
    } finally {
      studio.close()
    }
  })

  it('a pid that exists but is not ours to signal (EPERM) counts as alive; ESRCH as gone', () => {
    const kill = vi.spyOn(process, 'kill')
    kill.mockImplementationOnce(() => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' })
    })
    expect(pidAlive(4242)).toBe(true)
    kill.mockImplementationOnce(() => {
      throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' })
    })
    expect(pidAlive(4242)).toBe(false)
    kill.mockImplementationOnce(() => true)
    expect(pidAlive(4242)).toBe(true)
    expect(kill).toHaveBeenCalledWith(4242, 0)
    // Not a process id (0 and negatives name process groups): never signalled, never alive.
    kill.mockClear()
    expect(pidAlive(0)).toBe(false)
    expect(pidAlive(-1)).toBe(false)
    expect(kill).not.toHaveBeenCalled()
  })
})

describe('migration 3', () => {
  it('adds the owner columns to a schema-2 file, keeps its runs, and fails the unowned running ones on open', () => {
    const path = join(tmpDir(), 'v2.sqlite')
    const raw = new Database(path)
    raw.exec(MIGRATIONS[0]!)
    raw.exec(MIGRATIONS[1]!)
    raw.pragma('application_id = 1313165907')
    raw.pragma('user_version = 2')
    const ins = raw.prepare(
      `INSERT INTO runs (preset, config, status, metrics, error, created_at, started_at, finished_at) VALUES (?, '{}', ?, ?, ?, 1, ?, ?)`,
    )
    ins.run('bilstm-crf', 'done', '{"best":{"f1":0.5}}', null, 2, 3)
    ins.run('bilstm', 'failed', null, 'out of memory', 2, 3)
    ins.run('bilstm-crf', 'running', '{"epochs":[{"epoch":1}]}', null, 2, null)
    ins.run('bilstm', 'queued', null, null, null, null)
    ins.run('bilstm', 'cancelled', null, null, 2, 3)
    raw.close()

    const before = Date.now()
    const p = Project.open(path)
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(3)
    expect(p.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    const runs = p.listRuns().sort((a, b) => a.id - b.id)
    p.close()
    expect(runs.map((r) => [r.id, r.preset, r.status])).toEqual([
      [1, 'bilstm-crf', 'done'],
      [2, 'bilstm', 'failed'],
      [3, 'bilstm-crf', 'failed'],
      [4, 'bilstm', 'failed'],
      [5, 'bilstm', 'cancelled'],
    ])
    expect(runs[0]).toMatchObject({ metrics: { best: { f1: 0.5 } }, error: null, finishedAt: 3 })
    expect(runs[1]).toMatchObject({ error: 'out of memory', finishedAt: 3 })
    for (const r of [runs[2]!, runs[3]!]) {
      expect(r.error).toMatch(/^interrupted: the process that was training it ended before the run finished/)
      expect(r.finishedAt).toBeGreaterThanOrEqual(before)
    }
    expect(runs[2]).toMatchObject({ metrics: { epochs: [{ epoch: 1 }] }, startedAt: 2 })
    expect(runsOf(path).map((r) => [r.owner_host, r.owner_pid])).toEqual(Array(5).fill([null, null]))
  })
})
