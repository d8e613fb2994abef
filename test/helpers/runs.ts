// A Studio over a fresh project filled with the tiny product titles (train/dev/test), for the
// model-in-the-loop tests. Training configs here are tiny so a run takes seconds on wasm.
import { join } from 'node:path'
import type { EventName, Events } from '../../src-main/shared/api'
import { Studio } from '../../src-main/services/studio'
import { writeJsonl } from './project'
import { tinyTitles } from './tiny'
import { tmpDir } from './tmp'

export const TINY_OVERRIDES = { model: { charEmbedding: 16, hidden: 16 }, epochs: 1, batchSize: 8 }

export interface RunsStudio {
  studio: Studio
  dir: string
  events: { name: EventName; payload: unknown }[]
  of<E extends EventName>(name: E): Events[E][]
}

/** train: `train` titles (weak), dev: 8 (gold), test: 16 (gold). */
export async function runsStudio(train = 48): Promise<RunsStudio> {
  const dir = tmpDir('ner-runs-')
  const studio = new Studio({ shell: 'server', version: 'test', dataDir: dir })
  const events: RunsStudio['events'] = []
  studio.on((name, payload) => events.push({ name, payload }))
  await studio.handle('project.create', { path: join(dir, 'p.sqlite') })
  await studio.handle('import.run', { path: writeJsonl(join(dir, 'train.jsonl'), tinyTitles(train)), format: 'jsonl', split: 'train', origin: 'weak' })
  await studio.handle('import.run', { path: writeJsonl(join(dir, 'dev.jsonl'), tinyTitles(8, 3)), format: 'jsonl', split: 'dev', origin: 'gold' })
  await studio.handle('import.run', { path: writeJsonl(join(dir, 'test.jsonl'), tinyTitles(16, 5)), format: 'jsonl', split: 'test', origin: 'gold' })
  return { studio, dir, events, of: (name) => events.filter((e) => e.name === name).map((e) => e.payload as never) }
}
