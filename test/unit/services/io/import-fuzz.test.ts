// Fuzz of the importers: every importer × the malformed inputs a careless user or an
// attacker gives (a FIFO, a directory, a lone surrogate, NUL, a CoNLL line with an extra column,
// BOM-less UTF-16, deeply nested JSON) answers at once with an InputError naming the file and the
// line, and leaves the project exactly as it was (every row of every table compared).
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ImportFormat } from '../../../../src-main/shared/api'
import { InputError, StudioError } from '../../../../src-main/shared/errors'
import { importInto } from '../../../../src-main/services/io/import'
import { importGazetteer } from '../../../../src-main/services/dicts/dicts'
import { Project } from '../../../../src-main/services/project/project'
import { dumpProject, makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'

let dir: string
let projectPath: string
beforeAll(async () => {
  dir = tmpDir()
  projectPath = await makeProject(dir, [{ text: '已有标题😀', label: [[0, 2, '品牌']] }, { text: '第二个标题' }])
})

const put = (name: string, content: string | Buffer): string => {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}
const fifo = (name: string): string => {
  const p = join(dir, name)
  execFileSync('mkfifo', [p])
  return p
}

/** The import fails with an InputError for `file` (and `line` when given) matching `problem`; nothing changed. */
async function rejected(run: () => Promise<unknown>, file: string, line: number | null, problem: RegExp): Promise<void> {
  const before = dumpProject(projectPath)
  const err = await run().then(
    () => null,
    (e: unknown) => e,
  )
  expect(err, 'should have been refused').toBeInstanceOf(InputError)
  const ie = err as InputError
  expect(basename(ie.file)).toBe(basename(file))
  if (line !== null) expect(ie.line).toBe(line)
  expect(ie.problem).toMatch(problem)
  expect(ie.message).toMatch(new RegExp(`^.*${basename(file).replace(/[.]/g, '\\.')}:\\d+: `))
  expect(ie.message).not.toMatch(/EISDIR|ENOENT|stack/)
  expect(dumpProject(projectPath)).toEqual(before)
}

const FORMATS: ImportFormat[] = ['conll', 'jsonl', 'text', 'csv']
const imp = (path: string, format: ImportFormat) => () => importInto(projectPath, { path, format })
const gaz = (path: string) => () => importGazetteer(Project.open(projectPath), { path, type: '品牌', name: basename(path) })

describe('non-regular files are refused at once (never block, never hold the write lock)', () => {
  it.each(FORMATS)('%s: a FIFO and a directory', async (format) => {
    const f = fifo(`pipe-${format}`)
    await rejected(imp(f, format), f, 0, /named pipe \(FIFO\), not a regular file/)
    const d = join(dir, `folder-${format}`)
    mkdirSync(d)
    await rejected(imp(d, format), d, 0, /is a directory/)
  })

  it('a gazetteer: a FIFO and a directory', async () => {
    const f = fifo('pipe.dic')
    await rejected(gaz(f), f, 0, /named pipe/)
    await rejected(gaz(dir), dir, 0, /is a directory/)
  })

  it('the study folder with a FIFO for input.seq.char', async () => {
    const d = join(dir, 'seed-fifo')
    mkdirSync(d)
    execFileSync('mkfifo', [join(d, 'input.seq.char')])
    await rejected(() => importInto(projectPath, { path: d, format: 'seed' }), 'input.seq.char', 0, /named pipe/)
  })

  it('a FIFO or a directory as the project', () => {
    const f = fifo('project-pipe.sqlite')
    expect(() => Project.open(f)).toThrow(StudioError)
    expect(() => Project.open(f)).toThrow(/not a regular file/)
    expect(() => Project.open(dir)).toThrow(/is a directory/)
  })
})

describe('text that cannot be stored is refused with its line', () => {
  it('JSONL: a lone surrogate in the text, and in a type', async () => {
    const p = put('lone.jsonl', '{"text":"好的"}\n{"text":"a\\ud800b","label":[]}\n')
    await rejected(imp(p, 'jsonl'), p, 2, /lone surrogate \\uD800/)
    const t = put('lone-type.jsonl', '{"text":"abc","label":[[0,1,"x\\udc00"]]}\n')
    await rejected(imp(t, 'jsonl'), t, 1, /lone surrogate/)
  })

  it.each(FORMATS)('%s: a NUL character', async (format) => {
    const body: Record<string, string> = {
      conll: '好 O\n的 O\n\na\0 O\n',
      jsonl: '{"text":"好的"}\n{"text":"a\\u0000b"}\n',
      text: '好的\na\0b\n',
      csv: 'title\n好的\na\0b\n',
    }
    const line: Record<string, number> = { conll: 4, jsonl: 2, text: 2, csv: 3 }
    const p = put(`nul.${format}`, body[format]!)
    await rejected(imp(p, format), p, line[format]!, /NUL/)
  })

  it('a gazetteer with a NUL', async () => {
    const p = put('nul.dic', '华为\n苹\0果\n')
    await rejected(gaz(p), p, 2, /NUL/)
  })

  it.each([...FORMATS, 'gazetteer'])('%s: UTF-16 without a byte-order mark, and with one', async (format) => {
    const text = format === 'csv' ? 'title\nabc\n' : format === 'jsonl' ? '{"text":"abc"}\n' : format === 'conll' ? 'a O\n' : 'abc\n'
    const p = put(`u16-${format}.txt`, Buffer.from(text, 'utf16le'))
    const run = format === 'gazetteer' ? gaz(p) : imp(p, format as ImportFormat)
    await rejected(run, p, 1, /UTF-16 without a byte-order mark/)
    const b = put(`u16bom-${format}.txt`, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))
    await rejected(format === 'gazetteer' ? gaz(b) : imp(b, format as ImportFormat), b, 1, /UTF-16/)
  })

  it('CoNLL: a line with an extra column is refused, not merged into the title', async () => {
    const p = put('extra.conll', '品 B-HP\n牌 I-HP\n\n品 NN B-HP\n')
    await rejected(imp(p, 'conll'), p, 4, /3 columns/)
  })

  it('JSONL: deeply nested JSON names file and line (no stack overflow)', async () => {
    const deep = '{"text":"abc","label":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'
    const p = put('deep.jsonl', `{"text":"ok"}\n${deep}\n`)
    await rejected(imp(p, 'jsonl'), p, 2, /nested deeper than 64 levels/)
  })
})

describe('line breaks', () => {
  it('CR-only line endings separate titles (text, JSONL, CoNLL, gazetteer), CRLF is one break', async () => {
    const dir2 = tmpDir()
    const pp = await makeProject(dir2, [])
    const text = put('cr.txt', '一号\r二号\r\n三号\r')
    expect((await importInto(pp, { path: text, format: 'text' })).titles).toBe(3)
    const jsonl = put('cr.jsonl', '{"text":"甲"}\r{"text":"乙"}')
    expect((await importInto(pp, { path: jsonl, format: 'jsonl' })).titles).toBe(2)
    const conll = put('cr.conll', '华 B-HP\r为 I-HP\r\r手 O\r')
    const r = await importInto(pp, { path: conll, format: 'conll' })
    expect(r).toMatchObject({ titles: 2, spans: 1 })
    const p = Project.open(pp)
    try {
      expect(p.listTitles({}).items.map((t) => t.text)).toEqual(['一号', '二号', '三号', '甲', '乙', '华为', '手'])
      const d = await importGazetteer(p, { path: put('cr.dic', '华为\r苹果\r\n小米'), type: '品牌' })
      expect(d.terms).toBe(3)
    } finally {
      p.close()
    }
  })
})
