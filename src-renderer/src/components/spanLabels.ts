// Span labels under the title, placed so that no two ever overlap: on each visual line the labels
// are laid left to right, and a label that would touch the one before it in a row goes down to the
// next free row (the rows below the line grow to hold them). Positions are measured from the drawn
// characters, so wrapping, wide emoji and full-width letters need no estimates.
import { onBeforeUnmount, watch, type Ref } from 'vue'

/** Horizontal room kept between two labels in one row, and the height of a row (px). */
const GAP = 6
const ROW = 14

/**
 * Lay out the labels in `layer` (elements with data-cell = the cell holding the span's first
 * character, else data-start = that character) under the cells of `text` (elements with data-i). Sets `--label-rows` on `text` to the most rows
 * any line needs. Returns nothing: positions are written to the labels' style.
 */
export function placeLabels(text: HTMLElement, layer: HTMLElement): void {
  const box = layer.getBoundingClientRect()
  const labels = Array.from(layer.querySelectorAll<HTMLElement>('[data-start]'))
  const charAt = (i: string): HTMLElement | null => text.querySelector<HTMLElement>(`[data-i="${i}"]`)
  const items = labels
    .map((el) => ({ el, ch: charAt(el.dataset.cell ?? el.dataset.start!), width: el.getBoundingClientRect().width }))
    .filter((x): x is { el: HTMLElement; ch: HTMLElement; width: number } => !!x.ch)
    .map((x) => {
      const r = x.ch.getBoundingClientRect()
      // A label is kept inside the text's box: near the right edge it starts further left.
      const left = Math.max(0, Math.min(r.left - box.left, box.width - x.width))
      return { ...x, top: r.top, left, row: 0 }
    })
  // Visual lines: characters whose tops are within a few pixels.
  items.sort((a, b) => a.top - b.top || a.left - b.left)
  let rows = 1
  let lineTop = -Infinity
  let ends: number[] = []
  for (const it of items) {
    if (it.top > lineTop + 5) {
      lineTop = it.top
      ends = []
    }
    let row = ends.findIndex((end) => end + GAP <= it.left)
    if (row < 0) row = ends.length
    ends[row] = it.left + it.width
    it.row = row
    rows = Math.max(rows, row + 1)
  }
  text.style.setProperty('--label-rows', String(rows))
  // The rows changed the lines' heights: measure again for the final places.
  const base = layer.getBoundingClientRect()
  for (const it of items) {
    it.el.style.left = `${it.left}px`
    it.el.style.top = `${it.ch.getBoundingClientRect().bottom - base.top + 4 + it.row * ROW}px`
  }
}

/** Re-place the labels whenever the text element changes size (the window, the panes). */
export function useLabelResize(text: Ref<HTMLElement | null>, place: () => void): void {
  const ro = new ResizeObserver(() => place())
  watch(text, (el, old) => {
    if (old) ro.unobserve(old)
    if (el) ro.observe(el)
  })
  onBeforeUnmount(() => ro.disconnect())
}
