// kill -9 at awkward moments: during an export, a weak-label over several dictionaries
// and an HTTP edit burst; and two processes on one project. After each, the project opens intact,
// holds all or nothing of the killed operation, every acknowledged edit, and no litter.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { importInto } from '../../../src-main/services/io/import'
import { Project } from '../../../src-main/services/project/project'
import { Studio } from '../../../src-main/services/studio'
import { StudioError } from '../../../src-main/shared/errors'
import { spawnCli } from '../../helpers/cli'
import { dumpProject, makeProject } from '../../helpers/project'
import { writeSyntheticJsonl } from '../../helpers/synthetic'
import { tmpDir } from '../../helpers/tmp'
import { waitFor } from '../../helpers/wait'

let dir: string
let project: string
let big: string
beforeAll(async () => {
  dir = tmpDir()
  project = await makeProject(dir, [{ text: '华为手机' }])
  big = join(dir, 'big.jsonl')
  writeSyntheticJsonl(big, 60_000)
  await importInto(project, { path: big, format: 'jsonl', origin: 'weak', split: 'train' })
}, 120_000)

function intact(path: string): void {
  const db = new Database(path, { readonly: true })
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(db.pragma('foreign_key_check')).toEqual([])
  } finally {
    db.close()
  }
}

/** Start the CLI, wait until `ready()` (or its end), SIGKILL it; answers whether it was killed mid-way. */
async function killWhen(args: string[], ready: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  const child = spawnCli(args)
  let exited = false
  const done = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())))
  await waitFor(() => exited || ready(), `ner-studio ${args[0]} to reach the point to kill it at`, { timeoutMs, everyMs: 5 })
  const killed = !exited
  child.kill('SIGKILL')
  await done
  return killed
}

describe('kill -9', () => {
  it('during an export: no target, and the temp file is removed on the next start', async () => {
    const out = join(dir, 'all.jsonl')
    const temps = (): string[] => readdirSync(dir).filter((f) => f.startsWith('all.jsonl.tmp-'))
    const before = dumpProject(project)
    expect(await killWhen(['export', project, '--format', 'jsonl', '--out', out], () => temps().length > 0)).toBe(true)
    expect(existsSync(out)).toBe(false)
    expect(temps()).toHaveLength(1)
    Project.open(project).close() // a start-up
    expect(temps()).toEqual([])
    intact(project)
    expect(dumpProject(project)).toEqual(before)
  }, 60_000)

  it('during weak-label over three dictionaries: all of them with their spans, or nothing', async () => {
    const chars = '华为手机壳苹果数据线小米充电宝的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民'
    const dicts = [0, 1, 2].map((k) => {
      const terms = new Set<string>()
      for (let i = 0; terms.size < 150_000; i++) {
        const a = chars[(i * 7 + k) % chars.length]!
        const b = chars[(i * 13 + k * 5) % chars.length]!
        terms.add(`${a}${b}${i}`)
        if (i < chars.length * 3) terms.add(`${a}${b}`)
      }
      const f = join(dir, `d${k}.dic`)
      writeFileSync(f, [...terms].join('\n'))
      return f
    })
    const args = ['weak-label', project, ...dicts.flatMap((d) => ['--dict', d]), '--type', '品牌']
    for (const delay of [1500, 4000]) {
      const before = dumpProject(project)
      const t0 = Date.now()
      const killed = await killWhen(args, () => Date.now() - t0 > delay)
      intact(project)
      const db = new Database(project, { readonly: true })
      const nDicts = (db.prepare('SELECT count(*) AS n FROM dictionaries').get() as { n: number }).n
      const nSpans = (db.prepare('SELECT count(*) AS n FROM dictionary_spans').get() as { n: number }).n
      db.close()
      if (killed && nDicts === 0) expect(dumpProject(project)).toEqual(before)
      else {
        expect(nDicts).toBe(3)
        expect(nSpans).toBeGreaterThan(0)
      }
    }
  }, 120_000)

  it('of a server during an HTTP edit burst: every acknowledged edit is in the file', async () => {
    const path = await makeProject(tmpDir(), Array.from({ length: 400 }, (_, i) => ({ text: `标题${i}华为手机壳`, label: [[2 + String(i).length, 4 + String(i).length, i === 0 ? '品类' : '品牌']] as [number, number, string][] })))
    const child = spawnCli(['serve', path, '--port', '0', '--token', 'fault-token'])
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d
        const m = /Open (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      child.on('exit', () => reject(new Error(`server ended: ${out}`)))
    })
    const acked: number[] = []
    let stop = false
    const worker = async (from: number): Promise<void> => {
      for (let id = from; id <= 400 && !stop; id += 4) {
        try {
          const res = await fetch(`${url}/api/spans.create`, {
            method: 'POST',
            headers: { authorization: 'Bearer fault-token', origin: url, 'content-type': 'application/json' },
            body: JSON.stringify({ titleId: id, start: 0, end: 2, type: '品类' }),
          })
          const body = (await res.json()) as { ok: boolean; error?: { message: string } }
          if (body.ok) acked.push(id)
          else throw new Error(body.error?.message)
        } catch (e) {
          if (!stop) throw e
        }
      }
    }
    const burst = Promise.all([1, 2, 3, 4].map(worker)).catch((e: unknown) => (stop ? undefined : Promise.reject(e)))
    await waitFor(() => acked.length >= 40, '40 acknowledged edits', { timeoutMs: 30_000, everyMs: 5 })
    stop = true
    child.kill('SIGKILL')
    await burst
    intact(path)
    const db = new Database(path, { readonly: true })
    const have = new Set((db.prepare(`SELECT title_id FROM spans s JOIN entity_types t ON t.id = s.type_id WHERE t.name = '品类'`).all() as { title_id: number }[]).map((r) => r.title_id))
    db.close()
    expect(acked.length).toBeGreaterThanOrEqual(40)
    for (const id of acked) expect(have.has(id), `acknowledged edit on title ${id}`).toBe(true)
  }, 60_000)
})

