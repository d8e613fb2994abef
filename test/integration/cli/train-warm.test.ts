// `ner-studio train --from-run N`: a run that starts from an earlier run's model (a warm start),
// and the runs it refuses (another model, other model settings, a type the model cannot tag).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importInto } from '../../../src-main/services/io/import'
import { Project } from '../../../src-main/services/project/project'
import { getRun } from '../../../src-main/services/runs/evaluation'
import { runCli } from '../../helpers/cli'
import { makeProject, writeJsonl } from '../../helpers/project'
import { tinyTitles } from '../../helpers/tiny'
import { tmpDir } from '../../helpers/tmp'

const small = { charEmbedding: 16, hidden: 16 }

describe('train --from-run', () => {
  it('starts from the run’s weights (at a learning rate of ~0 it scores what that run scored; from scratch it does not), recorded and listed; other models, settings or types are refused with the reason and no run', async () => {
    const dir = tmpDir()
    const project = await makeProject(dir, tinyTitles(24), { split: 'train' })
    await importInto(project, { path: writeJsonl(join(dir, 'dev.jsonl'), tinyTitles(8, 3)), format: 'jsonl', origin: 'gold', split: 'dev' })
    const cfg = (name: string, c: object): string => {
      const f = join(dir, name)
      writeFileSync(f, JSON.stringify(c))
      return f
    }
    const learn = cfg('learn.json', { learningRate: 0.05, model: small })
    const still = cfg('still.json', { learningRate: 1e-9, model: small })
    const train = async (...args: string[]): Promise<{ code: number | null; stderr: string; f1: number | null }> => {
      const t = await runCli(['train', project, '--model', 'bilstm-crf', '--json', ...args], { timeoutMs: 300_000 })
      const out = t.code === 0 ? (JSON.parse(t.stdout) as { dev: { f1: number } | null }) : null
      return { code: t.code, stderr: t.stderr, f1: out?.dev?.f1 ?? null }
    }

    const first = await train('--epochs', '6', '--config', learn)
    expect(first.code, first.stderr).toBe(0)
    expect(first.f1!).toBeGreaterThan(0.3) // the model learnt something a warm start can keep

    const warm = await train('--epochs', '1', '--config', still, '--from-run', '1')
    expect(warm.code, warm.stderr).toBe(0)
    expect(warm.f1!).toBeCloseTo(first.f1!, 6)
    const cold = await train('--epochs', '1', '--config', still)
    expect(cold.code, cold.stderr).toBe(0)
    expect(cold.f1!).toBeLessThan(first.f1! - 0.2)

    const p = Project.open(project)
    expect(getRun(p, 2).parts).toContain('continued from run 1')
    expect(getRun(p, 3).parts).not.toContain('continued from run 1')
    expect((p.listRuns().find((r) => r.id === 2)!.config as { from?: number }).from).toBe(1)
    p.close()

    const other = await runCli(['train', project, '--model', 'bilstm', '--epochs', '1', '--config', still, '--from-run', '1'], { timeoutMs: 300_000 })
    expect(other.code).not.toBe(0)
    expect(other.stderr).toMatch(/cannot continue from run 1: it trained bilstm-crf, not bilstm/)
    const wider = await train('--epochs', '1', '--config', cfg('wide.json', { model: { ...small, hidden: 32 } }), '--from-run', '1')
    expect(wider.code).not.toBe(0)
    expect(wider.stderr).toMatch(/cannot continue from run 1: its model settings differ \(hidden\)/)
    // a setting that only changes how the output is read may differ (runs from before it continue)
    const argmax = await train('--epochs', '1', '--config', cfg('argmax.json', { learningRate: 1e-9, model: { ...small, constrainedDecoding: false, spanTyping: false, decodeBias: 0.5 } }), '--from-run', '1')
    expect(argmax.code, argmax.stderr).toBe(0)
    const missing = await train('--epochs', '1', '--config', still, '--from-run', '9')
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/cannot continue from run 9: run 9 has no checkpoint/)
    await importInto(project, { path: writeJsonl(join(dir, 'new-type.jsonl'), [{ text: '苹果手机壳A12型', label: [[0, 2, '品牌'], [5, 8, '型号']] }]), format: 'jsonl', origin: 'gold', split: 'train' })
    const newType = await train('--epochs', '1', '--config', still, '--from-run', '1')
    expect(newType.code).not.toBe(0)
    expect(newType.stderr).toMatch(/its model cannot tag 型号, which the training titles hold; train from scratch/)

    const q = Project.open(project)
    expect(q.listRuns().map((r) => r.id)).toEqual(expect.arrayContaining([1, 2, 3, 4]))
    expect(q.listRuns()).toHaveLength(4) // the refused starts recorded nothing
    q.close()
  }, 600_000)

  it('a model with title embeddings continues from its checkpoint, learning no embeddings again: same score at lr ~0, the run records no embeddings part files', async () => {
    const dir = tmpDir()
    const project = await makeProject(dir, tinyTitles(24), { split: 'train' })
    await importInto(project, { path: writeJsonl(join(dir, 'dev.jsonl'), tinyTitles(8, 3)), format: 'jsonl', origin: 'gold', split: 'dev' })
    const model = { ...small, pretrainedEmbeddings: true }
    const learn = join(dir, 'learn.json')
    writeFileSync(learn, JSON.stringify({ learningRate: 0.05, model }))
    const still = join(dir, 'still.json')
    writeFileSync(still, JSON.stringify({ learningRate: 1e-9, model }))
    const f1 = async (...args: string[]): Promise<number> => {
      const t = await runCli(['train', project, '--model', 'bilstm-crf', '--json', ...args], { timeoutMs: 300_000 })
      expect(t.code, t.stderr).toBe(0)
      return (JSON.parse(t.stdout) as { dev: { f1: number } }).dev.f1
    }
    const first = await f1('--epochs', '6', '--config', learn)
    expect(await f1('--epochs', '1', '--config', still, '--from-run', '1')).toBeCloseTo(first, 6)
    const p = Project.open(project)
    const cfg = (id: number) => p.listRuns().find((r) => r.id === id)!.config as { parts?: { names: string[]; embeddings?: unknown } }
    expect(cfg(1).parts?.embeddings).toBeDefined()
    expect(cfg(2).parts?.names).toEqual(cfg(1).parts?.names)
    expect(cfg(2).parts?.embeddings).toBeUndefined()
    p.close()
  }, 600_000)
})
