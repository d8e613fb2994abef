// Which project a window shows, and the rule that keeps its edits out of any other. PURE TypeScript.
//
// The studio holds ONE open project; every window (Electron's, each browser tab on `ner-studio
// serve`) follows it (docs/architecture.md, "Windows follow one project"). A window sends the
// `session` of the project it shows (ProjectInfo.session, new on every open) with every request;
// the Studio refuses a request bound to the project when that is not the open one. Requests without
// it (scripts, the CLI's own calls) are not checked.
import type { RequestName } from './api'

/** The HTTP header carrying the shown project's session (Electron IPC passes it as an argument). */
export const PROJECT_HEADER = 'x-studio-project'
/** What a window sends while it shows no project. */
export const NO_PROJECT = 'none'

/** Requests that do not act on the open project: answered whatever the window shows. */
export const PROJECT_FREE_REQUESTS = [
  'app.info',
  'project.current',
  'project.open',
  'project.create',
  'project.recent',
  'project.forget',
  'presets.list',
  'train.jobs',
  'import.preview',
] as const satisfies readonly RequestName[]

/**
 * Why a request from a window showing `shown` must be refused while `open` is the open project
 * (null: none open), or null when it may proceed. `shown` undefined: not checked.
 */
export function staleReason(name: RequestName, shown: string | undefined, open: { session: string; name: string } | null): string | null {
  if (shown === undefined || (PROJECT_FREE_REQUESTS as readonly string[]).includes(name)) return null
  const current = open?.session ?? NO_PROJECT
  if (shown === current) return null
  return open
    ? `this window showed a project that is no longer open: “${open.name}” was opened since (in another window, or the studio restarted); nothing was changed, the window reloads`
    : 'no project is open any more; nothing was changed'
}
