// Sortable tables: click a column's header to sort by it, again to reverse (shared/sort.ts: numbers
// largest first on the first click, text A→Z in pinyin order, missing values last).
import { computed, ref, type ComputedRef, type Ref } from 'vue'
import { sortRows, startsDescending, type SortValue } from '../../../src-main/shared/sort'

export interface Sort<T> {
  key: Ref<string | null>
  desc: Ref<boolean>
  rows: ComputedRef<T[]>
  by: (key: string) => void
}

export function useSort<T>(
  source: () => readonly T[],
  columns: Record<string, (row: T) => SortValue>,
  start: { key: string; desc: boolean } | null = null,
): Sort<T> {
  const key = ref<string | null>(start?.key ?? null)
  const desc = ref(start?.desc ?? false)
  function by(k: string): void {
    if (key.value === k) desc.value = !desc.value
    else {
      key.value = k
      desc.value = startsDescending(source().map(columns[k]!))
    }
  }
  const rows = computed(() => {
    const get = key.value ? columns[key.value] : undefined
    return get ? sortRows(source(), get, desc.value) : source().slice()
  })
  return { key, desc, rows, by }
}
