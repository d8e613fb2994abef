// Run the built CLI (`node out/main/cli.js …`, cwd = repository root), what `npx ner-studio` runs after
// setup. vitest's global setup (build.ts) builds it first when it is missing or older than src-main.
import { spawn, type ChildProcess } from 'node:child_process'
import { BUILT_CLI, REPO_ROOT } from './paths'

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Start the CLI without waiting (for the kill tests and the server). `detached` puts it in a process
 * group of its own (pgid = its pid), so it and the processes it forks can be found and killed.
 */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, opts: { detached?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, [BUILT_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NER_STUDIO_DEBUG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached,
  })
}

/** Run the CLI to the end and collect its exit code and output. */
export function runCli(
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, opts.env)
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(`ner-studio ${args.join(' ')} took longer than ${opts.timeoutMs ?? 60_000} ms\n${stderr}`),
      )
    }, opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}
