import { execFileSync } from 'node:child_process'
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../helpers/paths'

// Each case runs in a fresh process: a backend choice is per process.
function report(env: Record<string, string>): { ok: boolean; out: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ner-backend-'))
  const file = path.join(dir, 'probe.ts')
  writeFileSync(
    file,
    `import { initBackend } from ${JSON.stringify(path.join(REPO_ROOT, 'src-main/ml/backend.ts'))}\n` +
      `initBackend().then((r) => console.log(JSON.stringify(r)), (e) => { console.log('ERR ' + e.message); process.exit(3) })\n`,
  )
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8' })
    return { ok: true, out }
  } catch (e) {
    return { ok: false, out: String((e as { stdout?: string }).stdout ?? e) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('initBackend', () => {
  it('NER_STUDIO_BACKEND=cpu forces cpu and records why the others were skipped', () => {
    const r = report({ NER_STUDIO_BACKEND: 'cpu' })
    expect(r.ok, r.out).toBe(true)
    const j = JSON.parse(r.out.trim().split('\n').pop()!) as { name: string; reason: string; tried: { name: string; ok: boolean; error?: string }[] }
    expect(j.name).toBe('cpu')
    expect(j.reason).toMatch(/forced/)
    expect(j.tried.find((t) => t.name === '@tensorflow/tfjs-backend-wasm')?.error).toMatch(/skipped/)
  })
  it('without a preference it takes the first that starts (tfjs-node where installed, else wasm)', () => {
    const r = report({ NER_STUDIO_BACKEND: '' })
    expect(r.ok, r.out).toBe(true)
    const j = JSON.parse(r.out.trim().split('\n').pop()!) as { name: string; tried: { name: string; ok: boolean; error?: string }[] }
    expect(['tensorflow', 'wasm']).toContain(j.name)
    for (const t of j.tried.filter((x) => !x.ok)) expect(t.error).toBeTruthy()
  })
  it('NER_STUDIO_BACKEND=webgpu (opt-in) fails with the reason when Dawn or an adapter is missing, and is never tried unasked', () => {
    const r = report({ NER_STUDIO_BACKEND: 'webgpu' })
    // this machine has no GPU adapter (and CI does not install the 'webgpu' package)
    expect(r.ok).toBe(false)
    expect(r.out).toMatch(/tfjs-backend-webgpu: (the 'webgpu' package \(Dawn for Node\) is not installed|Dawn found no WebGPU adapter)/)
    const d = report({ NER_STUDIO_BACKEND: '' })
    const j = JSON.parse(d.out.trim().split('\n').pop()!) as { tried: { name: string; ok: boolean }[] }
    expect(j.tried.some((t) => t.name === '@tensorflow/tfjs-backend-webgpu' && t.ok)).toBe(false)
  })
  it('rejects an unknown NER_STUDIO_BACKEND', () => {
    const r = report({ NER_STUDIO_BACKEND: 'gpu' })
    expect(r.ok).toBe(false)
    expect(r.out).toMatch(/NER_STUDIO_BACKEND/)
  })
})