describe('two processes on one project', () => {
  it('edits while a CLI import holds the write lock answer busy (never "database is locked"), and succeed after it', async () => {
    const path = await makeProject(tmpDir(), [{ text: '华为手机壳', label: [[0, 2, '品牌']] }, { text: '苹果数据线' }])
    const studio = new Studio({ shell: 'server', version: 'test', dataDir: tmpDir(), watchMs: 0 })
    studio.open(path, false)
    studio.current()!.db.pragma('busy_timeout = 300')
    const child = spawnCli(['import', path, big, '--origin', 'weak'])
    const done = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
    // The import holds the lock once its WAL grows.
    const walBytes = (): number => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0)
    await waitFor(() => walBytes() >= 2 << 20, "the import's WAL to pass 2 MiB", { timeoutMs: 30_000 })
    expect(walBytes(), 'the import should be writing').toBeGreaterThanOrEqual(2 << 20)
    let busy = 0
    let ok = 0
    for (let i = 0; i < 5; i++) {
      try {
        // title 2 has no span: an edit that gets in between the import's transactions succeeds
        // (on title 1 its first two would overlap 华为 and answer 'conflict', not busy or ok)
        await studio.handle('spans.create', { titleId: 2, start: i, end: i + 1, type: '品牌' })
        ok++
      } catch (e) {
        expect(e).toBeInstanceOf(StudioError)
        expect((e as StudioError).code).toBe('busy')
        expect((e as Error).message).toMatch(/^the project is busy/)
        busy++
      }
    }
    expect(busy + ok).toBe(5)
    expect(busy, "the import held the lock: at least one edit must have answered busy").toBeGreaterThan(0)
    expect(await done).toBe(0)
    const s = await studio.handle('spans.create', { titleId: 1, start: 2, end: 4, type: '品牌' })
    expect(s.titleId).toBe(1)
    studio.close()
    intact(path)
  }, 90_000)
})
