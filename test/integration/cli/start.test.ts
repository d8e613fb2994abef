// `npm start -- shop.sqlite` runs in the install folder (npm's rule for scripts): the relative path
// must still mean the folder the user typed it in (npm's INIT_CWD), never the install folder.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../helpers/paths'
import { tmpDir } from '../../helpers/tmp'

// vitest's global setup (test/helpers/build.ts) has built out/main and out/renderer.
describe('npm start with a relative project path', () => {
  it('creates and serves the project in the folder start was typed in, not the install folder', async () => {
    const dir = tmpDir()
    const name = `relative-${process.pid}.sqlite`
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'start.mjs'), name], {
      cwd: REPO_ROOT,
      env: { ...process.env, INIT_CWD: dir, NER_STUDIO_HEADLESS: '1', NER_STUDIO_HOME: join(dir, 'home') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    try {
      await new Promise<void>((ok, fail) => {
        child.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d
          if (out.includes('Open http')) ok()
        })
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
        child.on('exit', (code) => fail(new Error(`start exited (${code}) before serving:\n${out}`)))
      })
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok))
        child.kill('SIGTERM')
        await exited
      }
    }
    expect(out).toContain(`NER Studio is serving ${join(dir, name)}`)
    expect(existsSync(join(dir, name))).toBe(true)
    expect(existsSync(join(REPO_ROOT, name))).toBe(false)
  }, 60_000)
})
