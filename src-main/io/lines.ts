// Streaming line reader over bytes: strict UTF-8 (invalid bytes are an error naming the line),
// a bounded line length (memory stays bounded whatever the file), BOM and CRLF handled.
import { createReadStream, statSync } from 'node:fs'
import { InputError } from '../shared/errors'

/** Longest accepted line. A product title is ~50 characters; 1 MiB leaves room for JSONL rows. */
export const MAX_LINE_BYTES = 1 << 20

export interface Line {
  /** 1-based line number. */
  no: number
  text: string
}

export interface LineSource {
  /** The file name used in error messages. */
  name: string
  bytesTotal: number
  bytesRead: () => number
  lines: AsyncIterableIterator<Line>
}

export function readLines(path: string, displayName = path): LineSource {
  const bytesTotal = statSync(path).size
  let bytesRead = 0
  async function* gen(): AsyncGenerator<Line> {
    const decoder = new TextDecoder('utf-8', { fatal: true })
    const stream = createReadStream(path, { highWaterMark: 1 << 16 })
    let pending: Buffer[] = []
    let pendingLen = 0
    let no = 0
    const decode = (buf: Buffer): string => {
      try {
        let s = decoder.decode(buf)
        if (no === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1)
        if (s.endsWith('\r')) s = s.slice(0, -1)
        return s
      } catch {
        throw new InputError(displayName, no, 'invalid UTF-8 (the file must be UTF-8 encoded)')
      }
    }
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        bytesRead += chunk.length
        let from = 0
        for (;;) {
          const nl = chunk.indexOf(0x0a, from)
          if (nl < 0) break
          const piece = chunk.subarray(from, nl)
          no++
          if (pendingLen + piece.length > MAX_LINE_BYTES) throw tooLong(displayName, no)
          const buf = pending.length ? Buffer.concat([...pending, piece]) : piece
          pending = []
          pendingLen = 0
          yield { no, text: decode(buf) }
          from = nl + 1
        }
        if (from < chunk.length) {
          const rest = chunk.subarray(from)
          pending.push(Buffer.from(rest))
          pendingLen += rest.length
          if (pendingLen > MAX_LINE_BYTES) throw tooLong(displayName, no + 1)
        }
      }
      if (pendingLen > 0) {
        no++
        yield { no, text: decode(Buffer.concat(pending)) }
      }
    } finally {
      stream.destroy()
    }
  }
  return { name: displayName, bytesTotal, bytesRead: () => bytesRead, lines: gen() }
}

function tooLong(name: string, no: number): InputError {
  return new InputError(name, no, `line longer than ${MAX_LINE_BYTES} bytes (is this really a file of titles?)`)
}
