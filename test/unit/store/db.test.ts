// Opening project files: migrations, pragmas, and refusing files that are not (or not yet) ours.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { StudioError } from '../../../src-main/shared/errors'
import { openDatabase } from '../../../src-main/store/db'
import { SCHEMA_VERSION } from '../../../src-main/store/schema'
import { Project } from '../../../src-main/services/project/project'
import { tmpDir } from '../../helpers/tmp'

const APP_ID = 0x4e455253

function expectStudioError(fn: () => unknown, code: string, ...fragments: (string | RegExp)[]): StudioError {
  let err: unknown
  try {
    fn()
  } catch (e) {
    err = e
  }
  expect(err, 'expected an error').toBeInstanceOf(StudioError)
  const se = err as StudioError
  expect(se.code).toBe(code)
  for (const f of fragments) expect(se.message).toMatch(f)
  return se
}

describe('openDatabase', () => {
  it('creates a new project with the schema version, application id, WAL and foreign keys', () => {
    const path = join(tmpDir(), 'new.sqlite')
    const db = openDatabase(path, { create: true })
    try {
      expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1)
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      expect(db.pragma('application_id', { simple: true })).toBe(APP_ID)
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
      const tables = (
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
      ).map((r) => r.name)
      expect(tables).toEqual(
        expect.arrayContaining([
          'meta',
          'entity_types',
          'titles',
          'spans',
          'runs',
          'predictions',
          'history',
          'imports',
          'checkpoints',
        ]),
      )
      const created = db.prepare(`SELECT value FROM meta WHERE key = 'created_at'`).get() as { value: string }
      expect(Number(created.value)).toBeGreaterThan(Date.parse('2020-01-01'))
    } finally {
      db.close()
    }
  })

  it('reopens an existing project without migrating again, and keeps foreign keys on', () => {
    const path = join(tmpDir(), 'again.sqlite')
    openDatabase(path, { create: true }).close()
    const db = openDatabase(path)
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(
        (db.prepare(`SELECT count(*) AS n FROM meta WHERE key = 'created_at'`).get() as { n: number }).n,
      ).toBe(1)
      // Foreign keys are enforced: a span of a title that does not exist is refused.
      db.prepare(`INSERT INTO entity_types (name, color, created_at) VALUES ('X', '#000000', 0)`).run()
      expect(() =>
        db
          .prepare(
            `INSERT INTO spans (title_id, start, end, type_id, origin, created_at) VALUES (999, 0, 1, 1, 'gold', 0)`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/)
    } finally {
      db.close()
    }
  })

  it('opens a project read-only (stats) without changing it', () => {
    const path = join(tmpDir(), 'ro.sqlite')
    openDatabase(path, { create: true }).close()
    const db = openDatabase(path, { readonly: true })
    try {
      expect(db.readonly).toBe(true)
      expect(() => db.prepare(`INSERT INTO meta (key, value) VALUES ('x', 'y')`).run()).toThrow(/readonly/i)
    } finally {
      db.close()
    }
  })

  it('refuses a missing file unless asked to create it', () => {
    const path = join(tmpDir(), 'missing.sqlite')
    expectStudioError(() => openDatabase(path), 'not_found', path)
    expect(existsSync(path)).toBe(false)
  })

  it('refuses a SQLite file of another application, naming the file, and leaves it alone', () => {
    const path = join(tmpDir(), 'other.sqlite')
    const other = new Database(path)
    other.exec(
      `CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('a')`,
    )
    other.close()
    expectStudioError(() => openDatabase(path), 'bad_request', path, /not a NER Studio project/)
    const check = new Database(path)
    expect(check.pragma('user_version', { simple: true })).toBe(0)
    expect(
      (check.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number })
        .n,
    ).toBe(1)
    check.close()
  })

  it('refuses a SQLite file with a user_version but no NER Studio application id', () => {
    const path = join(tmpDir(), 'versioned.sqlite')
    const other = new Database(path)
    other.exec(`CREATE TABLE t (x); PRAGMA user_version = 1`)
    other.close()
    expectStudioError(() => openDatabase(path), 'bad_request', path, /not a NER Studio project/)
  })

  it('refuses a file that is not SQLite at all, with a clear error naming it', () => {
    const path = join(tmpDir(), 'notes.sqlite')
    writeFileSync(path, 'this is a text file, not a database\n'.repeat(200))
    expectStudioError(() => openDatabase(path), 'bad_request', path)
  })

  it('refuses a project made by a newer NER Studio (schema above ours), in both modes', () => {
    const path = join(tmpDir(), 'newer.sqlite')
    openDatabase(path, { create: true }).close()
    const raw = new Database(path)
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    raw.close()
    expectStudioError(() => openDatabase(path), 'bad_request', path, /newer/)
    expectStudioError(() => openDatabase(path, { readonly: true }), 'bad_request', /newer/)
    // Nothing was downgraded.
    const check = new Database(path)
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1)
    check.close()
  })

  it('Project.open reports the project name and title count', () => {
    const path = join(tmpDir(), 'My Project.sqlite')
    const p = Project.open(path, { create: true })
    try {
      expect(p.info()).toEqual({ path, name: 'My Project', titles: 0 })
    } finally {
      p.close()
    }
  })
})
