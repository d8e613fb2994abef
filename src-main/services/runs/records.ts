// Training runs as stored in the project: the run record, its best checkpoint (a BLOB with its
// manifest) and its predictions. The trainer process never touches the project file: the main
// process writes the data it trains on to files, and stores what comes back.

import { mkdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { StudioError } from '../../shared/errors'
import { toJsonl } from '../../shared/jsonl'
import type { PlainSpan } from '../../shared/tags'
import { parseWords } from '../../shared/text'
import type { Origin, RunRecord, RunStatus, Split } from '../../shared/types'
import { writeTransaction, type DB } from '../../store/db'
import { makeRng, shuffle } from '../../ml/train/rng'
import { pidAlive } from '../../io/temp'

/** A run's owner is checked as the temp files' owners are (io/temp). */
export { pidAlive }

export interface TrainingExample {
  id: number
  text: string
  spans: (PlainSpan & { origin?: Origin; confidence?: number })[]
  words?: number[]
  /** False for an unreviewed title: its spans are partial labels (the weak-label-aware loss reads them so). */
  reviewed?: boolean
}

export interface DataSelection {
  /** 'reviewed': reviewed titles only (their gold spans); 'all': every title of the split with gold, weak and dictionary spans. */
  titles: 'reviewed' | 'all'
  trainSplit?: Split
  devSplit?: Split
  /** Fraction of train held back as dev when the dev split is empty (default 0.1). */
  holdOut?: number
  seed?: number
  /** Train on these titles of the train split only (learning curves, simulated review). */
  trainIds?: readonly number[]
}

const ORIGINS_FOR: Record<DataSelection['titles'], Origin[]> = {
  reviewed: ['gold'],
  all: ['gold', 'weak', 'dictionary'],
}

/** Titles of one split with their spans of the chosen origins. */
export function selectExamples(db: DB, split: Split, sel: DataSelection['titles']): TrainingExample[] {
  const origins = ORIGINS_FOR[sel]
  const rows = db
    .prepare(
      `SELECT t.id, t.text, t.words, t.status, s.start, s.end, s.origin, s.confidence, e.name AS type FROM titles t
         LEFT JOIN spans s ON s.title_id = t.id AND s.origin IN (${origins.map(() => '?').join(',')})
         LEFT JOIN entity_types e ON e.id = s.type_id
        WHERE t.split = ? ${sel === 'reviewed' ? "AND t.status = 'reviewed'" : ''}
        ORDER BY t.id, s.start`,
    )
    .all(...origins, split) as {
    id: number
    text: string
    words: string | null
    status: string
    start: number | null
    end: number | null
    origin: Origin | null
    confidence: number | null
    type: string | null
  }[]
  const out: TrainingExample[] = []
  for (const r of rows) {
    let cur = out[out.length - 1]
    if (!cur || cur.id !== r.id) {
      cur = { id: r.id, text: r.text, spans: [], ...(r.words ? { words: parseWords(r.words)! } : {}), ...(r.status === 'reviewed' ? {} : { reviewed: false }) }
      out.push(cur)
    }
    if (r.start !== null && r.end !== null && r.type !== null)
      cur.spans.push({ start: r.start, end: r.end, type: r.type, ...(r.origin && r.origin !== 'gold' ? { origin: r.origin } : {}), ...(r.confidence !== null ? { confidence: r.confidence } : {}) })
  }
  return out
}

/** A deterministic shuffle (the engine's seeded PRNG), leaving `xs` as it is. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  return shuffle(xs.slice(), makeRng(seed))
}

/** Train and dev examples per the selection; dev falls back to a held-back slice of train. */
export function trainingData(db: DB, sel: DataSelection): { train: TrainingExample[]; dev: TrainingExample[]; devSource: string } {
  let train = selectExamples(db, sel.trainSplit ?? 'train', sel.titles)
  if (sel.trainIds) {
    const keep = new Set(sel.trainIds)
    train = train.filter((e) => keep.has(e.id))
  }
  if (train.length === 0) {
    throw new StudioError(
      'bad_request',
      `no training titles: split "${sel.trainSplit ?? 'train'}" has no ${sel.titles === 'reviewed' ? 'reviewed ' : ''}titles`,
    )
  }
  // Dev is judged against the best labels we have: all origins except model predictions.
  const dev = selectExamples(db, sel.devSplit ?? 'dev', 'all')
  if (dev.length > 0) return { train, dev, devSource: `split ${sel.devSplit ?? 'dev'}` }
  const frac = sel.holdOut ?? 0.1
  if (train.length < 2) throw new StudioError('bad_request', 'need at least 2 training titles to hold one back for dev')
  // With unreviewed titles in train, dev is held back from the reviewed ones when there are
  // MIN_REVIEWED_DEV of them: an unreviewed title's weak labels (or none at all) would score the
  // model against what it is meant to outgrow, and pick the epoch that copies them best.
  const reviewed = train.filter((e) => e.reviewed !== false)
  const fromReviewed = reviewed.length < train.length && reviewed.length >= MIN_REVIEWED_DEV
  const mixed = shuffled(fromReviewed ? reviewed : train, sel.seed ?? 1)
  const n = Math.max(1, Math.round(mixed.length * frac))
  const heldBack = mixed.slice(0, n)
  const held = new Set(heldBack)
  const what = fromReviewed ? `${n} reviewed titles` : `${n} titles`
  return { train: fromReviewed ? train.filter((e) => !held.has(e)) : mixed.slice(n), dev: heldBack, devSource: `${what} held back from train` }
}

/** The most titles self-training's pool takes from outside the training data (drawn with the seed). */
export const POOL_MAX = 20_000

/**
 * Self-training's titles beyond the run's data, text only: the train split's unreviewed titles the
 * selection left out (`--data reviewed`) and the titles of no split. Never dev or test titles, nor
 * one `used` (the run's train and dev examples: a held-back dev title stays out). At most
 * POOL_MAX, a seeded random draw.
 */
export function selfTrainingPool(db: DB, sel: DataSelection, used: readonly TrainingExample[]): string[] {
  const inTrain = new Set(used.map((e) => e.id))
  const rows = db
    .prepare(`SELECT id, text FROM titles WHERE split = 'none' OR (split = ? AND status = 'unreviewed') ORDER BY id`)
    .all(sel.trainSplit ?? 'train') as { id: number; text: string }[]
  const pool = rows.filter((r) => !inTrain.has(r.id)).map((r) => r.text)
  return pool.length > POOL_MAX ? shuffled(pool, sel.seed ?? 1).slice(0, POOL_MAX) : pool
}

/** Fewest reviewed train titles to hold dev back from them alone (see trainingData). */
export const MIN_REVIEWED_DEV = 10

export function writeJsonl(path: string, examples: TrainingExample[]): void {
  writeFileSync(
    path,
    toJsonl(examples.map((e) => ({ id: e.id, text: e.text, spans: e.spans, ...(e.words ? { words: e.words } : {}), ...(e.reviewed === false ? { reviewed: false } : {}) }))),
  )
}

export function writeTrainingFiles(dir: string, data: { train: TrainingExample[]; dev: TrainingExample[] }): { trainPath: string; devPath: string } {
  mkdirSync(dir, { recursive: true })
  const trainPath = join(dir, 'train.jsonl')
  const devPath = join(dir, 'dev.jsonl')
  writeJsonl(trainPath, data.train)
  writeJsonl(devPath, data.dev)
  return { trainPath, devPath }
}

// ------------------------------------------------------------------ run records

/** The process that trains a run: the one that forks the trainer and records what it reports. */
export interface RunOwner {
  host: string
  pid: number
}

/** This process as a run's owner. */
export function thisProcess(): RunOwner {
  return { host: hostname(), pid: process.pid }
}

/** A new 'queued' run owned by `owner` (this process unless told otherwise). */
export function createRun(db: DB, preset: string, config: unknown, owner: RunOwner = thisProcess()): number {
  return Number(
    db
      .prepare(`INSERT INTO runs (preset, config, status, created_at, owner_host, owner_pid) VALUES (?, ?, 'queued', ?, ?, ?)`)
      .run(preset, JSON.stringify(config), Date.now(), owner.host, owner.pid).lastInsertRowid,
  )
}


/** Why a run is taken to be interrupted, or null when its owner may still be training it. */
function interruption(owner: { owner_host: string | null; owner_pid: number | null }, host: string, alive: (pid: number) => boolean): string | null {
  if (owner.owner_host === null || owner.owner_pid === null) {
    return 'interrupted: the process that was training it ended before the run finished (the run predates NER Studio recording which process trains a run)'
  }
  // Another host may be training it on a shared disk; a live pid here may be training it now.
  if (owner.owner_host !== host || alive(owner.owner_pid)) return null
  return `interrupted: the process that was training it (pid ${owner.owner_pid} on host ${owner.owner_host}) ended before the run finished`
}

/**
 * Mark as failed every 'queued' or 'running' run whose owner is gone: a process of this host that
 * is no longer alive, or no owner at all (a run from before migration 3). Runs owned by a live
 * process, or by another host, are left alone. Called when a project is opened writable; one
 * transaction. A project another process is writing to (an import holding the write lock) is left
 * as it is: the next open sweeps it. Answers the runs it failed.
 */
export function failInterruptedRuns(
  db: DB,
  opts: { host?: string; alive?: (pid: number) => boolean; now?: number } = {},
): { id: number; error: string }[] {
  const host = opts.host ?? hostname()
  const alive = opts.alive ?? pidAlive
  const select = db.prepare(`SELECT id, owner_host, owner_pid FROM runs WHERE status IN ('queued', 'running') ORDER BY id`)
  type Row = { id: number; owner_host: string | null; owner_pid: number | null }
  // Most opens find nothing: look first without taking the write lock.
  if (!(select.all() as Row[]).some((r) => interruption(r, host, alive) !== null)) return []
  const fail = db.prepare(`UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')`)
  const sweep = db.transaction((): { id: number; error: string }[] => {
    const failed: { id: number; error: string }[] = []
    const now = opts.now ?? Date.now()
    for (const r of select.all() as Row[]) {
      const error = interruption(r, host, alive)
      if (error === null) continue
      fail.run(error, now, r.id)
      failed.push({ id: r.id, error })
    }
    return failed
  })
  try {
    return sweep.immediate()
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return []
    throw e
  }
}

export function updateRun(
  db: DB,
  id: number,
  patch: {
    status?: RunStatus
    metrics?: unknown
    backend?: string
    backendReason?: string
    error?: string | null
    timings?: Record<string, number>
    startedAt?: number
    finishedAt?: number
  },
): void {
  const sets: string[] = []
  const vals: unknown[] = []
  const put = (col: string, v: unknown): void => {
    sets.push(`${col} = ?`)
    vals.push(v)
  }
  if (patch.status !== undefined) put('status', patch.status)
  if (patch.metrics !== undefined) put('metrics', JSON.stringify(patch.metrics))
  if (patch.backend !== undefined) put('backend', patch.backend)
  if (patch.backendReason !== undefined) put('backend_reason', patch.backendReason)
  if (patch.error !== undefined) put('error', patch.error)
  if (patch.timings !== undefined) put('timings', JSON.stringify(patch.timings))
  if (patch.startedAt !== undefined) put('started_at', patch.startedAt)
  if (patch.finishedAt !== undefined) put('finished_at', patch.finishedAt)
  if (!sets.length) return
  const r = db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...vals, id)
  if (r.changes === 0) throw new StudioError('not_found', `no run with id ${id}`)
}

