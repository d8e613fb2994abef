// Where the studio keeps its own files (the demo project, recent projects) outside Electron.
import { mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export function userDataDir(): string {
  const base =
    process.env.NER_STUDIO_HOME ??
    (process.platform === 'win32'
      ? join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'ner-studio')
      : process.platform === 'darwin'
        ? join(homedir(), 'Library', 'Application Support', 'ner-studio')
        : join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'ner-studio'))
  mkdirSync(base, { recursive: true })
  return base
}
