// Where the trainer process's entry is: the host forks it for a job, the data-parallel pool for its
// helpers. On its own so that neither imports the other.
import { existsSync } from 'node:fs'
import path from 'node:path'

/** Where the trainer entry is, and how to run it. */
export function resolveTrainerEntry(): { entry: string; execArgv: string[] } {
  const here = __filename
  if (here.endsWith('.ts')) {
    return { entry: path.join(path.dirname(here), 'entry.ts'), execArgv: ['--import', 'tsx'] }
  }
  // Built: electron-vite emits out/main/trainer.js beside the entry files (index.js, cli.js), and
  // this module may have been bundled into one of them or into a shared chunk in out/main/chunks/.
  for (const dir of [path.dirname(here), path.join(path.dirname(here), '..')]) {
    const built = path.join(dir, 'trainer.js')
    if (existsSync(built)) return { entry: built, execArgv: [] }
  }
  throw new Error(`the trainer process entry trainer.js is not beside ${path.dirname(here)}: rebuild with npm run build`)
}
