// Shared by the benchmarks (not one itself: `npm run bench` runs bench/*.ts only). What every
// results file (bench/results/*.md) is made of: the machine it ran on, the command that ran it,
// markdown tables, the file itself, and where ../shared is. Each script keeps its own wording around these.
import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, resolve } from 'node:path'

const repoRoot = resolve(__dirname, '..', '..')
/** ../shared beside the checkout (a git worktree under wt/<name> has it one level further up); the first when neither exists. */
export const sharedDir = [resolve(repoRoot, '..', 'shared'), resolve(repoRoot, '..', '..', 'shared')].find((d) => existsSync(d)) ?? resolve(repoRoot, '..', 'shared')

/** The machine the benchmark runs on. */
export const machine = {
  /** CPU model ("?" where Node cannot tell). */
  cpu: os.cpus()[0]?.model ?? '?',
  cores: os.cpus().length,
  /** Total memory in GiB with one decimal, e.g. "23.5". */
  ramGiB: (os.totalmem() / 2 ** 30).toFixed(1),
  /** Total memory in whole MiB, e.g. "24106". */
  ramMiB: (os.totalmem() / 2 ** 20).toFixed(0),
  /** e.g. "linux x64". */
  platform: `${os.platform()} ${os.arch()}`,
}

/** CPU, cores, memory, platform and Node: "AMD EPYC, 2 cores, 23.5 GiB RAM, linux x64, Node v20.20.2". */
export function machineLine(): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB RAM, ${machine.platform}, Node ${process.version}`
}

/** The operating system by name where /etc/os-release gives one ("Debian GNU/Linux 12 (bookworm) (kernel 6.1.0)"), else "linux 6.1.0". */
export function osName(): string {
  try {
    return execSync('. /etc/os-release && echo "$PRETTY_NAME"', { shell: '/bin/sh' }).toString().trim() + ` (kernel ${os.release()})`
  } catch {
    return `${os.platform()} ${os.release()}`
  }
}

/**
 * How the benchmark was run: `npm run bench <name>`, then `sep` (` -- ` for npm) and the arguments
 * when there are any.
 */
export function benchCommand(name: string, args: readonly string[] = process.argv.slice(2), sep = ' -- '): string {
  return `npm run bench ${name}${args.length ? `${sep}${args.join(' ')}` : ''}`
}

/**
 * A markdown table as lines: the header, the alignment row (`align`: one letter per column, `l` or
 * `r`; `r` writes `---:`), then one line per row, each cell as String() writes it.
 */
export function mdTable(header: readonly string[], align: string, rows: readonly (readonly unknown[])[]): string[] {
  if (align.length !== header.length || /[^lr]/.test(align)) throw new Error(`mdTable: align "${align}" for ${header.length} columns`)
  const line = (cells: readonly unknown[]): string => `| ${cells.map(String).join(' | ')} |`
  return [line(header), `|${[...align].map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`, ...rows.map(line)]
}

/** Write a results file, making its folder if need be. */
export function writeResults(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}
