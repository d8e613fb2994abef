// The editor store (Pinia) against a real Studio over a real project file: its edits go out one at
// a time in the order they were made, a reply that comes back late never overwrites a newer title,
// and the echo of its own edits is not re-read. The only thing replaced is the Electron IPC hop:
// `window.studio` hands requests to Studio.handle in this process, each reply held back as long as
// the test says (that is how replies are put out of order).
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Events, EventName, RequestName, WireResult } from '../../../../src-main/shared/api'
import type { Span, TitleWithSpans } from '../../../../src-main/shared/types'
import { toWire } from '../../../../src-main/shared/errors'
import { Studio } from '../../../../src-main/services/studio'
import { makeProject } from '../../../helpers/project'
import { tmpDir } from '../../../helpers/tmp'

interface Sent {
  name: string
  args: unknown
  client: string
}

const studio = new Studio({ shell: 'electron', version: '0.0.0-test', watchMs: 0 })
const sent: Sent[] = []
/** Milliseconds to hold back the reply to the next request of each name (consumed in order). */
const delays = new Map<string, number[]>()
const listeners = new Map<string, Set<(p: unknown) => void>>()
studio.on((name, payload) => {
  for (const l of listeners.get(name) ?? []) l(payload)
})

const preload = {
  shell: 'electron' as const,
  async call(name: string, args: unknown, shown: string | undefined, client: string): Promise<WireResult<unknown>> {
    sent.push({ name, args, client })
    const wait = delays.get(name)?.shift() ?? 0
    try {
      const result = await studio.handle(name as RequestName, args as never, { ...(shown === undefined ? {} : { shown }), client })
      if (wait) await new Promise((r) => setTimeout(r, wait))
      return { ok: true, result }
    } catch (e) {
      return { ok: false, error: toWire(e) }
    }
  },
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void {
    let set = listeners.get(name)
    if (!set) listeners.set(name, (set = new Set()))
    set.add(listener as (p: unknown) => void)
    return () => set.delete(listener as (p: unknown) => void)
  },
  openFileDialog: async () => null,
}
;(globalThis as unknown as { window: unknown }).window = { studio: preload }

// What the test uses of the stores (the renderer's own types need the DOM library, which the
// node-side type check does not load; the renderer's type check covers the stores themselves).
interface EditorStore {
  title: TitleWithSpans | null
  message: { text: string; error: boolean } | null
  selectedSpan: Span | null
  load(id: number): Promise<boolean>
  refresh(): Promise<void>
  createSpan(start: number, end: number, type: string): Promise<unknown>
}

// Imported after window.studio exists: the client picks its transport when it loads.
const { createPinia, setActivePinia } = await import('pinia')
const RENDERER = '../../../../src-renderer/src/'
const { useEditorStore } = (await import(`${RENDERER}stores/editor`)) as { useEditorStore: () => EditorStore }
const { useProjectStore } = (await import(`${RENDERER}stores/project`)) as { useProjectStore: () => { init(): Promise<void> } }
const { EDITOR_CLIENT } = (await import(`${RENDERER}api/client`)) as { EDITOR_CLIENT: string }

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('the editor store', () => {
  beforeAll(async () => {
    const dir = tmpDir()
    const path = await makeProject(dir, [
      { text: '华为手机壳黑色', label: [] },
      { text: '小米充电器', label: [] },
      { text: '苹果数据线', label: [] },
      { text: '华为黑色手机', label: [[0, 2, '品牌'], [2, 4, '颜色'], [4, 6, '品类']] },
    ])
    studio.open(path, false)
  })
  beforeEach(() => {
    setActivePinia(createPinia())
    sent.length = 0
    delays.clear()
  })
  afterEach(() => {
    // Leave no store listening into the next test.
    listeners.clear()
  })

  it('sends its edits one at a time, in the order they were made, even when a reply is slow', async () => {
    const editor = useEditorStore()
    await editor.load(1)
    sent.length = 0
    delays.set('spans.create', [150, 0])
    // Two edits at once: the first reply is slow. The second must not go out before it is back.
    const first = editor.createSpan(0, 2, '品牌')
    const second = editor.createSpan(4, 5, '颜色')
    await settle(50)
    expect(sent.map((s) => s.name)).toEqual(['spans.create'])
    await Promise.all([first, second])
    expect(editor.message?.error).toBe(false)
    expect(sent.filter((s) => s.name === 'spans.create').map((s) => (s.args as { start: number }).start)).toEqual([0, 4])
    // Both show, in text order, and the second is selected (the last edit made).
    expect(editor.title!.spans.map((s) => [s.start, s.end, s.type])).toEqual([
      [0, 2, '品牌'],
      [4, 5, '颜色'],
    ])
    expect(editor.selectedSpan?.start).toBe(4)
    // The edits are the editor's own: sent as the editor, so their change events name it.
    for (const s of sent.filter((x) => x.name === 'spans.create')) expect(s.client).toBe(EDITOR_CLIENT)
  })

  it('a late reply to an earlier load never replaces the title opened after it', async () => {
    const editor = useEditorStore()
    delays.set('titles.get', [200, 0])
    const slow = editor.load(2)
    const fast = editor.load(3)
    expect(await fast).toBe(true)
    expect(await slow).toBe(false)
    expect(editor.title!.id).toBe(3)
    expect(editor.title!.text).toBe('苹果数据线')
  })

  it('a refresh that was on its way when an edit came back does not undo the edit on screen', async () => {
    const editor = useEditorStore()
    await editor.load(3)
    delays.set('titles.get', [200])
    const refresh = editor.refresh() // its reply predates the edit below
    await settle(20)
    await editor.createSpan(0, 2, '品牌')
    await refresh
    expect(editor.title!.spans.map((s) => s.type)).toEqual(['品牌'])
  })

  it('skips the echo of its own edits but re-reads the open title when someone else changes it', async () => {
    const project = useProjectStore()
    await project.init()
    const editor = useEditorStore()
    await editor.load(2)
    sent.length = 0
    await editor.createSpan(0, 2, '品牌')
    await settle(450) // past the 300 ms the store waits before re-reading
    expect(sent.filter((s) => s.name === 'titles.get')).toEqual([])
    // The same kind of edit from elsewhere (another window, the CLI through the server): re-read once.
    await studio.handle('spans.create', { titleId: 2, start: 2, end: 5, type: '品类' }, { client: 'elsewhere' })
    await settle(450)
    expect(sent.filter((s) => s.name === 'titles.get')).toHaveLength(1)
    expect(editor.title!.spans.map((s) => s.type)).toEqual(['品牌', '品类'])
  })
})
