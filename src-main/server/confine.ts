// Confined mode (`ner-studio serve --root DIR`, for a server shared with colleagues): every path a
// request names — the project to open or create, a file to import, a dictionary, an export's
// destination — must lie below DIR once symlinks are resolved; uploads are stored below DIR too.
// The request then goes on with the resolved path, so a symlink swapped in later cannot redirect it.

import { existsSync, realpathSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path'
import type { RequestName } from '../shared/api'
import { StudioError } from '../shared/errors'

/** The argument fields that name a file or folder, per request. */
export const PATH_ARGS: Partial<Record<RequestName, readonly string[]>> = {
  'project.open': ['path'],
  'project.create': ['path'],
  'import.run': ['path'],
  'export.run': ['out'],
  'dicts.import': ['path'],
}

/**
 * `p` (relative to root when not absolute) resolved through symlinks: the path itself when it
 * exists, else its nearest existing ancestor plus the rest. Refused unless it lies below root.
 */
export function confinedPath(root: string, p: string): string {
  const realRoot = realpathSync(root)
  const want = isAbsolute(p) ? resolve(p) : resolve(realRoot, p)
  let head = want
  const rest: string[] = []
  while (!existsSync(head)) {
    const up = dirname(head)
    if (up === head) break
    rest.unshift(basename(head))
    head = up
  }
  const real = join(realpathSync(head), ...rest)
  if (real !== realRoot && !real.startsWith(realRoot + sep)) {
    throw new StudioError('bad_request', `${p}: outside the folder this server is confined to (${realRoot})`)
  }
  return real
}

/** The request's arguments with every path field checked and replaced by its resolved path. */
export function confineArgs(root: string, name: RequestName, args: unknown): unknown {
  const fields = PATH_ARGS[name]
  if (!fields || typeof args !== 'object' || args === null) return args
  const out: Record<string, unknown> = { ...(args as Record<string, unknown>) }
  for (const f of fields) {
    const v = out[f]
    if (typeof v === 'string' && v !== '') out[f] = confinedPath(root, v)
  }
  return out
}
