// Sortable tables: click a column's header to sort by it, again to reverse. Numbers sort largest
// first on the first click, text A→Z (Chinese by pinyin); missing values always go last.
import { computed, ref, type ComputedRef, type Ref } from 'vue'

export type SortValue = string | number | null | undefined

export interface Sort<T> {
  key: Ref<string | null>
  desc: Ref<boolean>
  rows: ComputedRef<T[]>
  by: (key: string) => void
}

const text = new Intl.Collator('zh-CN-u-co-pinyin', { numeric: true })

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
      const first = source().map(columns[k]!).find((v) => v !== null && v !== undefined)
      desc.value = typeof first === 'number'
    }
  }
  const rows = computed(() => {
    const all = source().slice()
    const get = key.value ? columns[key.value] : undefined
    if (!get) return all
    const sign = desc.value ? -1 : 1
    return all
      .map((row, i) => ({ row, i, v: get(row) }))
      .sort((a, b) => {
        const [x, y] = [a.v, b.v]
        if (x === null || x === undefined || y === null || y === undefined) return (x == null ? 1 : 0) - (y == null ? 1 : 0) || a.i - b.i
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : text.compare(String(x), String(y))
        return sign * c || a.i - b.i
      })
      .map((x) => x.row)
  })
  return { key, desc, rows, by }
}
