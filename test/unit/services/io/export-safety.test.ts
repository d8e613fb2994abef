// Export safety (issues 11 and 12): an export never writes onto the open project or any SQLite
// file, never over an existing file without `overwrite`, writes through a temp file in the target
// folder, and the attributes CSV is spreadsheet-safe unless asked otherwise.
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { exportFrom } from '../../../../src-main/services/io/export'
import { Project } from '../../../../src-main/services/project/project'
import { sweepTempFiles, sweepTempFolders, tempNameFor } from '../../../../src-main/io/temp'
import { formulaSafe } from '../../../../src-main/io/csv'
import { dumpProject, makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'

let dir: string
let projectPath: string
beforeAll(async () => {
  dir = tmpDir()
  projectPath = await makeProject(dir, [
    { text: '=SUM(A1)华为', label: [[0, 8, '型号']] },
    { text: '+1 手机', label: [[3, 5, '品类']] },
    { text: '@home 苹果', label: [[6, 8, '品牌']] },
    { text: '-20% 小米', label: [[5, 7, '品牌']] },
  ])
})

const intact = (): void => {
  const p = Project.open(projectPath)
  try {
    expect(p.db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(p.info().titles).toBe(4)
  } finally {
    p.close()
  }
}

describe('never onto a SQLite file', () => {
  it.each(['jsonl', 'conll', 'attributes-csv'] as const)('%s onto the project itself is refused, even with overwrite', async (format) => {
    const before = dumpProject(projectPath)
    for (const overwrite of [false, true]) {
      await expect(exportFrom(projectPath, { format, out: projectPath, overwrite })).rejects.toThrow(/open project's file/)
    }
    await expect(exportFrom(projectPath, { format, out: `${projectPath}-wal`, overwrite: true })).rejects.toThrow(/open project/)
    expect(dumpProject(projectPath)).toEqual(before)
    intact()
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([])
  })

  it('a hard link or a symlink to the project is the same file', async () => {
    const hard = join(dir, 'hard.jsonl')
    linkSync(projectPath, hard)
    const soft = join(dir, 'soft.jsonl')
    symlinkSync(projectPath, soft)
    for (const out of [hard, soft]) {
      await expect(exportFrom(projectPath, { format: 'jsonl', out, overwrite: true })).rejects.toThrow(/open project's file/)
    }
    intact()
  })

  it('any other SQLite file (another project, any database) is refused by its header', async () => {
    const other = join(dir, 'other.db')
    const db = new Database(other)
    db.exec('CREATE TABLE t (x)')
    db.close()
    await expect(exportFrom(projectPath, { format: 'jsonl', out: other, overwrite: true })).rejects.toThrow(/is a SQLite database/)
    expect(readFileSync(other).subarray(0, 15).toString()).toBe('SQLite format 3')
  })

  it('the study folder onto the project file is refused', async () => {
    await expect(exportFrom(projectPath, { format: 'seed', out: projectPath, overwrite: true })).rejects.toThrow(/open project's file/)
    intact()
  })
})

describe('never over an existing file without asking', () => {
  it('an existing file is a conflict; overwrite replaces it; a directory is refused', async () => {
    const out = join(dir, 'exists.jsonl')
    writeFileSync(out, 'the import source\n')
    await expect(exportFrom(projectPath, { format: 'jsonl', out })).rejects.toMatchObject({ code: 'conflict' })
    expect(readFileSync(out, 'utf8')).toBe('the import source\n')
    const r = await exportFrom(projectPath, { format: 'jsonl', out, overwrite: true })
    expect(r.titles).toBe(4)
    expect(readFileSync(out, 'utf8').split('\n')).toHaveLength(5)
    const folder = join(dir, 'a-folder')
    mkdirSync(folder)
    await expect(exportFrom(projectPath, { format: 'jsonl', out: folder, overwrite: true })).rejects.toThrow(/is a directory/)
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([])
  })

  it('the study folder: an existing file in it is a conflict', async () => {
    const out = join(dir, 'seed-out')
    await exportFrom(projectPath, { format: 'seed', out })
    await expect(exportFrom(projectPath, { format: 'seed', out })).rejects.toMatchObject({ code: 'conflict' })
    await exportFrom(projectPath, { format: 'seed', out, overwrite: true })
  })
})

describe('spreadsheet-safe attributes CSV', () => {
  it('cells starting with = + - @ TAB CR get a leading quote; --no-formula-escape keeps them', async () => {
    expect(['=1', '+1', '-1', '@a', '\tx', '\rx', '华为', '1-2'].map(formulaSafe)).toEqual(["'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", '华为', '1-2'])
    const safe = join(dir, 'safe.csv')
    await exportFrom(projectPath, { format: 'attributes-csv', out: safe })
    const text = readFileSync(safe, 'utf8')
    expect(text).toContain("'=SUM(A1)华为")
    expect(text).toContain("'+1 手机")
    expect(text).toContain("'@home 苹果")
    expect(text).toContain("'-20% 小米")
    expect(text).not.toMatch(/(^|,)[=+\-@]/m)
    const raw = join(dir, 'raw.csv')
    await exportFrom(projectPath, { format: 'attributes-csv', out: raw, formulaEscape: false })
    expect(readFileSync(raw, 'utf8')).toMatch(/^1,=SUM\(A1\)华为,,,=SUM\(A1\)\r$/m)
  })
})

describe('temp files whose owner is gone', () => {
  it('are removed on start-up (project open), those of a live process stay', () => {
    const dead = 2 ** 22 + 17 // above Linux's default pid_max
    const stale = tempNameFor(join(dir, 'stale.csv'), dead)
    const live = tempNameFor(join(dir, 'live.csv'), process.pid)
    writeFileSync(stale, 'half')
    writeFileSync(live, 'half')
    mkdirSync(join(dir, 'exports'), { recursive: true })
    const staleInExports = tempNameFor(join(dir, 'exports', 'x.jsonl'), dead)
    writeFileSync(staleInExports, 'half')
    Project.open(projectPath).close()
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(staleInExports)).toBe(false)
    expect(existsSync(live)).toBe(true)
    expect(sweepTempFiles(dir)).toEqual([])
  })

  it('ner-studio-<kind>-<pid>-* folders of a dead pid are removed', () => {
    const tmp = tmpDir()
    mkdirSync(join(tmp, `ner-studio-train-${2 ** 22 + 5}-abc123`))
    mkdirSync(join(tmp, `ner-studio-train-${process.pid}-def456`))
    mkdirSync(join(tmp, 'unrelated-9999999-x'))
    expect(sweepTempFolders(undefined, tmp).map((p) => p.slice(tmp.length + 1))).toEqual([`ner-studio-train-${2 ** 22 + 5}-abc123`])
    expect(readdirSync(tmp).sort()).toEqual([`ner-studio-train-${process.pid}-def456`, 'unrelated-9999999-x'])
  })
})
