// The export preview (the first titles exactly as the export writes them, nothing written) and the
// server's /download route (token required; only the files the latest export wrote).
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startServer } from '../../../../src-main/server/http'
import { exportFrom, previewExport } from '../../../../src-main/services/io/export'
import { Project } from '../../../../src-main/services/project/project'
import { createRun, savePredictions, updateRun } from '../../../../src-main/services/runs/records'
import { makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'

const TITLES = [
  { text: '华为, "Mate" 手机', label: [[0, 2, '品牌'], [11, 13, '品类']] as [number, number, string][] },
  { text: '😀苹果手机', label: [[1, 3, '品牌']] as [number, number, string][] },
  { text: '小米', label: [] },
]

const previews = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('ner-studio-preview-'))

describe('export.preview', () => {
  it('shows the first rows exactly as the export writes them, and writes nothing', async () => {
    const dir = tmpDir()
    const path = await makeProject(dir, TITLES)
    const before = previews().length
    const p = await previewExport(path, { format: 'attributes-csv', limit: 2, bom: true })
    expect(p.titles).toBe(3)
    expect(p.rows).toEqual([
      ['id', 'title', '品牌', '品类'],
      ['1', '华为, "Mate" 手机', '华为', '手机'],
      ['2', '😀苹果手机', '苹果', ''],
    ])
    const out = join(dir, 'all.csv')
    await exportFrom(path, { format: 'attributes-csv', out, bom: true })
    const written = readFileSync(out, 'utf8').slice(1).split('\r\n')
    expect(p.files[0]!.lines).toEqual(written.slice(0, 3))
    expect(previews().length).toBe(before)
    expect(readdirSync(dir).filter((f) => f.includes('preview'))).toEqual([])

    const conll = await previewExport(path, { format: 'conll', scheme: 'bioes', limit: 1 })
    expect(conll.rows).toBeNull()
    expect(conll.files[0]!.lines.slice(0, 3)).toEqual(['华\tB-品牌', '为\tE-品牌', ',\tO'])
    const seed = await previewExport(path, { format: 'seed', limit: 1, split: 'none' })
    expect(seed.files.map((f) => f.name)).toEqual(['input.seq.char', 'output.seq.attr', 'output.seq.bio', 'output.seq.bioattr'])
    const jsonl = await previewExport(path, { format: 'jsonl', limit: 500, origins: ['weak'] })
    expect(jsonl.files[0]!.lines).toHaveLength(3)
    expect(JSON.parse(jsonl.files[0]!.lines[0]!)).toMatchObject({ label: [] })
  })
})

describe('export.preview of a run', () => {
  it("previews a run's predictions instead of the stored spans, with the run's types as columns", async () => {
    const dir = tmpDir()
    const path = await makeProject(dir, TITLES)
    const p = Project.open(path)
    const run = createRun(p.db, 'bilstm-crf', {})
    updateRun(p.db, run, { status: 'done' })
    savePredictions(p.db, run, [
      { titleId: 1, spans: [{ start: 0, end: 4, type: '型号', confidence: 0.9 }] },
      { titleId: 2, spans: [{ start: 3, end: 5, type: '品类', confidence: 0.8 }] },
    ])
    p.close()
    const r = await previewExport(path, { format: 'attributes-csv', runId: run, limit: 3 })
    expect(r.rows).toEqual([
      ['id', 'title', '品牌', '品类', '型号'],
      ['1', '华为, "Mate" 手机', '', '', '华为, '],
      ['2', '😀苹果手机', '', '手机', ''],
      ['3', '小米', '', '', ''],
    ])
    await expect(previewExport(path, { format: 'jsonl', runId: 99 })).rejects.toMatchObject({ code: 'not_found' })
  })
})

describe('/download', () => {
  it('serves the files the latest export wrote, to the token holder only; nothing else', async () => {
    const dir = tmpDir()
    const path = await makeProject(dir, TITLES)
    const server = await startServer({ projectPath: path })
    try {
      const base = `http://127.0.0.1:${server.port}`
      const auth = { authorization: `Bearer ${server.token}` }
      const out = join(dir, '导出.csv')
      const get = (p: string, headers: Record<string, string> = auth): Promise<Response> =>
        fetch(`${base}/download?path=${encodeURIComponent(p)}`, { headers })
      expect((await get(out)).status).toBe(404) // not exported yet
      const res = await fetch(`${base}/api/export.run`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ format: 'attributes-csv', out }),
      })
      expect(((await res.json()) as { result: { files: string[] } }).result.files).toEqual([out])
      const ok = await get(out)
      expect(ok.status).toBe(200)
      expect(ok.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('导出.csv')}`)
      expect(await ok.text()).toBe(readFileSync(out, 'utf8'))
      expect((await get(out, {})).status).toBe(401)
      expect((await get(path)).status).toBe(404)
      expect((await get(`${dir}/../${dir.split('/').pop()}/${'x'}`)).status).toBe(404)
      expect((await get('/etc/passwd')).status).toBe(404)
      // A later export replaces the set: the earlier file is no longer offered.
      const other = join(dir, 'other.jsonl')
      await fetch(`${base}/api/export.run`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ format: 'jsonl', out: other }),
      })
      expect((await get(out)).status).toBe(404)
      expect((await get(other)).status).toBe(200)
      expect(existsSync(out)).toBe(true)
    } finally {
      await server.close()
    }
  })
})
