// README's command-line block is checked against the CLI's own usage text (`ner-studio --help`):
// the same commands, and no flag in the README that the usage does not list for that command.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../helpers/cli'
import { REPO_ROOT } from '../../helpers/paths'

/** command → its flags, from lines where a command starts (`start`) and indented lines continue it. */
function commands(lines: string[], start: RegExp): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  let current: Set<string> | undefined
  for (const line of lines) {
    const m = start.exec(line)
    if (m) {
      current = out.get(m[1]!) ?? new Set()
      out.set(m[1]!, current)
    } else if (!/^\s/.test(line)) {
      current = undefined
    }
    for (const f of line.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) current?.add(f[0])
  }
  return out
}

/** The fenced block under README's "## Command line". */
function readmeBlock(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
  const section = readme.split(/^## /m).find((s) => s.startsWith('Command line'))
  expect(section, 'README has a "## Command line" section').toBeDefined()
  const block = /```\n([\s\S]*?)```/.exec(section!)
  expect(block, 'the section has a fenced block').not.toBeNull()
  return block![1]!.split('\n').filter((l) => l.trim())
}

describe("README's command line block", () => {
  let usage: Map<string, Set<string>>
  let readme: Map<string, Set<string>>
  beforeAll(async () => {
    const r = await runCli(['--help'])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^usage: ner-studio <command>/)
    usage = commands(lines.slice(1), /^ {2}([a-z][a-z-]*)\s/)
    readme = commands(readmeBlock(), /^ner-studio ([a-z][a-z-]*)\s/)
  })

  it('lists exactly the commands of `ner-studio --help`', () => {
    expect(usage.size).toBeGreaterThan(10)
    expect([...readme.keys()].sort()).toEqual([...usage.keys()].sort())
  })

  it("lists only flags that `ner-studio --help` gives for that command", () => {
    const unknown = [...readme].flatMap(([cmd, flags]) => [...flags].filter((f) => !usage.get(cmd)?.has(f)).map((f) => `${cmd} ${f}`))
    expect(unknown).toEqual([])
  })
})
