// README's key table is the span editor's keymap (src-main/shared/keymap.ts), row for row.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KEYMAP } from '../../../src-main/shared/keymap'
import { REPO_ROOT } from '../../helpers/paths'

function readmeKeyTable(): { keys: string; does: string }[] {
  const lines = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').split('\n')
  const head = lines.findIndex((l) => l.startsWith('| keys (span editor'))
  if (head < 0) throw new Error('README.md: no "| keys (span editor" table')
  const rows: { keys: string; does: string }[] = []
  for (const l of lines.slice(head + 2)) {
    if (!l.startsWith('|')) break
    const cells = l.split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, ''))
    rows.push({ keys: cells[0]!, does: cells.slice(1).join(' | ') })
  }
  return rows
}

describe('keymap', () => {
  it("README's key table lists exactly the keymap's rows, in order", () => {
    expect(readmeKeyTable()).toEqual(KEYMAP.map((r) => ({ keys: r.keys, does: r.does })))
  })
  it('leaves Tab to focus movement', () => {
    expect(KEYMAP.some((r) => /\bTab\b/.test(r.keys))).toBe(false)
  })
})
