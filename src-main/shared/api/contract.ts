// How the contract is written down: each domain's slice (shared/api/<domain>.ts) lists its requests
// in ONE object whose keys are the request names and whose values say the argument and result
// types and whether the argument may be left out. The names, the argument rule and the types are
// all derived from those objects; nothing else lists requests. PURE TypeScript.

/**
 * A request's argument: 'none' (called without one), 'optional' (a query that may be left out:
 * the request then lists or counts everything), 'required' (an argument object).
 */
export type ArgRule = 'none' | 'optional' | 'required'

/** One request: its argument rule at run time, its argument and result types at compile time. */
export interface Req<A, T> {
  readonly arg: ArgRule
  readonly types?: { args: A; result: T }
}

/** A request without an argument. */
export const none = <T>(): Req<void, T> => ({ arg: 'none' })
/** A request whose query argument may be left out. */
export const optional = <A extends object, T>(): Req<A, T> => ({ arg: 'optional' })
/** A request that needs an argument object. */
export const req = <A extends object, T>(): Req<A, T> => ({ arg: 'required' })

/** One event: its payload type at compile time. */
export interface Ev<P> {
  readonly payload?: P
}
export const event = <P>(): Ev<P> => ({})

/** The `name → { args, result }` map of a requests object. */
export type RequestsOf<S> = { [K in keyof S]: S[K] extends Req<infer A, infer T> ? { args: A; result: T } : never }
/** The `name → payload` map of an events object. */
export type EventsOf<S> = { [K in keyof S]: S[K] extends Ev<infer P> ? P : never }

/** Error codes a client can act on. */
export type ErrorCode =
  | 'bad_request'
  | 'not_found'
  | 'conflict'
  | 'invalid_input'
  | 'no_project'
  | 'busy'
  /** The request came from a window showing another project (or another opening of it). */
  | 'stale_project'
  | 'unauthorized'
  | 'internal'

export interface WireError {
  code: ErrorCode
  message: string
}

/** What the transports carry back for one request. */
export type WireResult<T> = { ok: true; result: T } | { ok: false; error: WireError }
