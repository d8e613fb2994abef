// The title list: the filter, counts per filter value, and the filtered list paged in from the
// services in windows of PAGE rows as the list scrolls (200,000 titles never all come over).
import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import type { TitleCounts, TitleListItem, TitleQuery } from '../../../src-main/shared/api'
import type { RunRecord } from '../../../src-main/shared/types'
import { call } from '../api/client'
import { useEditorStore } from './editor'
import { useReviewStore } from './review'

export const PAGE = 100
export type Filter = Omit<TitleQuery, 'offset' | 'limit' | 'skipTotal'>

export const useTitlesStore = defineStore('titles', () => {
  const filter = ref<Filter>({})
  const total = ref(0)
  const counts = ref<TitleCounts | null>(null)
  const runs = ref<RunRecord[]>([])
  /** Loaded pages by page number; `version` bumps when any page arrives or is dropped. */
  const pages = shallowRef(new Map<number, TitleListItem[]>())
  const version = ref(0)
  /** Index (in the filtered list) of the title open in the editor, or -1. */
  const currentIndex = ref(-1)
  /** Asks the list component to scroll this index into view. */
  const scrollTo = ref<{ index: number; n: number } | null>(null)
  let generation = 0
  const inflight = new Map<number, Promise<void>>()

  function clear(): void {
    generation++
    pages.value = new Map()
    inflight.clear()
    total.value = 0
    counts.value = null
    currentIndex.value = -1
    version.value++
  }

  /** Load page `p` of the current filter; dropped if the list started over meanwhile. */
  async function loadPage(p: number): Promise<void> {
    const gen = generation
    const r = await call('titles.list', { ...filter.value, offset: p * PAGE, limit: PAGE, skipTotal: p > 0 })
    if (gen !== generation) return
    pages.value.set(p, markRaw(r.items))
    if (r.total >= 0) total.value = r.total
    version.value++
  }

  /** Load a page not loaded yet, once: concurrent asks share one request. */
  async function fetchPage(p: number): Promise<void> {
    const existing = inflight.get(p)
    if (existing) return existing
    const gen = generation
    const job = loadPage(p).finally(() => {
      if (gen === generation) inflight.delete(p)
    })
    inflight.set(p, job)
    return job
  }

  /** Make sure rows first..last are loaded (the list calls this as it scrolls). */
  async function ensure(first: number, last: number): Promise<void> {
    const jobs: Promise<void>[] = []
    for (let p = Math.floor(Math.max(0, first) / PAGE); p <= Math.floor(Math.max(0, last) / PAGE); p++) {
      if (!pages.value.has(p) && p * PAGE < Math.max(total.value, 1)) jobs.push(fetchPage(p))
    }
    await Promise.all(jobs)
  }

  function itemAt(i: number): TitleListItem | undefined {
    return pages.value.get(Math.floor(i / PAGE))?.[i % PAGE]
  }

  /** Per-origin counts cost a pass over every span: asked for only once the origin filter is used. */
  const wantOrigins = ref(false)
  let countsTimer: ReturnType<typeof setTimeout> | undefined
  function loadCounts(delay = 0): void {
    clearTimeout(countsTimer)
    const gen = generation
    countsTimer = setTimeout(() => {
      const origins = wantOrigins.value || filter.value.origin !== undefined
      void call('titles.counts', { ...filter.value, origins }).then((c) => {
        if (gen !== generation) return
        counts.value = c
        total.value = c.total
      })
    }, delay)
  }
  function askOrigins(): void {
    if (wantOrigins.value) return
    wantOrigins.value = true
    loadCounts()
  }

  /** Start over with the current filter: first page, counts, runs. */
  async function reset(): Promise<void> {
    clear()
    await fetchPage(0)
    runs.value = await call('runs.list')
    // After the first title is drawn: counting is not on the path to the first screen.
    loadCounts(400)
  }

  async function setFilter(patch: Partial<Filter>): Promise<void> {
    const next: Record<string, unknown> = { ...filter.value, ...patch }
    for (const k of Object.keys(next)) if (next[k] === '' || next[k] === undefined || next[k] === null) delete next[k]
    if (JSON.stringify(next) === JSON.stringify(filter.value)) return
    filter.value = next as Filter
    await reset()
    scrollTo.value = { index: 0, n: Date.now() }
    const first = itemAt(0)
    if (first) await open(first.id, 0)
  }

  // ------------------------------------------------------------------ navigation (the list owns it)

  /** Open title `id` in the editor; `index` is its place in the filtered list (kept and scrolled to). */
  async function open(id: number, index?: number): Promise<void> {
    const editor = useEditorStore()
    const already = editor.title?.id === id
    if (!(await editor.load(id)) || index === undefined) return
    currentIndex.value = index
    if (!already) scrollTo.value = { index, n: Date.now() }
  }

  /** Next/previous title of the review stream when one is open, else of the filtered list (optionally the next unreviewed one). */
  function go(direction: 'next' | 'prev', unreviewed = false): Promise<unknown> {
    const editor = useEditorStore()
    const review = useReviewStore()
    if (review.stream) {
      return editor.queued(async () => {
        const id = review.neighbour(direction === 'next' ? 1 : -1)
        if (id !== null) await editor.load(id)
      })
    }
    return editor.queued(async () => {
      const from = editor.title?.id ?? 0
      const r = await call('titles.neighbor', { id: from, direction, query: filter.value, unreviewed })
      if (r.id === null) return editor.say(unreviewed ? 'No more unreviewed titles this way' : 'No more titles this way')
      await open(r.id, r.index)
    })
  }

  /** Something changed in the project: reload the loaded pages that show those titles (or all). */
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  function changed(what: string, titleIds?: number[]): void {
    clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => {
      const ids = titleIds ? new Set(titleIds) : null
      for (const [p, items] of pages.value) {
        if (!ids || items.some((t) => ids.has(t.id))) void loadPage(p)
      }
      if (what === 'titles' || what === 'types' || !ids) loadCounts(300)
    }, 300)
  }

  return {
    filter, total, counts, runs, pages, version, currentIndex, scrollTo,
    clear, ensure, itemAt, reset, setFilter, changed, loadCounts, askOrigins, open, go,
  }
})
