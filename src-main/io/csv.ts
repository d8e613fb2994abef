// RFC 4180 CSV over a line stream: quoted fields may hold commas, doubled quotes and newlines.
import { InputError } from '../shared/errors'
import type { LineSource } from './lines'

export interface CsvRecord {
  /** Line on which the record starts. */
  line: number
  fields: string[]
}

const MAX_RECORD_CHARS = 1 << 20

export async function* parseCsvRecords(src: LineSource): AsyncGenerator<CsvRecord> {
  let fields: string[] = []
  let field = ''
  let inQuotes = false
  let start = 0
  for await (const { no, text } of src.lines) {
    if (!inQuotes) start = no
    let i = 0
    if (inQuotes) field += '\n'
    while (i < text.length) {
      const c = text[i]!
      if (inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          inQuotes = false
          i++
          if (i < text.length && text[i] !== ',') {
            throw new InputError(src.name, no, `unexpected character after a closing quote at column ${i + 1}`)
          }
          continue
        }
        field += c
        i++
      } else if (c === '"') {
        if (field !== '') throw new InputError(src.name, no, `a quote inside an unquoted field at column ${i + 1}`)
        inQuotes = true
        i++
      } else if (c === ',') {
        fields.push(field)
        field = ''
        i++
      } else {
        field += c
        i++
      }
    }
    if (field.length > MAX_RECORD_CHARS) throw new InputError(src.name, start, 'field longer than 1 MiB (an unclosed quote?)')
    if (inQuotes) continue
    fields.push(field)
    yield { line: start, fields }
    fields = []
    field = ''
  }
  if (inQuotes) throw new InputError(src.name, start, 'unclosed quoted field at the end of the file')
}

/** Quote a field per RFC 4180 when it needs it. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * A cell a spreadsheet would not run as a formula (OWASP, "CSV injection"): a cell starting with
 * = + - @, TAB or CR gets a leading single quote, which Excel, LibreOffice and Google Sheets show as
 * text and hide. Exports apply it to every cell of the attributes CSV unless asked not to
 * (`--no-formula-escape`); the cost is a visible ' on titles such as "-20%" in other readers.
 */
export function formulaSafe(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
}
