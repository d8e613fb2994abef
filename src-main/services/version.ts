import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The app version from package.json (found above this file in source and in the build). */
export function appVersion(): string {
  for (const up of ['..', '../..', '../../..']) {
    const p = join(__dirname, up, 'package.json')
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'ner-studio' && pkg.version) return pkg.version
    }
  }
  return '0.0.0'
}
