// Opening a project file: one SQLite file per project, WAL journal, foreign keys on, migrations by
// PRAGMA user_version. better-sqlite3 is synchronous, which keeps every edit one transaction.
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
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
