// JSONL — one JSON value per line — as the host writes a training job's files and the trainer
// process reads them (both sides of the fork use this module). PURE TypeScript: the callers
// read and write the files.

/** The values, one JSON line each, with a final newline. */
export function toJsonl(values: Iterable<unknown>): string {
  let out = ''
  for (const v of values) out += JSON.stringify(v) + '\n'
  return out
}

/**
 * The values of a JSONL text; blank lines are skipped. A line that is not JSON, or that `check`
 * refuses (it returns what was expected), is an error naming `file:line`.
 */
export function parseJsonl<T>(text: string, file: string, check?: (value: unknown) => string | null): T[] {
  const out: T[] = []
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON (${(e as Error).message})`)
    }
    const expected = check?.(v) ?? null
    if (expected) throw new Error(`${file}:${i + 1}: expected ${expected}`)
    out.push(v as T)
  })
  return out
}
