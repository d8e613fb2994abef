// The desktop shell's security decisions, as pure functions (Electron cannot run in the test
// machines; src-main/index.ts only wires these in). The rules:
// - The renderer is served from `app://studio/…` (a privileged custom scheme), never file://, so
//   "our page" is one exact origin rather than any file on disk.
// - Only our main frame on that origin (or the dev server's, unpackaged) may call the services.
// - Every permission request (camera, notifications, geolocation…) is denied.
// - openExternal only for https links to an allow-listed host.
// - A packaged build has no DevTools (no menu item, no shortcut, devTools: false).
// - Fuses (set at packaging by scripts/fuses.mjs) turn off running as plain Node and the Node
//   options/inspector switches, and make Electron load the app only from a validated asar.

import { normalize, resolve, sep } from 'node:path'

export const APP_SCHEME = 'app'
export const APP_HOST = 'studio'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
/** The renderer's entry. */
export const APP_URL = `${APP_ORIGIN}/index.html`

/** Hosts the studio may open in the system browser (documentation and the project's home). */
export const EXTERNAL_HOSTS: readonly string[] = ['github.com', 'www.electronjs.org', 'huggingface.co']

/** Permission requests and checks: all denied (the studio needs none). */
export function permissionAllowed(_permission: string): boolean {
  return false
}

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * The file under `rendererDir` an `app://studio/…` URL names (`/` → index.html); null for another
 * scheme or host, a malformed escape, or a path that would leave the folder (answered 404).
 */
export function appFile(url: string, rendererDir: string): string | null {
  const u = parse(url)
  if (!u || u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null
  let path: string
  try {
    path = decodeURIComponent(u.pathname)
  } catch {
    return null
  }
  if (path.includes('\0')) return null
  const rel = normalize(path).replace(/^([/\\])+/, '') || 'index.html'
  const root = resolve(rendererDir)
  const file = resolve(root, rel)
  return file.startsWith(root + sep) ? file : null
}

export interface SenderFrame {
  url: string
  /** True when the frame is its page's top frame. */
  isMainFrame: boolean
}

/** Only our own top frame may call the services: app://studio, or the dev server in development. */
export function trustedSender(frame: SenderFrame | null | undefined, devUrl: string | undefined, packaged: boolean): boolean {
  if (!frame || !frame.isMainFrame) return false
  const u = parse(frame.url)
  if (!u) return false
  if (u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST) return true
  if (packaged || !devUrl) return false
  const dev = parse(devUrl)
  return !!dev && (dev.hostname === '127.0.0.1' || dev.hostname === 'localhost') && u.origin === dev.origin
}

/** Whether a link may go to the system browser: https, no credentials, an allow-listed host. */
export function externalAllowed(url: string): boolean {
  const u = parse(url)
  return !!u && u.protocol === 'https:' && !u.username && !u.password && EXTERNAL_HOSTS.includes(u.hostname)
}

/** Whether the window may navigate to `url` (never away from our page). */
export function navigationAllowed(url: string, devUrl: string | undefined, packaged: boolean): boolean {
  return trustedSender({ url, isMainFrame: true }, devUrl, packaged)
}

/** DevTools only outside packaged builds. */
export function devToolsAllowed(packaged: boolean): boolean {
  return !packaged
}

/** Fuse settings for the packaged binary (names as in @electron/fuses' FuseV1Options). */
export const FUSES = {
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  LoadBrowserProcessSpecificV8Snapshot: false,
  GrantFileProtocolExtraPrivileges: false,
} as const
