// Reading a gazetteer file: one term per line (of the given type) or term<TAB>type, streamed,
// strict UTF-8, errors naming the file and the line.
import { InputError, StudioError } from '../../shared/errors'
import { cpLength } from '../../shared/text'
import { readLines } from '../../io/lines'
import { checkTypeName } from '../types/types'

/** Longest accepted term, in code points. */
export const MAX_TERM = 100

export interface ParsedTerm {
  term: string
  type: string
  line: number
}

/**
 * Stream a gazetteer's terms: one term per line (type `type`), or `term<TAB>type`. Blank lines are
 * skipped; a term is trimmed. Memory stays bounded whatever the file's size (a line at a time).
 * Errors name the file and the line.
 */
export async function* gazetteerTerms(path: string, type: string | undefined, displayName = path): AsyncGenerator<ParsedTerm> {
  let fileType: string | undefined
  if (type !== undefined && type !== null && type !== '') {
    try {
      fileType = checkTypeName(type)
    } catch (e) {
      throw new StudioError('bad_request', (e as Error).message)
    }
  }
  const src = readLines(path, displayName)
  for await (const { no, text } of src.lines) {
    if (text.trim() === '') continue
    const parts = text.split('\t')
    if (parts.length > 2) throw new InputError(displayName, no, 'more than one TAB: expected a term, or term<TAB>type')
    const term = parts[0]!.trim()
    if (!term) throw new InputError(displayName, no, 'empty term before the TAB')
    if (cpLength(term) > MAX_TERM) throw new InputError(displayName, no, `term longer than ${MAX_TERM} characters`)
    let t: string
    if (parts.length === 2) {
      try {
        t = checkTypeName(parts[1])
      } catch (e) {
        throw new InputError(displayName, no, (e as Error).message)
      }
    } else if (fileType) t = fileType
    else throw new InputError(displayName, no, 'no type: give the type of the whole file, or write term<TAB>type')
    yield { term, type: t, line: no }
  }
}

/** A whole gazetteer in memory (small files and tests; imports stream with gazetteerTerms). */
export async function readGazetteer(path: string, type: string | undefined, displayName = path): Promise<ParsedTerm[]> {
  const out: ParsedTerm[] = []
  for await (const t of gazetteerTerms(path, type, displayName)) out.push(t)
  return out
}
