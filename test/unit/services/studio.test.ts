// The contract: every request name has a handler and dispatches; errors carry codes clients act on.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  EVENT_NAMES,
  NO_ARG_REQUESTS,
  REQUEST_NAMES,
  slices,
  isRequestName,
  needsArgument,
  type Events,
  type EventName,
  type RequestName,
} from '../../../src-main/shared/api'
import { StudioError } from '../../../src-main/shared/errors'
import { Studio } from '../../../src-main/services/studio'
import { makeProject, writeJsonl } from '../../helpers/project'
import { tmpDir } from '../../helpers/tmp'

type Seen = { name: EventName; payload: Events[EventName] }

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (e instanceof StudioError) return e.code
    throw e
  }
  throw new Error('expected a StudioError, the call succeeded')
}

// `handle` is typed; these tests also send what an untyped client could.
const call = (s: Studio, name: string, args?: unknown): Promise<unknown> =>
  s.handle(name as RequestName, args as never)

describe('the request and event name lists', () => {
  it('REQUEST_NAMES are unique and NO_ARG_REQUESTS and isRequestName agree with them', () => {
    expect(new Set(REQUEST_NAMES).size).toBe(REQUEST_NAMES.length)
    for (const n of NO_ARG_REQUESTS) expect(REQUEST_NAMES).toContain(n)
    for (const n of REQUEST_NAMES) expect(isRequestName(n)).toBe(true)
    expect(isRequestName('nope')).toBe(false)
    expect(isRequestName('toString')).toBe(false)
    expect(isRequestName(42)).toBe(false)
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length)
    expect(EVENT_NAMES).toEqual(expect.arrayContaining(['import.progress', 'project.changed']))
  })

  it('no request name is in two domain slices (the composed contract would silently keep one)', () => {
    const all = slices.flatMap((s) => Object.keys(s))
    expect(all.length).toBe(REQUEST_NAMES.length)
    expect(new Set(all).size).toBe(all.length)
    // Only requests listed as taking no argument or an optional query may be called without one.
    expect(REQUEST_NAMES.filter((n) => !needsArgument(n)).sort()).toEqual(
      [...NO_ARG_REQUESTS, 'titles.list', 'titles.counts', 'dicts.list', 'preannotate.queue'].sort(),
    )
  })

  it('Studio has exactly one handler per request name', () => {
    const studio = new Studio({ shell: 'server', version: '0.0.0-test' })
    const handlers = (studio as unknown as { handlers: Record<string, unknown> }).handlers
    expect(Object.keys(handlers).sort()).toEqual([...REQUEST_NAMES].sort())
    for (const h of Object.values(handlers)) expect(typeof h).toBe('function')
  })
})

