// The demo project the studio opens on first start, made from resources/demo/*.jsonl, which
// scripts/make-demo.ts generates (synthetic titles; no third-party data is shipped).
import { existsSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { importInto } from './import'
import { Project } from '../project/project'

export function findDemoDir(): string | null {
  const candidates = [
    join(__dirname, '..', '..', '..', 'resources', 'demo'), // source: src-main/services/io
    join(__dirname, '..', '..', 'resources', 'demo'), // build: out/main
    join(__dirname, '..', 'resources', 'demo'),
    join(process.cwd(), 'resources', 'demo'),
  ]
  return candidates.find((c) => existsSync(join(c, 'train.jsonl'))) ?? null
}

/** Create the demo project at `path` unless it exists: train titles as weak labels, dev and test as gold. */
export async function ensureDemoProject(path: string): Promise<string> {
  if (existsSync(path)) return path
  const dir = findDemoDir()
  if (!dir) throw new Error('resources/demo/train.jsonl is missing (run `npm run make-demo`)')
  const tmp = `${path}.creating`
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true })
  Project.open(tmp, { create: true }).close()
  await importInto(tmp, { path: join(dir, 'train.jsonl'), format: 'jsonl', split: 'train', origin: 'weak' })
  await importInto(tmp, { path: join(dir, 'dev.jsonl'), format: 'jsonl', split: 'dev', origin: 'gold' })
  await importInto(tmp, { path: join(dir, 'test.jsonl'), format: 'jsonl', split: 'test', origin: 'gold' })
  renameSync(tmp, path)
  return path
}
