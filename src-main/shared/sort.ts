// Table sorting by one column: numbers compare as numbers, text in pinyin order (Chinese) with
// digits compared numerically; missing values always go last; ties keep the given order.

export type SortValue = string | number | null | undefined

const text = new Intl.Collator('zh-CN-u-co-pinyin', { numeric: true })

export function sortRows<T>(rows: readonly T[], get: (row: T) => SortValue, desc: boolean): T[] {
  const sign = desc ? -1 : 1
  return rows
    .map((row, i) => ({ row, i, v: get(row) }))
    .sort((a, b) => {
      const [x, y] = [a.v, b.v]
      if (x == null || y == null) return (x == null ? 1 : 0) - (y == null ? 1 : 0) || a.i - b.i
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : text.compare(String(x), String(y))
      return sign * c || a.i - b.i
    })
    .map((x) => x.row)
}

/** The first click's direction: numbers largest first, text A→Z. */
export const startsDescending = (values: readonly SortValue[]): boolean => typeof values.find((v) => v != null) === 'number'
