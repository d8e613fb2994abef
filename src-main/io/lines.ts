// Streaming line reader over bytes: strict UTF-8 (invalid bytes are an error naming the line),
// a bounded line length (memory stays bounded whatever the file), BOM handled, and LF, CRLF and a
// lone CR (old Mac files) each end a line. Only regular files are read: a FIFO, device or folder is
// refused before anything blocks or a write lock is taken. A NUL byte is refused (a title never holds
// one; a file full of them is UTF-16, which is named as such).
import { closeSync, constants, createReadStream, fstatSync, openSync, statSync, type Stats } from 'node:fs'
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

/** What a non-regular file is, in words; null for a regular file. */
function notRegular(st: Stats): string | null {
  if (st.isFile()) return null
  if (st.isDirectory()) return 'is a directory, not a file'
  if (st.isFIFO()) return 'is a named pipe (FIFO), not a regular file'
  if (st.isSocket()) return 'is a socket, not a regular file'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'is a device, not a regular file'
  return 'is not a regular file'
}

/**
 * The size of `path` after checking that it is a regular file: an InputError naming the file for a
 * missing file, a directory, a FIFO, a device or a socket (never a bare ENOENT/EISDIR, never a hang).
 */
export function regularFileSize(path: string, displayName = path): number {
  let st: Stats
  try {
    st = statSync(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new InputError(displayName, 0, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`)
  }
  const why = notRegular(st)
  if (why) throw new InputError(displayName, 0, why)
  return st.size
}

/**
 * Open for reading without ever blocking: O_NONBLOCK keeps a FIFO swapped in after the check from
 * hanging the open, and the descriptor is checked again.
 */
function openRegular(path: string, displayName: string): number {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  const why = notRegular(fstatSync(fd))
  if (why) {
    closeSync(fd)
    throw new InputError(displayName, 0, why)
  }
  return fd
}

/** UTF-16 text (the BOM-less kind a NUL betrays): NULs are most of one byte parity of the chunk. */
function looksUtf16(buf: Buffer): boolean {
  const n = Math.min(buf.length, 4096)
  let even = 0
  let odd = 0
  for (let i = 0; i < n; i++) {
    if (buf[i] !== 0) continue
    if (i & 1) odd++
    else even++
  }
  return Math.max(even, odd) >= n / 8
}

export function readLines(path: string, displayName = path): LineSource {
  const bytesTotal = regularFileSize(path, displayName)
  let bytesRead = 0
  async function* gen(): AsyncGenerator<Line> {
    const decoder = new TextDecoder('utf-8', { fatal: true })
    const stream = createReadStream('', { fd: openRegular(path, displayName), highWaterMark: 1 << 16 })
    let pending: Buffer[] = []
    let pendingLen = 0
    let no = 0
    let first = true
    // The previous chunk ended in CR: a LF at the start of this one belongs to it.
    let skipLf = false
    const decode = (buf: Buffer): string => {
      const nul = buf.indexOf(0)
      if (nul >= 0) {
        throw new InputError(displayName, no, `NUL character at byte ${nul + 1} of the line (a title never holds one)`)
      }
      try {
        let s = decoder.decode(buf)
        if (no === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1)
        return s
      } catch {
        throw new InputError(displayName, no, 'invalid UTF-8 (the file must be UTF-8 encoded)')
      }
    }
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        bytesRead += chunk.length
        if (first) {
          first = false
          if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
            throw new InputError(displayName, 1, 'the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8')
          }
          if (looksUtf16(chunk)) {
            throw new InputError(displayName, 1, 'the file looks like UTF-16 without a byte-order mark (NUL bytes between the characters); save it as UTF-8')
          }
        }
        let from = 0
        if (skipLf && chunk[0] === 0x0a) from = 1
        skipLf = false
        let lf = chunk.indexOf(0x0a, from)
        let cr = chunk.indexOf(0x0d, from)
        for (;;) {
          if (lf >= 0 && lf < from) lf = chunk.indexOf(0x0a, from)
          if (cr >= 0 && cr < from) cr = chunk.indexOf(0x0d, from)
          const nl = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr)
          if (nl < 0) break
          const piece = chunk.subarray(from, nl)
          no++
          if (pendingLen + piece.length > MAX_LINE_BYTES) throw tooLong(displayName, no)
          const buf = pending.length ? Buffer.concat([...pending, piece]) : piece
          pending = []
          pendingLen = 0
          yield { no, text: decode(buf) }
          from = nl + 1
          if (chunk[nl] === 0x0d) {
            if (from < chunk.length) {
              if (chunk[from] === 0x0a) from++
            } else skipLf = true
          }
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
