// THE contract between the renderer (or any client: HTTP, CLI) and the services. Each domain's
// slice (app, project, types, titles, spans, io, dicts, runs, review) lists its requests in one object;
// this file joins them. Every request is a name → { args, result } pair, every event a name →
// payload; the names are the objects' keys. The preload, the IPC handler, the HTTP/WebSocket
// server and the renderer client are all typed against these maps. Nothing else crosses.
// A new request: one line in its domain's slice, one handler in services/<domain>/handlers.ts.
// PURE TypeScript (the renderer imports it).

import type { EventsOf, RequestsOf, WireResult } from './contract'
import { appEvents, appRequests } from './app'
import { projectEvents, projectRequests } from './project'
import { typesRequests } from './types'
import { titlesRequests } from './titles'
import { spansRequests } from './spans'
import { ioEvents, ioRequests } from './io'
import { dictsRequests } from './dicts'
import { runsEvents, runsRequests } from './runs'
import { reviewRequests } from './review'

export type { ArgRule, ErrorCode, Req, WireError } from './contract'
export * from './app'
export * from './project'
export * from './types'
export * from './titles'
export * from './spans'
export * from './io'
export * from './dicts'
export * from './runs'
export * from './review'
export type { Title } from '../types'

/** Every domain's requests by name (a name in two slices is caught by the contract test). */
export const requests = {
  ...appRequests,
  ...projectRequests,
  ...typesRequests,
  ...titlesRequests,
  ...spansRequests,
  ...ioRequests,
  ...dictsRequests,
  ...runsRequests,
  ...reviewRequests,
}
/** Each domain's slice, for the test that no name is in two. */
export const slices = [appRequests, projectRequests, typesRequests, titlesRequests, spansRequests, ioRequests, dictsRequests, runsRequests, reviewRequests]

const events = { ...appEvents, ...projectEvents, ...ioEvents, ...runsEvents }

/** Every request the services answer. */
export type Requests = RequestsOf<typeof requests>
export type RequestName = keyof Requests
export type ArgsOf<K extends RequestName> = Requests[K]['args']
export type ResultOf<K extends RequestName> = Requests[K]['result']

/** Every event the services push to clients. */
export type Events = EventsOf<typeof events>
export type EventName = keyof Events

export const REQUEST_NAMES = Object.keys(requests) as RequestName[]
export const EVENT_NAMES = Object.keys(events) as EventName[]

export function isRequestName(x: unknown): x is RequestName {
  return typeof x === 'string' && Object.hasOwn(requests, x)
}

export function isEventName(x: unknown): x is EventName {
  return typeof x === 'string' && Object.hasOwn(events, x)
}

/** Requests that take no argument. */
export const NO_ARG_REQUESTS = REQUEST_NAMES.filter((n) => requests[n].arg === 'none')

/** Whether a request must be called with an argument object. */
export function needsArgument(name: RequestName): boolean {
  return requests[name].arg === 'required'
}

/** The typed client every transport implements (preload IPC, HTTP, in-process). */
export interface StudioClient {
  call<K extends RequestName>(name: K, ...args: ArgsOf<K> extends void ? [] : [ArgsOf<K>]): Promise<ResultOf<K>>
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void
}

export type { WireResult }
