// Errors that cross the contract. PURE TypeScript.
import type { ErrorCode } from './api'

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
