// The committed tiny BERT folder (test/fixtures/bert-tiny: HF layout, Google layout under google/)
// and throw-away copies of it for tests that break a file on purpose.
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './paths'
import { tmpDir } from './tmp'

export const BERT_TINY = join(REPO_ROOT, 'test', 'fixtures', 'bert-tiny')

/** A copy of the fixture folder (`sub` = 'google' for the Google layout) in a temporary folder. */
export function copyBertTiny(sub = ''): string {
  const dir = tmpDir('bert-tiny-')
  cpSync(join(BERT_TINY, sub), dir, { recursive: true })
  return dir
}

/** Merge `patch` into the JSON config file at `path`. */
export function editConfig(path: string, patch: Record<string, unknown>): void {
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...patch }))
}
