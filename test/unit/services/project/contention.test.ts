// Two processes on one project: edits take the write lock at once (BEGIN IMMEDIATE) and
// wait the busy timeout for it; past it they answer a `busy` StudioError, never "database is
// locked"; undo never takes back another process's newer edit; the Studio's watch sees run states
// changed by another process, and fails a run whose owner died.
import { spawn } from 'node:child_process'
import { hostname } from 'node:os'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Project } from '../../../../src-main/services/project/project'
import { createRun, updateRun } from '../../../../src-main/services/runs/records'
import { ProjectWatch } from '../../../../src-main/services/runs/watch'
import { BUSY_MESSAGE } from '../../../../src-main/store/db'
import { StudioError } from '../../../../src-main/shared/errors'
import { makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'

const titles: { text: string; label?: [number, number, string][] }[] = [{ text: '华为手机壳', label: [[2, 4, '品牌']] }, { text: '苹果数据线' }, { text: '小米充电宝' }]

/** Another process that holds the project's write lock for `ms`, then commits; resolves when it holds it. */
function holdLock(path: string, ms: number): Promise<{ done: Promise<void> }> {
  const code = `
    const db = new (require('better-sqlite3'))(process.argv[1]);
    db.exec('BEGIN IMMEDIATE'); db.prepare("UPDATE titles SET updated_at = updated_at WHERE id = 1").run();
    process.stdout.write('held\\n'); setTimeout(() => { db.exec('COMMIT'); db.close() }, ${ms});`
  const child = spawn(process.execPath, ['-e', code, path], { stdio: ['ignore', 'pipe', 'inherit'] })
  const done = new Promise<void>((r) => child.on('exit', () => r()))
  return new Promise((resolve) => child.stdout!.once('data', () => resolve({ done })))
}

describe('edits under contention', () => {
  it('an edit waits for a lock another process holds briefly, and succeeds', async () => {
    const path = await makeProject(tmpDir(), titles)
    const p = Project.open(path)
    try {
      const { done } = await holdLock(path, 600)
      const s = p.createSpan({ titleId: 1, start: 0, end: 2, type: '品牌' })
      expect(s.start).toBe(0)
      await done
    } finally {
      p.close()
    }
  })

  it('contention that outlasts the busy timeout answers `busy` with the screens\' message, and changes nothing', async () => {
    const path = await makeProject(tmpDir(), titles)
    const p = Project.open(path)
    p.db.pragma('busy_timeout = 200')
    const other = new Database(path)
    other.exec('BEGIN IMMEDIATE')
    try {
      let err: unknown
      try {
        p.createSpan({ titleId: 2, start: 0, end: 2, type: '品牌' })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(StudioError)
      expect(err).toMatchObject({ code: 'busy', message: BUSY_MESSAGE })
      expect(BUSY_MESSAGE).toMatch(/^the project is busy \(an import is running/)
      expect(() => p.undo()).toThrow(BUSY_MESSAGE)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    expect(p.getTitle(2).spans).toEqual([])
    p.close()
  })
})

describe('undo across processes', () => {
  it("refuses another process's newer edit, undoes its own once that one is undone there; a later session may undo all", async () => {
    const path = await makeProject(tmpDir(), titles)
    const a = Project.open(path)
    const b = Project.open(path)
    try {
      a.createSpan({ titleId: 1, start: 0, end: 2, type: '品牌' })
      b.createSpan({ titleId: 2, start: 0, end: 2, type: '品牌' })
      expect(() => a.undo()).toThrow(/another process .* made that edit/)
      expect(a.getTitle(2).spans).toHaveLength(1)
      expect(b.undo().titleIds).toEqual([2])
      expect(a.undo().titleIds).toEqual([1])
      // b may not redo a's edit either (it is the oldest undone entry now)
      expect(() => b.redo()).toThrow(/cannot redo/)
      expect(a.redo().titleIds).toEqual([1])
    } finally {
      a.close()
      b.close()
    }
    // A restart: the edits of earlier sessions are undoable again, as before.
    const c = Project.open(path)
    try {
      expect(c.undo().titleIds).toEqual([1])
    } finally {
      c.close()
    }
  })
})

describe("the Studio's watch on other processes", () => {
  it('reports run states changed by another connection, and fails a run whose owner process is gone', async () => {
    const path = await makeProject(tmpDir(), titles)
    const mine = Project.open(path)
    const other = Project.open(path)
    let told = 0
    const watch = new ProjectWatch(mine.db, () => told++)
    try {
      expect(watch.tick()).toBe(false)
      const id = createRun(other.db, 'bilstm-crf', {}, { host: hostname(), pid: process.pid })
      expect(watch.tick()).toBe(true)
      updateRun(other.db, id, { status: 'running' })
      expect(watch.tick()).toBe(true)
      expect(watch.tick()).toBe(false)
      // The CLI that trained it was killed: its pid is gone.
      other.db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(2 ** 22 + 3, id)
      expect(watch.tick()).toBe(true)
      expect(mine.db.prepare('SELECT status, error FROM runs WHERE id = ?').get(id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) })
      expect(told).toBe(3)
    } finally {
      watch.stop()
      mine.close()
      other.close()
    }
  })
})
