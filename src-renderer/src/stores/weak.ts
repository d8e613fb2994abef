// Weak labelling: the project's dictionaries (terms, spans, estimated precision), gazetteer import,
// applying dictionaries to titles, promoting confirmed spans. One store for the Weak-label screen.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type {
  DictImportRequest,
  DictImportSummary,
  DictionaryInfo,
  PromoteRequest,
  PromoteSummary,
  WeakLabelRequest,
  WeakLabelSummary,
} from '../../../src-main/shared/api'
import { call } from '../api/client'

export const useWeakStore = defineStore('weak', () => {
  const list = ref<DictionaryInfo[]>([])
  const loading = ref(false)
  const busy = ref<null | 'import' | 'apply' | 'promote' | 'delete'>(null)
  const error = ref<string | null>(null)
  const imported = ref<DictImportSummary | null>(null)
  const applied = ref<WeakLabelSummary | null>(null)
  const promoted = ref<(PromoteSummary & { dictionary: string; type: string }) | null>(null)
  /** Dictionaries ticked for applying. */
  const chosen = ref<number[]>([])
  /** Shortest term used, for applying and for the precision estimates. One-character terms in a
   *  Chinese gazetteer (single 字, digits, punctuation) are mostly noise: 2 by default. */
  const minLength = ref(2)
  /** minLength as sent: a whole number ≥ 1 (the field may be empty or fractional while typed). */
  const termLength = (): number => Math.max(1, Math.floor(minLength.value || 1))

  async function load(): Promise<void> {
    loading.value = true
    try {
      list.value = await call('dicts.list', { minLength: termLength() })
      chosen.value = chosen.value.filter((id) => list.value.some((d) => d.id === id))
    } finally {
      loading.value = false
    }
  }

  async function act<T>(kind: NonNullable<typeof busy.value>, fn: () => Promise<T>): Promise<T | null> {
    error.value = null
    busy.value = kind
    try {
      return await fn()
    } catch (e) {
      error.value = (e as Error).message
      return null
    } finally {
      busy.value = null
    }
  }

  async function importDict(req: DictImportRequest): Promise<boolean> {
    imported.value = null
    const r = await act('import', () => call('dicts.import', req))
    if (!r) return false
    imported.value = r
    if (!chosen.value.includes(r.dictionary.id)) chosen.value.push(r.dictionary.id)
    await load()
    return true
  }

  /** Apply the ticked dictionaries with the shortest term length the estimates were measured at. */
  async function apply(req: Omit<WeakLabelRequest, 'dictionaryIds' | 'minLength'>): Promise<boolean> {
    applied.value = null
    const r = await act('apply', () => call('dicts.apply', { ...req, dictionaryIds: [...chosen.value], minLength: termLength() }))
    if (!r) return false
    applied.value = r
    await load()
    return true
  }

  async function promote(req: PromoteRequest): Promise<boolean> {
    promoted.value = null
    const r = await act('promote', () => call('dicts.promote', req))
    if (!r) return false
    await load()
    promoted.value = { ...r, dictionary: list.value.find((d) => d.id === req.dictionaryId)?.name ?? '', type: req.type }
    return true
  }

  async function remove(id: number, removeSpans: boolean): Promise<void> {
    await act('delete', () => call('dicts.delete', { id, removeSpans }))
    await load()
  }

  function clear(): void {
    list.value = []
    chosen.value = []
    imported.value = applied.value = promoted.value = null
    error.value = null
  }

  return { list, loading, busy, error, imported, applied, promoted, chosen, minLength, load, importDict, apply, promote, remove, clear }
})
