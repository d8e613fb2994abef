// The review stream (Prodigy-style) and the model's suggestions (INCEpTION-style). A stream is the
// ids of one queue source (review.queue: the list's filter, disagreements with a run, an Evaluate
// cell, least confident); while it is open ↓/↑ skip and go back through it and Enter marks the title
// reviewed and moves on. Suggestions are what the chosen run predicted for the open title, marked
// against its spans; accepting one is an ordinary span edit (one undo step, overlaps refused).
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { markSuggestions, type MarkedSuggestion, type ReviewSource, type Suggestion } from '../../../src-main/shared/review'
import { call } from '../api/client'
import { useEditorStore } from './editor'

export const useReviewStore = defineStore('review', () => {
  const editor = useEditorStore()
  const stream = ref<{ label: string; ids: number[]; pos: number; total: number } | null>(null)
  /** Bumped each time a stream opens (the editor takes the focus then). */
  const opened = ref(0)

  /** Open a queue as a stream at `startId` (else its first title), named `label` (else the service's words). False when empty. */
  async function open(source: ReviewSource, startId?: number, label?: string): Promise<boolean> {
    const q = await call('review.queue', source)
    if (!q.ids.length) return editor.say(`Nothing to review: ${q.label} holds no titles`), false
    const first = startId !== undefined && q.ids.includes(startId) ? startId : q.ids[0]!
    stream.value = { label: label ?? q.label, ids: q.ids, pos: q.ids.indexOf(first), total: q.total }
    if (q.runId !== null) runId.value = q.runId
    opened.value++
    await editor.load(first)
    return true
  }

  /** The editor opened title `id`: follow it in the stream, or leave the stream when it is not in it (called as the open title changes). */
  function follow(id: number): void {
    if (!stream.value) return
    const at = stream.value.ids.indexOf(id)
    if (at < 0) stream.value = null
    else stream.value.pos = at
  }

  /** The title `step` places away in the stream: null (with a message) past either end. */
  function neighbour(step: 1 | -1): number | null {
    const q = stream.value
    if (!q) return null
    const to = q.pos + step
    if (to < 0) return editor.say('This is the first title of the queue'), null
    if (to >= q.ids.length) return editor.say(`End of the queue: ${q.ids.length} titles`), null
    return q.ids[to]!
  }

  /** Enter in a stream: mark the title reviewed (whatever it was) and open the next one. */
  async function acceptAndNext(): Promise<void> {
    const t = editor.title
    if (!t || !stream.value) return
    await editor.queued(async () => {
      if (t.status !== 'reviewed') await call('titles.setStatus', { ids: [t.id], status: 'reviewed' })
      await editor.refresh()
    })
    const next = neighbour(1)
    if (next !== null) await editor.queued(() => editor.load(next))
  }

  // ---------------------------------------------------------------- suggestions
  /** The run whose predictions are drawn beside the gold (a stream's run, or the desk's picker). */
  const runId = ref<number | null>(null)
  const raw = ref<{ titleId: number; runId: number; list: Suggestion[] } | null>(null)
  let seq = 0
  async function loadSuggestions(): Promise<void> {
    const t = editor.title
    const run = runId.value
    const s = ++seq
    if (!t || run === null) return void (raw.value = null)
    if (raw.value?.titleId === t.id && raw.value.runId === run) return
    const list = await call('review.suggestions', { runId: run, titleId: t.id }).catch((e: unknown) => {
      editor.say((e as Error).message, true)
      return []
    })
    if (s === seq) raw.value = { titleId: t.id, runId: run, list }
  }
  watch([() => editor.title?.id, runId], () => void loadSuggestions(), { immediate: true })
  watch(
    () => editor.title?.id,
    (id) => {
      if (id !== undefined) follow(id)
    },
  )

  /** The open title's suggestions, each marked against its spans as they stand now. */
  const marked = computed<MarkedSuggestion[]>(() => {
    const t = editor.title
    if (!t || !raw.value || raw.value.titleId !== t.id) return []
    return markSuggestions(raw.value.list, t.spans)
  })
  /** The suggestion a key press accepts: the one under the cursor, else the next after it, else the first still open. */
  const current = computed<number>(() => {
    const open = marked.value.map((s, i) => ({ s, i })).filter((x) => x.s.state !== 'gold')
    const c = editor.cursor
    return (open.find((x) => x.s.start <= c && c < x.s.end) ?? open.find((x) => x.s.start >= c) ?? open[0])?.i ?? -1
  })

  /** Accept a suggestion: it becomes a gold span (an identical weak/model span is confirmed instead). */
  function accept(s: MarkedSuggestion | undefined = marked.value[current.value]): Promise<unknown> {
    if (!s) return Promise.resolve(editor.say(runId.value === null ? 'Choose a run to see its suggestions' : 'No suggestion left to accept', true))
    const text = editor.chars.slice(s.start, s.end).join('')
    if (s.state === 'gold') return Promise.resolve(editor.say(`“${text}” is already gold ${s.type}`))
    if (s.state !== 'same' || s.spanId === null) return editor.createSpan(s.start, s.end, s.type)
    const id = s.spanId
    return editor.queued(async () => {
      editor.put(await call('spans.update', { id, type: s.type }))
      editor.moveCursor(s.end, false)
      editor.say(`Accepted “${text}” as ${s.type}`)
    })
  }

  return { stream, opened, open, follow, neighbour, acceptAndNext, runId, marked, current, accept }
})
