// A Studio over a fresh project filled with the tiny product titles (train/dev/test), for the
// model-in-the-loop tests. Training configs here are tiny so a run takes seconds on wasm.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EventName, Events } from '../../src-main/shared/api'
import { Studio } from '../../src-main/services/studio'
import { TINY } from './tiny'
import { tmpDir } from './tmp'

export const TINY_OVERRIDES = { model: { charEmbedding: 16, hidden: 16 }, epochs: 1, batchSize: 8 }

function jsonl(path: string, n: number, offset = 0): string {
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    const e = TINY[(i + offset) % TINY.length]!
    lines.push(JSON.stringify({ text: e.text, label: e.spans.map((s) => [s.start, s.end, s.type]) }))
  }
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}

export interface MitlStudio {
  studio: Studio
  dir: string
  events: { name: EventName; payload: unknown }[]
  of<E extends EventName>(name: E): Events[E][]
}

/** train: `train` titles (weak), dev: 8 (gold), test: 16 (gold). */
export async function mitlStudio(train = 48): Promise<MitlStudio> {
  const dir = tmpDir('ner-mitl-')
  const studio = new Studio({ shell: 'server', version: 'test', dataDir: dir })
  const events: MitlStudio['events'] = []
  studio.on((name, payload) => events.push({ name, payload }))
  await studio.handle('project.create', { path: join(dir, 'p.sqlite') })
  await studio.handle('import.run', { path: jsonl(join(dir, 'train.jsonl'), train), format: 'jsonl', split: 'train', origin: 'weak' })
  await studio.handle('import.run', { path: jsonl(join(dir, 'dev.jsonl'), 8, 3), format: 'jsonl', split: 'dev', origin: 'gold' })
  await studio.handle('import.run', { path: jsonl(join(dir, 'test.jsonl'), 16, 5), format: 'jsonl', split: 'test', origin: 'gold' })
  return { studio, dir, events, of: (name) => events.filter((e) => e.name === name).map((e) => e.payload as never) }
}
