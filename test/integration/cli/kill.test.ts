// SIGKILL in the middle of a large import: the project must open cleanly afterwards, unchanged.
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Project } from '../../../src-main/services/project/project'
import { runCli, spawnCli } from '../../helpers/cli'
import { dumpProject, statsOf } from '../../helpers/project'
import { writeSyntheticJsonl } from '../../helpers/synthetic'
import { tmpDir } from '../../helpers/tmp'
import { waitFor } from '../../helpers/wait'

describe('killing an import', () => {
  it('SIGKILL mid-import leaves the project opening cleanly with its previous content', async () => {
    const dir = tmpDir()
    const project = join(dir, 'p.sqlite')
    const small = join(dir, 'small.jsonl')
    writeFileSync(
      small,
      [
        '{"text":"华为手机😀","label":[[0,2,"品牌"],[2,4,"品类"]]}',
        '{"text":"ＡＢＣ１２３","label":[[0,3,"型号"]]}',
      ].join('\n'),
    )
    const first = await runCli(['import', project, small, '--split', 'dev'])
    expect(first.code, first.stderr).toBe(0)
    // An edit, so history is part of what must survive.
    const p0 = Project.open(project)
    p0.createSpan({ titleId: 2, start: 3, end: 6, type: '品类' })
    p0.close()
    const stats = statsOf(project)
    const dump = dumpProject(project)

    const big = join(dir, 'big.jsonl')
    const bytes = writeSyntheticJsonl(big, 300_000)
    expect(bytes).toBeGreaterThan(30 << 20)

    const child = spawnCli(['import', project, big, '--origin', 'weak'])
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null
    const done = new Promise<void>((resolve) =>
      child.on('exit', (code, signal) => {
        exited = { code, signal }
        resolve()
      }),
    )
    // Wait until the import's transaction has spilled well into the WAL (at load 20+ this took over 20 s).
    const wal = `${project}-wal`
    const walBytes = (): number => (existsSync(wal) ? statSync(wal).size : 0)
    await waitFor(() => exited !== null || walBytes() > 8 << 20, () => `the import's WAL to pass 8 MiB (${stderr})`, { timeoutMs: 60_000, everyMs: 50 })
    expect(exited, `the import finished before it could be killed: ${stderr}`).toBeNull()
    expect(walBytes(), 'the WAL should have grown during the import').toBeGreaterThan(8 << 20)
    child.kill('SIGKILL')
    await done
    expect(exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(existsSync(wal)).toBe(true)

    // A read-only open (what `stats` does) sees the old content…
    const s = await runCli(['stats', project, '--json'])
    expect(s.code, s.stderr).toBe(0)
    expect(JSON.parse(s.stdout)).toMatchObject({ titles: 2, spans: 4 })
    // …and so does a normal open, with an intact file.
    const p = Project.open(project)
    try {
      expect(p.db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(p.db.pragma('foreign_key_check')).toEqual([])
      expect(p.canUndoRedo()).toEqual({ canUndo: true, canRedo: false })
    } finally {
      p.close()
    }
    expect(statsOf(project)).toEqual(stats)
    expect(dumpProject(project)).toEqual(dump)
    const raw = new Database(project, { readonly: true })
    expect(raw.prepare('SELECT count(*) AS n FROM imports').get()).toEqual({ n: 1 })
    raw.close()

    // And the project still takes imports and edits.
    const again = await runCli(['import', project, small])
    expect(again.code, again.stderr).toBe(0)
    expect(statsOf(project)).toMatchObject({ titles: 4, spans: 7 })
  })
})
