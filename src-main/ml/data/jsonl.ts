/** JSONL of `Example` (`{ text, spans: [{start, end, type}], words? }`), one per line. */
import { readFileSync, writeFileSync } from 'node:fs'
import type { Example } from '../../shared/training'

export function readJsonl(file: string): Example[] {
  const out: Example[] = []
  const lines = readFileSync(file, 'utf8').split('\n')
  lines.forEach((line, i) => {
    if (!line.trim()) return
    let o: unknown
    try {
      o = JSON.parse(line)
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON (${(e as Error).message})`)
    }
    const ex = o as Example
    if (typeof ex.text !== 'string' || !Array.isArray(ex.spans)) throw new Error(`${file}:${i + 1}: expected { text, spans }`)
    out.push(ex)
  })
  return out
}

export function writeJsonl(file: string, examples: readonly Example[]): void {
  writeFileSync(file, examples.map((e) => JSON.stringify(e)).join('\n') + '\n')
}