export function getRunRow(db: DB, id: number): { id: number; preset: string; config: string; status: RunStatus; metrics: string | null } {
  const row = db.prepare('SELECT id, preset, config, status, metrics FROM runs WHERE id = ?').get(id) as
    | { id: number; preset: string; config: string; status: RunStatus; metrics: string | null }
    | undefined
  if (!row) throw new StudioError('not_found', `no run with id ${id}`)
  return row
}

export function saveCheckpoint(db: DB, runId: number, manifest: unknown, weights: Uint8Array): void {
  db.prepare('INSERT OR REPLACE INTO checkpoints (run_id, manifest, weights) VALUES (?, ?, ?)').run(
    runId,
    JSON.stringify(manifest),
    Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength),
  )
}

export function loadCheckpoint(db: DB, runId: number): { manifest: unknown; weights: Uint8Array } {
  const row = db.prepare('SELECT manifest, weights FROM checkpoints WHERE run_id = ?').get(runId) as
    | { manifest: string; weights: Buffer }
    | undefined
  if (!row) throw new StudioError('not_found', `run ${runId} has no checkpoint (did it finish?)`)
  return { manifest: JSON.parse(row.manifest) as unknown, weights: new Uint8Array(row.weights) }
}

/** Store a run's predictions for many titles in one transaction. */
export function savePredictions(
  db: DB,
  runId: number,
  preds: Iterable<{ titleId: number; spans: (PlainSpan & { confidence?: number })[]; uncertainty?: number; logProb?: number }>,
): number {
  const ins = db.prepare('INSERT OR REPLACE INTO predictions (run_id, title_id, spans, uncertainty, log_prob) VALUES (?, ?, ?, ?, ?)')
  let n = 0
  writeTransaction(db, () => {
    for (const p of preds) {
      ins.run(runId, p.titleId, JSON.stringify(p.spans), p.uncertainty ?? null, p.logProb ?? null)
      n++
    }
  })
  return n
}

/** Every run, newest first, with whether it has a checkpoint. */
export function listRuns(db: DB): RunRecord[] {
  const rows = db
    .prepare(
      `SELECT r.*, EXISTS (SELECT 1 FROM checkpoints c WHERE c.run_id = r.id) AS has_ckpt
         FROM runs r ORDER BY r.id DESC`,
    )
    .all() as {
    id: number
    preset: string
    config: string
    status: RunRecord['status']
    metrics: string | null
    backend: string | null
    backend_reason: string | null
    error: string | null
    timings: string | null
    has_ckpt: number
    created_at: number
    started_at: number | null
    finished_at: number | null
  }[]
  return rows.map((r) => ({
    id: r.id,
    preset: r.preset,
    config: JSON.parse(r.config) as Record<string, unknown>,
    status: r.status,
    metrics: r.metrics ? (JSON.parse(r.metrics) as Record<string, unknown>) : null,
    backend: r.backend,
    backendReason: r.backend_reason,
    error: r.error,
    timings: r.timings ? (JSON.parse(r.timings) as Record<string, number>) : null,
    hasCheckpoint: r.has_ckpt === 1,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }))
}