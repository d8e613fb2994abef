// Opening a project file: one SQLite file per project, WAL journal, foreign keys on, migrations by
// PRAGMA user_version. better-sqlite3 is synchronous, which keeps every edit one transaction.
import Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
import { StudioError } from '../shared/errors'
import { fold } from '../shared/text'
import { MIGRATIONS, SCHEMA_VERSION } from './schema'

export type DB = Database.Database

export interface OpenOptions {
  /** Create the file when it does not exist (default false: a missing file is an error). */
  create?: boolean
  readonly?: boolean
}

const APP_ID = 0x4e455253 // 'NERS': marks a file as a NER Studio project

export function openDatabase(path: string, opts: OpenOptions = {}): DB {
  if (!opts.create && !existsSync(path)) {
    throw new StudioError('not_found', `${path}: no such project file`)
  }
  // SQLite would block for ever on a FIFO (holding nothing, answering nothing): refuse at once.
  if (existsSync(path) && !statSync(path).isFile()) {
    const what = statSync(path).isDirectory() ? 'a directory' : 'not a regular file (a FIFO, device or socket)'
    throw new StudioError('bad_request', `${path}: is ${what}, not a project file`)
  }
  let db: DB
  try {
    db = new Database(path, { readonly: opts.readonly ?? false })
  } catch (e) {
    throw new StudioError('bad_request', `${path}: cannot open as a project (${(e as Error).message})`)
  }
  try {
    if (!opts.readonly) db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    // fold(): the case- and width-blind form that title search compares (shared/text.ts).
    db.function('fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? fold(v) : v) as string)
    const appId = db.pragma('application_id', { simple: true }) as number
    const version = db.pragma('user_version', { simple: true }) as number
    if (version === 0) {
      const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number }
      if (tables.n > 0 && appId !== APP_ID) {
        throw new StudioError('bad_request', `${path}: this SQLite file is not a NER Studio project`)
      }
    } else if (appId !== APP_ID) {
      throw new StudioError('bad_request', `${path}: this SQLite file is not a NER Studio project`)
    }
    if (version > SCHEMA_VERSION) {
      throw new StudioError(
        'bad_request',
        `${path}: made by a newer NER Studio (schema ${version}, this one knows ${SCHEMA_VERSION})`,
      )
    }
    if (version < SCHEMA_VERSION) {
      if (opts.readonly) throw new StudioError('bad_request', `${path}: needs a migration; open it writable first`)
      migrate(db, version)
    }
    return db
  } catch (e) {
    db.close()
    if (e instanceof StudioError) throw e
    // e.g. SQLITE_NOTADB: name the file and say what it is not, rather than a bare SQLite message.
    throw new StudioError('bad_request', `${path}: cannot open as a project (${(e as Error).message})`)
  }
}

function migrate(db: DB, from: number): void {
  for (let v = from; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!)
      if (v === 0) {
        db.pragma(`application_id = ${APP_ID}`)
        db.prepare(`INSERT INTO meta (key, value) VALUES ('created_at', ?)`).run(String(Date.now()))
      }
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}

/**
 * Run the async `fn` as ONE write transaction (BEGIN IMMEDIATE: the write lock is taken at once,
 * waiting up to the busy timeout) that commits when `fn` resolves and rolls back when it throws.
 * For long streamed writes (imports): the connection must be private to the operation, since every
 * statement run on it meanwhile is part of the transaction.
 */
export async function asyncTransaction<T>(db: DB, fn: () => Promise<T>): Promise<T> {
  try {
    db.exec('BEGIN IMMEDIATE')
  } catch (e) {
    throw busyError(e) ?? e
  }
  try {
    const r = await fn()
    db.exec('COMMIT')
    return r
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK')
    throw e
  }
}

/** What a screen shows when another connection holds the write lock past the busy timeout. */
export const BUSY_MESSAGE = 'the project is busy (an import is running, or another process is writing to it); try again in a moment'

/** SQLite's "database is locked" (SQLITE_BUSY…) as a `busy` StudioError; null for any other error. */
export function busyError(e: unknown): StudioError | null {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY') ? new StudioError('busy', BUSY_MESSAGE) : null
}

/**
 * Run `fn` as one write transaction that takes the write lock at once (BEGIN IMMEDIATE), so that the
 * busy timeout applies while another connection (a CLI import, a second server, a training run)
 * holds it; a deferred transaction would fail at once with "database is locked" when it upgrades
 * from reading to writing. Contention that outlasts the timeout answers `busy`. Inside another
 * transaction it is a savepoint of that one.
 */
export function writeTransaction<T>(db: DB, fn: () => T): T {
  try {
    return db.transaction(fn).immediate()
  } catch (e) {
    throw busyError(e) ?? e
  }
}
