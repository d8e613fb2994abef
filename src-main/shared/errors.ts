// Errors that cross the contract. PURE TypeScript.
import type { ErrorCode, WireError } from './api'

export class StudioError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'StudioError'
  }
}

/** Bad input in a file: the message always names the file, the line and the problem. */
export class InputError extends StudioError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super('invalid_input', `${file}:${line}: ${problem}`)
    this.name = 'InputError'
  }
}

/** An error as the transports carry it: a StudioError keeps its code; bad JSON is a bad request. */
export function toWire(e: unknown): WireError {
  if (e instanceof StudioError) return { code: e.code, message: e.message }
  if (e instanceof SyntaxError) return { code: 'bad_request', message: `bad JSON: ${e.message}` }
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) }
}
