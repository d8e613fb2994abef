// The recently opened projects, newest first, kept in recent.json in the studio's data folder.
// Written atomically (temporary file + rename); a damaged file reads as an empty list.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import type { RecentProject } from '../../shared/api'

const MAX = 20

export class RecentProjects {
  constructor(private readonly file: () => string) {}

  private read(): { path: string; openedAt: number }[] {
    try {
      const data = JSON.parse(readFileSync(this.file(), 'utf8')) as unknown
      if (!Array.isArray(data)) return []
      return data.filter(
        (d): d is { path: string; openedAt: number } =>
          typeof d === 'object' && d !== null && typeof d.path === 'string' && typeof d.openedAt === 'number',
      )
    } catch {
      return []
    }
  }

  private write(list: { path: string; openedAt: number }[]): void {
    const f = this.file()
    const tmp = `${f}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(list.slice(0, MAX), null, 1))
    renameSync(tmp, f)
  }

  list(): RecentProject[] {
    return this.read().map((r) => ({
      path: r.path,
      name: basename(r.path).replace(/\.sqlite$/, ''),
      openedAt: r.openedAt,
      exists: existsSync(r.path),
    }))
  }

  add(path: string): void {
    const abs = resolve(path)
    try {
      this.write([{ path: abs, openedAt: Date.now() }, ...this.read().filter((r) => r.path !== abs)])
    } catch {
      // The recent list is a convenience: never fail an open because it cannot be written.
    }
  }

  forget(path: string): RecentProject[] {
    const abs = resolve(path)
    this.write(this.read().filter((r) => r.path !== abs && r.path !== path))
    return this.list()
  }
}
