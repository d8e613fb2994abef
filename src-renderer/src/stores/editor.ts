// The span editor for one title: the title and its spans, a character cursor and selection (code
// points), the selected span, the "armed" type (pick a type first, then drag), and every edit.
// Edits run one after another (a queue), each persisted by the services before it is drawn.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Span, TitleWithSpans } from '../../../src-main/shared/types'
import type { OccurrencesResult } from '../../../src-main/shared/api'
import { count, graphemes } from '../../../src-main/shared/text'
import { editorCall as call } from '../api/client'

export const useEditorStore = defineStore('editor', () => {
  const title = ref<TitleWithSpans | null>(null)
  const chars = computed(() => (title.value ? Array.from(title.value.text) : []))
  /** What is drawn as one cell: grapheme clusters (👍🏽, 🇨🇳, e + ◌́), each one or more code points. */
  const clusters = computed(() => (title.value ? graphemes(title.value.text) : []))
  /** For every code point, the [start, end) of its cluster: the caret and selections move by clusters. */
  const clusterOf = computed(() => {
    const out: [number, number][] = []
    for (const c of clusters.value) for (let i = c.start; i < c.end; i++) out.push([c.start, c.end])
    return out
  })
  /** The cluster boundary next to `pos` in direction `dir` (the caret's step). */
  function step(pos: number, dir: 1 | -1): number {
    if (dir === 1) return pos >= chars.value.length ? pos : clusterOf.value[pos]![1]
    return pos <= 0 ? 0 : clusterOf.value[pos - 1]![0]
  }
  /** `pos` moved back to the start of its cluster (a boundary stays). */
  const snap = (pos: number): number => (pos >= chars.value.length ? chars.value.length : clusterOf.value[pos]![0])
  /** Caret position: before character `cursor` (0 … length). */
  const cursor = ref(0)
  /** The other end of the selection, or null: the selection is [min(anchor, cursor), max(…)). */
  const anchor = ref<number | null>(null)
  const selectedSpanId = ref<number | null>(null)
  const armed = ref<string | null>(null)
  const paletteOpen = ref(false)
  const message = ref<{ text: string; error: boolean } | null>(null)
  const canUndo = ref(true)
  const canRedo = ref(true)

  const selection = computed<[number, number] | null>(() => {
    if (anchor.value === null || anchor.value === cursor.value) return null
    return [Math.min(anchor.value, cursor.value), Math.max(anchor.value, cursor.value)]
  })
  const selectedSpan = computed<Span | null>(() => title.value?.spans.find((s) => s.id === selectedSpanId.value) ?? null)
  /** For every character, the span covering it (or undefined). */
  const spanAt = computed(() => {
    const out: (Span | undefined)[] = new Array(chars.value.length)
    for (const s of title.value?.spans ?? []) for (let i = s.start; i < s.end; i++) out[i] = s
    return out
  })

  /** The title's characters [start, end) as text, for messages. */
  const textOf = (start: number, end: number): string => chars.value.slice(start, end).join('')

  function say(text: string, error = false): void {
    message.value = { text, error }
  }

  // ------------------------------------------------------------------ loading
  // A load (another title) wins over everything before it; a refresh (the same title, again) is
  // dropped when a load, a newer refresh or a local edit came after it started.
  let loadSeq = 0
  let refreshSeq = 0

  /** Alt+L's preview: what labelling every occurrence would do, shown for confirmation. */
  const occurrences = ref<(OccurrencesResult & { spanId: number; text: string }) | null>(null)

  /**
   * Open title `id` (its place in the list is the titles store's: `titles.open`; the review stream
   * follows the open title). Resolves to whether it is the open title once loaded (false when
   * another load overtook it).
   */
  async function load(id: number): Promise<boolean> {
    // Loading the title that is already open (the list re-selecting it after a filter or a count
    // came back) must not throw away what the analyst is doing: cursor, selection, open palette.
    if (title.value?.id === id) {
      await refresh()
      return true
    }
    occurrences.value = null
    const seq = ++loadSeq
    const t = await call('titles.get', { id })
    if (seq !== loadSeq) return false
    refreshSeq++
    title.value = t
    cursor.value = 0
    anchor.value = null
    selectedSpanId.value = null
    paletteOpen.value = false
    message.value = null
    return true
  }

  /** Reload the open title, keeping the cursor and the selected span where possible. */
  async function refresh(): Promise<void> {
    const cur = title.value
    if (!cur) return
    const l = loadSeq
    const r = ++refreshSeq
    const t = await call('titles.get', { id: cur.id }).catch(() => null)
    if (!t || l !== loadSeq || r !== refreshSeq || title.value?.id !== t.id) return
    title.value = t
    const n = Array.from(t.text).length
    cursor.value = Math.min(cursor.value, n)
    if (anchor.value !== null) anchor.value = Math.min(anchor.value, n)
    if (selectedSpanId.value !== null && !t.spans.some((s) => s.id === selectedSpanId.value)) selectedSpanId.value = null
  }

  /** Draw the service's answer at once (it is what was committed); events reconcile later. */
  function put(span: Span): void {
    const t = title.value
    if (!t || span.titleId !== t.id) return
    refreshSeq++ // a refresh already on its way predates this edit: drop it
    const spans = t.spans.filter((x) => x.id !== span.id)
    spans.push(span)
    spans.sort((a, b) => a.start - b.start)
    title.value = { ...t, spans }
  }

  /** Bumped by close(): edits queued for a title that was closed since are dropped, not sent. */
  let opened = 0

  function close(): void {
    opened++
    loadSeq++
    title.value = null
    selectedSpanId.value = null
    anchor.value = null
    occurrences.value = null
  }

  let changedTimer: ReturnType<typeof setTimeout> | undefined
  function changed(what: string, titleIds?: number[]): void {
    if (!title.value) return
    if (what === 'types' || !titleIds || titleIds.includes(title.value.id)) {
      // Debounced: a burst of edits is reconciled once, off the path of the next key press.
      clearTimeout(changedTimer)
      changedTimer = setTimeout(() => void refresh(), 300)
    }
  }

  // ------------------------------------------------------------------ edits (queued)
  let queue: Promise<unknown> = Promise.resolve()
  function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const at = opened
    const next = queue.then(() => (at === opened ? fn() : undefined)).catch((e: unknown) => {
      say((e as Error).message, true)
      return undefined
    })
    queue = next
    return next
  }

  /** The selection's range, the selected span's type, or arm the type for the next drag. */
  function applyType(type: string): Promise<unknown> {
    paletteOpen.value = false
    const sel = selection.value
    if (sel) return createSpan(sel[0], sel[1], type)
    const s = selectedSpan.value
    if (s) {
      return run(async () => {
        const cur = selectedSpan.value ?? s
        if (cur.type === type && cur.origin === 'gold') return
        put(await call('spans.update', { id: cur.id, type }))
        say(`“${textOf(cur.start, cur.end)}” is now ${type} (was ${cur.type})`)
      })
    }
    armed.value = armed.value === type ? null : type
    say(armed.value ? `Drag over characters to label them ${type}` : 'Type disarmed')
    return Promise.resolve()
  }

  function createSpan(start: number, end: number, type: string): Promise<unknown> {
    const t = title.value
    if (!t) return Promise.resolve()
    return run(async () => {
      const s = await call('spans.create', { titleId: t.id, start, end, type })
      anchor.value = null
      cursor.value = end
      put(s)
      selectedSpanId.value = s.id
      say(`Labelled “${textOf(start, end)}” as ${type}`)
    })
  }

  /** Move one boundary of the selected span one cluster that way (read when its turn comes). */
  function moveBoundary(which: 'start' | 'end', delta: 1 | -1): Promise<unknown> {
    return run(async () => {
      const s = selectedSpan.value
      if (s) await boundary(s, which, step(which === 'start' ? s.start : s.end, delta))
    })
  }

  function setBoundary(s: Span, which: 'start' | 'end', pos: number): Promise<unknown> {
    return run(() => boundary(s, which, pos))
  }

  async function boundary(s: Span, which: 'start' | 'end', pos: number): Promise<void> {
    const start = which === 'start' ? pos : s.start
    const end = which === 'end' ? pos : s.end
    if (start < 0 || end > chars.value.length || end <= start) return
    if (start === s.start && end === s.end) return
    put(await call('spans.update', { id: s.id, start, end }))
    say(`The ${s.type} span is now “${textOf(start, end)}”`)
  }

  function deleteSelected(): Promise<unknown> {
    return run(async () => {
      const s = selectedSpan.value
      if (!s) return
      await call('spans.delete', { id: s.id })
      selectedSpanId.value = null
      refreshSeq++
      if (title.value) title.value = { ...title.value, spans: title.value.spans.filter((x) => x.id !== s.id) }
      say(`Removed the ${s.type} label from “${textOf(s.start, s.end)}”`)
    })
  }

  function acceptAll(): Promise<unknown> {
    return run(async () => {
      const t = title.value
      if (!t) return
      const r = await call('spans.acceptAll', { titleId: t.id })
      await refresh()
      say(r.accepted ? `Accepted ${count(r.accepted, 'span')} as gold` : 'Nothing to accept: every span is gold')
    })
  }

  /** Accept (→ gold) or reject (delete) one model span; one undoable edit. */
  function reviewModelSpan(spanId: number, accept: boolean): Promise<unknown> {
    return run(async () => {
      await call(accept ? 'preannotate.accept' : 'preannotate.reject', { spanId })
      await refresh()
      say(accept ? 'Accepted the model span as gold' : 'Rejected the model span')
    })
  }

  function toggleReviewed(): Promise<unknown> {
    return run(async () => {
      const t = title.value
      if (!t) return
      const status = t.status === 'reviewed' ? 'unreviewed' : 'reviewed'
      await call('titles.setStatus', { ids: [t.id], status })
      await refresh()
      say(status === 'reviewed' ? 'Marked reviewed' : 'Marked unreviewed')
    })
  }

  /** Alt+L: count first (nothing is written), then `applyOccurrences` after the analyst confirms. */
  function labelOccurrences(): Promise<unknown> {
    return run(async () => {
      const s = selectedSpan.value
      if (!s || !title.value) return say('Select a span first', true)
      const r = await call('spans.labelOccurrences', { spanId: s.id, dryRun: true })
      occurrences.value = { ...r, spanId: s.id, text: Array.from(title.value.text).slice(s.start, s.end).join('') }
    })
  }

  function applyOccurrences(includeProtected: boolean): Promise<unknown> {
    return run(async () => {
      const o = occurrences.value
      occurrences.value = null
      if (!o) return
      const r = await call('spans.labelOccurrences', { spanId: o.spanId, includeProtected })
      await refresh()
      const n = r.created + r.confirmed
      say(
        `Labelled ${n} more ${n === 1 ? 'place' : 'places'} in ${r.titleIds.length} ${r.titleIds.length === 1 ? 'title' : 'titles'}` +
          (r.confirmed ? ` (${r.confirmed} weak confirmed)` : '') +
          (r.protected ? `; ${r.protected} in reviewed or dev/test titles left alone` : ''),
      )
    })
  }

  function history(kind: 'undo' | 'redo'): Promise<unknown> {
    return run(async () => {
      const r = await call(kind === 'undo' ? 'history.undo' : 'history.redo')
      canUndo.value = r.canUndo
      canRedo.value = r.canRedo
      if (!r.label) return say(`Nothing to ${kind}`)
      // The step's change events say which kinds of rows it touched (r.kinds): a type edit reloads
      // the types there (stores/project.ts), whoever undid it.
      const only = r.titleIds.length === 1 ? r.titleIds[0]! : null
      if (only !== null && title.value && only !== title.value.id) {
        await load(only)
      } else await refresh()
      say(`${kind === 'undo' ? 'Undid' : 'Redid'}: ${r.label}`)
    })
  }

  // ------------------------------------------------------------------ cursor and selection
  function moveCursor(pos: number, extend: boolean): void {
    const n = chars.value.length
    const p = snap(Math.max(0, Math.min(n, pos)))
    if (extend) {
      if (anchor.value === null) anchor.value = cursor.value
      selectedSpanId.value = null
    } else {
      anchor.value = null
      const s = spanAt.value[p]
      selectedSpanId.value = s ? s.id : null
    }
    cursor.value = p
  }

  function selectSpan(s: Span | null): void {
    selectedSpanId.value = s ? s.id : null
    anchor.value = null
    if (s) cursor.value = s.start
  }

  function cycleSpan(dir: 1 | -1): void {
    const spans = title.value?.spans ?? []
    if (!spans.length) return
    const i = spans.findIndex((s) => s.id === selectedSpanId.value)
    const next = i < 0 ? (dir === 1 ? 0 : spans.length - 1) : (i + dir + spans.length) % spans.length
    selectSpan(spans[next]!)
  }

  /** Resolves when every queued edit has been persisted and drawn (tests and the benchmark). */
  const idle = (): Promise<unknown> => queue

  return {
    title, chars, clusters, clusterOf, step, cursor, anchor, selection, selectedSpanId, selectedSpan, spanAt, armed, paletteOpen, message,
    canUndo, canRedo,
    load, refresh, close, changed, applyType, createSpan, moveBoundary, setBoundary, deleteSelected, acceptAll,
    toggleReviewed, reviewModelSpan, labelOccurrences, applyOccurrences, occurrences, history, moveCursor, selectSpan, cycleSpan, say, idle,
    put, queued: run,
  }
})