describe('Studio.handle', () => {
  let dir: string
  let studio: Studio
  let events: Seen[]
  beforeEach(() => {
    dir = tmpDir()
    studio = new Studio({ shell: 'server', version: '9.9.9', note: 'test' })
    events = []
    studio.on((name, payload) => events.push({ name, payload }))
  })
  afterEach(() => studio.close())

  it('change events name the client that caused them; undo and redo say which kinds of rows they touched', async () => {
    const path = await makeProject(dir, [{ text: '华为手机', label: [[0, 2, '品牌'], [2, 4, '品类']] }])
    await studio.handle('project.open', { path })
    await studio.handle('spans.delete', { id: (await studio.handle('titles.get', { id: 1 })).spans.find((x) => x.start === 2)!.id })
    const changes = (): Events['project.changed'][] => events.filter((e) => e.name === 'project.changed').map((e) => e.payload as Events['project.changed'])
    events.length = 0
    const s = await studio.handle('spans.create', { titleId: 1, start: 2, end: 4, type: '品类' }, { client: 'w1-editor' })
    expect(changes()).toEqual([{ what: 'spans', titleIds: [1], client: 'w1-editor' }])
    // No client, or one that is not an id: the event names none.
    events.length = 0
    await studio.handle('titles.setStatus', { ids: [1], status: 'reviewed' })
    await studio.handle('spans.delete', { id: s.id }, { client: 'bad id!' })
    expect(changes()).toEqual([
      { what: 'titles', titleIds: [1] },
      { what: 'spans', titleIds: [1] },
    ])
    // Undo a type creation: it touched types only (not spans, as every undo used to say).
    await studio.handle('types.create', { name: '颜色' })
    events.length = 0
    const u = await studio.handle('history.undo', undefined, { client: 'w2' })
    expect(u).toMatchObject({ label: expect.stringContaining('颜色'), kinds: ['types'] })
    expect(changes()).toEqual([{ what: 'types', client: 'w2' }])
    // Undo a status change: titles; the span deletion before it: spans.
    events.length = 0
    expect(await studio.handle('history.undo', undefined)).toMatchObject({ kinds: ['spans'], titleIds: [1] })
    expect(await studio.handle('history.undo', undefined)).toMatchObject({ kinds: ['titles'], titleIds: [1] })
    expect(changes()).toEqual([
      { what: 'spans', titleIds: [1] },
      { what: 'titles', titleIds: [1] },
    ])
    expect(await studio.handle('history.redo', undefined)).toMatchObject({ kinds: ['titles'] })
    // Nothing left to redo past the end… and nothing to undo says no kinds.
    await studio.handle('history.redo', undefined)
    await studio.handle('history.redo', undefined)
    await studio.handle('history.redo', undefined)
    expect(await studio.handle('history.redo', undefined)).toMatchObject({ label: null, kinds: [] })
  })

  it('unknown names are bad_request, whatever the client sends', async () => {
    for (const name of ['nope', '', 'constructor', '__proto__', 'spans.create ']) {
      expect(await codeOf(call(studio, name, {}))).toBe('bad_request')
    }
  })

  it('answers without a project only app.info, project.current, open and create; the rest are no_project', async () => {
    expect(await call(studio, 'app.info')).toEqual({
      version: '9.9.9',
      shell: 'server',
      platform: process.platform,
      note: 'test',
    })
    expect(await call(studio, 'project.current')).toBeNull()
    const needsProject: [RequestName, unknown][] = [
      ['project.stats', undefined],
      ['types.list', undefined],
      ['types.create', { name: 'x' }],
      ['types.update', { id: 1 }],
      ['types.merge', { from: 1, into: 2 }],
      ['types.delete', { id: 1 }],
      ['titles.list', {}],
      ['titles.get', { id: 1 }],
      ['titles.setStatus', { ids: [1], status: 'reviewed' }],
      ['spans.create', { titleId: 1, start: 0, end: 1, type: 'x' }],
      ['spans.update', { id: 1 }],
      ['spans.delete', { id: 1 }],
      ['history.undo', undefined],
      ['history.redo', undefined],
      ['import.run', { path: join(dir, 'x.txt') }],
      ['export.run', { format: 'jsonl', out: join(dir, 'x.jsonl') }],
      ['runs.list', undefined],
      ['titles.counts', {}],
      ['titles.neighbor', { id: 1, direction: 'next' }],
      ['spans.acceptAll', { titleId: 1 }],
      ['spans.labelOccurrences', { spanId: 1 }],
      ['dicts.list', undefined],
      ['dicts.import', { path: join(dir, 'x.dic'), type: 'x' }],
      ['dicts.create', { name: 'd' }],
      ['dicts.delete', { id: 1 }],
      ['dicts.apply', { dictionaryIds: [1] }],
      ['dicts.promote', { dictionaryId: 1, type: 'x' }],
      ['export.preview', { format: 'jsonl' }],
      // ---- model in the loop ----
      ['train.start', { preset: 'bilstm' }],
      ['runs.get', { runId: 1 }],
      ['runs.compare', { a: 1, b: 2 }],
      ['eval.run', { runId: 1 }],
      ['eval.titles', { runId: 1, split: 'test', cell: {} }],
      ['preannotate.run', { runId: 1 }],
      ['preannotate.accept', { spanId: 1 }],
      ['preannotate.reject', { titleId: 1 }],
      ['preannotate.queue', {}],
      ['preannotate.count', { titleId: 1 }],
      // ---- data management ----
      ['titles.bulk', { target: { query: {} }, action: { mark: 'reviewed' } }],
      ['titles.resplit', { from: 'train', dev: 0.1, test: 0.1, seed: 1 }],
      ['imports.list', undefined],
      ['imports.undo', { id: 1 }],
      ['review.queue', { kind: 'filter', query: {} }],
      ['review.suggestions', { runId: 1, titleId: 1 }],
    ]
    const projectless = [
      'app.info', 'project.current', 'project.open', 'project.create', 'project.recent', 'project.forget',
      // the engine's presets and the studio's training jobs do not need a project
      'presets.list', 'train.jobs', 'train.cancel',
      // a preview reads a file, not the project
      'import.preview',
    ]
    // Every name except the projectless ones is in this list, so a new request must be added here.
    expect(needsProject.map(([n]) => n).sort()).toEqual(REQUEST_NAMES.filter((n) => !projectless.includes(n)).sort())
    for (const [name, args] of needsProject)
      expect(await codeOf(call(studio, name, args)), name).toBe('no_project')
  })

  it('dispatches every request name to its service, with the results the contract promises', async () => {
    const path = await makeProject(dir, [
      { text: '😀ＡＢＣ品牌手机', label: [[6, 8, '品类']] },
      { text: '华为手机', label: [[0, 2, '品牌']] },
    ])
    const seen = new Set<string>()
    const c = (name: RequestName, args?: unknown): Promise<unknown> => {
      seen.add(name)
      return call(studio, name, args)
    }
    expect(await c('project.open', { path })).toMatchObject({ path, name: 'p', titles: 2 })
    expect(await c('project.current')).toMatchObject({ path, titles: 2 })
    expect(await c('app.info')).toMatchObject({ shell: 'server' })
    expect(await c('project.stats')).toMatchObject({ titles: 2, spans: 2 })
    const types = (await c('types.list')) as { id: number; name: string }[]
    expect(types.map((t) => t.name).sort()).toEqual(['品牌', '品类'])
    const created = (await c('types.create', { name: '颜色' })) as { id: number }
    expect(await c('types.update', { id: created.id, color: '#010203' })).toMatchObject({ color: '#010203' })
    expect(await c('titles.list')).toMatchObject({ total: 2 })
    expect(await c('titles.list', { search: '华为' })).toMatchObject({ total: 1 })
    expect(await c('titles.get', { id: 1 })).toMatchObject({ id: 1, length: 8 })
    expect(await c('titles.setStatus', { ids: [1, 2], status: 'reviewed' })).toEqual({ changed: 2 })
    const span = (await c('spans.create', { titleId: 1, start: 1, end: 4, type: '颜色' })) as { id: number }
    expect(await c('spans.update', { id: span.id, end: 3 })).toMatchObject({ start: 1, end: 3 })
    expect(await c('spans.delete', { id: span.id })).toEqual({ deleted: 1 })
    expect(await c('history.undo')).toMatchObject({ label: 'delete span', titleIds: [1] })
    expect(await c('history.redo')).toMatchObject({ label: 'delete span' })
    const brand = types.find((t) => t.name === '品牌')!
    expect(await c('types.merge', { from: created.id, into: brand.id })).toEqual({ moved: 0 })
    const cat = types.find((t) => t.name === '品类')!
    expect(await c('types.delete', { id: cat.id })).toEqual({ deletedSpans: 1 })
    const src = writeJsonl(join(dir, 'more.jsonl'), [{ text: '新标题', label: [[0, 1, '品牌']] }])
    expect(await c('import.run', { path: src, split: 'dev' })).toMatchObject({
      titles: 1,
      spans: 1,
      format: 'jsonl',
    })
    const out = join(dir, 'out.jsonl')
    expect(await c('export.run', { format: 'jsonl', out })).toMatchObject({ titles: 3, spans: 2 })
    expect(await c('runs.list')).toEqual([])
    expect(await c('titles.counts')).toMatchObject({ total: 3 })
    expect(await c('titles.neighbor', { id: 1, direction: 'next' })).toMatchObject({ id: 2 })
    const weak = (await c('spans.create', { titleId: 2, start: 2, end: 4, type: '品牌' })) as { id: number }
    expect(await c('spans.acceptAll', { titleId: 2 })).toMatchObject({ accepted: expect.any(Number) })
    expect(await c('spans.labelOccurrences', { spanId: weak.id })).toMatchObject({ titleIds: expect.any(Array) })
    // ---- weak labelling and export
    const dic = join(dir, 'brands.dic')
    writeFileSync(dic, '华为\n苹果\n')
    const imported = (await c('dicts.import', { path: dic, type: '品牌' })) as { dictionary: { id: number }; terms: number }
    expect(imported.terms).toBe(2)
    expect(await c('dicts.list')).toMatchObject([{ name: 'brands', terms: 2 }])
    expect(await c('dicts.apply', { dictionaryIds: [imported.dictionary.id], scope: 'all' })).toMatchObject({ titlesScanned: 3 })
    const made = (await c('dicts.create', { name: 'more', type: '品牌' })) as { id: number }
    expect(await c('dicts.promote', { dictionaryId: made.id, type: '品牌' })).toMatchObject({ added: expect.any(Number) })
    expect(await c('dicts.delete', { id: made.id })).toEqual({ removedSpans: 0 })
    expect(await c('export.preview', { format: 'attributes-csv', limit: 1 })).toMatchObject({ titles: 3, rows: expect.any(Array) })
    // ---- model in the loop: the cheap answers; training itself is in test/integration/services/runs
    expect(await c('presets.list')).toHaveLength(12) // auto + the study's ten + bilstm-globalpointer
    expect(await c('train.jobs')).toEqual([])
    expect(await codeOf(c('train.start', { preset: 'bert' }))).toBe('bad_request')
    expect(await codeOf(c('train.cancel', { runId: 99 }))).toBe('not_found')
    expect(await codeOf(c('runs.get', { runId: 99 }))).toBe('not_found')
    expect(await codeOf(c('runs.compare', { a: 98, b: 99 }))).toBe('not_found')
    expect(await codeOf(c('eval.run', { runId: 99 }))).toBe('not_found')
    expect(await codeOf(c('eval.titles', { runId: 99, split: 'test', cell: {} }))).toBe('not_found')
    expect(await codeOf(c('preannotate.run', { runId: 99 }))).toBe('not_found')
    expect(await codeOf(c('preannotate.accept', { spanId: weak.id }))).toBe('bad_request')
    expect(await c('preannotate.reject', { titleId: 1 })).toEqual({ changed: 0, titleIds: [] })
    expect(await c('preannotate.queue')).toEqual({ total: 0, items: [], waiting: [] })
    expect(await c('preannotate.count', { type: '品牌', minConfidence: 0.5 })).toEqual({ spans: 0, titles: 0 })
    expect(await c('titles.bulk', { target: { ids: [2] }, action: { mark: 'reviewed' }, dryRun: true })).toMatchObject({ titles: 1 })
    expect(await c('titles.resplit', { from: 'dev', dev: 0, test: 0.5, seed: 1, dryRun: true })).toMatchObject({ applied: false })
    expect(await c('imports.list')).toEqual(expect.arrayContaining([expect.objectContaining({ format: 'jsonl' })]))
    expect(await codeOf(c('imports.undo', { id: 99 }))).toBe('not_found')
    expect(await c('import.preview', { path: join(dir, 'more.jsonl') })).toMatchObject({ format: 'jsonl', detected: true })
    expect(await c('review.queue', { kind: 'filter', query: { search: '华为' } })).toMatchObject({ ids: [2], total: 1, runId: null })
    expect(await codeOf(c('review.suggestions', { runId: 99, titleId: 1 }))).toBe('not_found')
    expect(await c('project.recent')).toEqual(expect.any(Array))
    expect(await c('project.forget', { path })).toEqual(expect.any(Array))
    const other = join(dir, 'other.sqlite')
    expect(await c('project.create', { path: other })).toMatchObject({ path: other, titles: 0 })
    expect([...seen].sort()).toEqual([...REQUEST_NAMES].sort())

    // Events: only names from EVENT_NAMES, and an edit says which titles changed.
    for (const e of events) expect(EVENT_NAMES).toContain(e.name)
    expect(events).toContainEqual({ name: 'project.changed', payload: { what: 'spans', titleIds: [1] } })
    expect(events).toContainEqual({ name: 'project.changed', payload: { what: 'titles', titleIds: [1, 2] } })
    expect(events).toContainEqual({ name: 'project.changed', payload: { what: 'types' } })
    expect(events.filter((e) => e.name === 'import.progress').at(-1)!.payload).toMatchObject({
      file: 'more.jsonl',
      titles: 1,
      spans: 1,
    })
  })

  it('no-argument requests take no argument; the others refuse a missing or non-object argument', async () => {
    await call(studio, 'project.create', { path: join(dir, 'p.sqlite') })
    for (const name of NO_ARG_REQUESTS) await expect(call(studio, name)).resolves.not.toThrow()
    for (const name of REQUEST_NAMES) {
      if (!needsArgument(name)) continue
      expect(await codeOf(call(studio, name)), name).toBe('bad_request')
      expect(await codeOf(call(studio, name, 'x')), name).toBe('bad_request')
      expect(await codeOf(call(studio, name, null)), name).toBe('bad_request')
    }
  })

  it('errors carry codes: not_found, conflict, bad_request, invalid_input', async () => {
    expect(await codeOf(call(studio, 'project.open', { path: join(dir, 'missing.sqlite') }))).toBe(
      'not_found',
    )
    const path = await makeProject(dir, [{ text: 'abcdef', label: [[0, 2, 'x']] }])
    expect(await codeOf(call(studio, 'project.create', { path }))).toBe('conflict')
    await call(studio, 'project.open', { path })
    expect(await codeOf(call(studio, 'titles.get', { id: 99 }))).toBe('not_found')
    expect(await codeOf(call(studio, 'spans.delete', { id: 99 }))).toBe('not_found')
    expect(await codeOf(call(studio, 'types.delete', { id: 99 }))).toBe('not_found')
    expect(await codeOf(call(studio, 'spans.create', { titleId: 1, start: 1, end: 3, type: 'x' }))).toBe(
      'conflict',
    )
    expect(await codeOf(call(studio, 'types.create', { name: 'x' }))).toBe('conflict')
    expect(await codeOf(call(studio, 'spans.create', { titleId: 1, start: 4, end: 9, type: 'x' }))).toBe(
      'bad_request',
    )
    expect(await codeOf(call(studio, 'titles.list', { split: 'nope' }))).toBe('bad_request')
    // Arguments only an untyped client could send are bad requests, not internal errors.
    const ok = writeJsonl(join(dir, 'ok.jsonl'), [{ text: 'abc' }])
    expect(await codeOf(call(studio, 'import.run', { path: ok, format: 'xml' }))).toBe('bad_request')
    expect(await codeOf(call(studio, 'import.run', { path: ok, split: 'holdout' }))).toBe('bad_request')
    expect(await codeOf(call(studio, 'import.run', { path: ok, origin: 'model' }))).toBe('bad_request')
    expect(await codeOf(call(studio, 'export.run', { format: 'xml', out: join(dir, 'x') }))).toBe(
      'bad_request',
    )
    expect(await call(studio, 'project.stats')).toMatchObject({ titles: 1 })
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(bad, '{"text": "ok"}\n{oops\n')
    const err = await call(studio, 'import.run', { path: bad }).catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'invalid_input',
      message: `${bad}:2: not valid JSON (${(err as Error).message.split('(')[1]}`,
    })
    // A failed import is over: edits work again.
    expect(await call(studio, 'spans.create', { titleId: 1, start: 3, end: 4, type: 'x' })).toMatchObject({
      start: 3,
    })
  })

  it('is busy during an import: edits and opening another project are refused, reads still work', async () => {
    const path = await makeProject(dir, [{ text: 'abcdef', label: [[0, 2, 'x']] }])
    await call(studio, 'project.open', { path })
    const big = join(dir, 'big.jsonl')
    writeFileSync(
      big,
      Array.from({ length: 30_000 }, (_, i) =>
        JSON.stringify({ text: `标题${i}abc`, label: [[0, 2, 'x']] }),
      ).join('\n'),
    )
    const running = call(studio, 'import.run', { path: big })
    expect(await codeOf(call(studio, 'spans.create', { titleId: 1, start: 3, end: 4, type: 'x' }))).toBe(
      'busy',
    )
    expect(await codeOf(call(studio, 'types.create', { name: 'y' }))).toBe('busy')
    expect(await codeOf(call(studio, 'history.undo'))).toBe('busy')
    expect(await codeOf(call(studio, 'import.run', { path: big }))).toBe('busy')
    expect(await codeOf(call(studio, 'project.open', { path }))).toBe('busy')
    expect(await codeOf(call(studio, 'project.create', { path: join(dir, 'n.sqlite') }))).toBe('busy')
    expect(await call(studio, 'titles.get', { id: 1 })).toMatchObject({ text: 'abcdef' })
    expect(await running).toMatchObject({ titles: 30_000, spans: 30_000 })
    expect(await call(studio, 'project.stats')).toMatchObject({ titles: 30_001 })
    expect(await call(studio, 'spans.create', { titleId: 1, start: 3, end: 4, type: 'x' })).toMatchObject({
      start: 3,
    })
    expect(events.some((e) => e.name === 'import.progress')).toBe(true)
    expect(events.at(-2)).toEqual({ name: 'project.changed', payload: { what: 'project' } })
  })
})
