/**
 * From titles to encoder rows and back: the glue a tagger needs around `BertEncoder`.
 *
 *   const plan = planRows(vocab, titles, config.maxPositions)        // windows long titles
 *   const { ids, mask } = padBatch(vocab, plan.rows.map((r) => r.ids))
 *   … run the encoder + head on the rows, get per-token outputs per row (incl. [CLS]/[SEP]) …
 *   const perChar = rowsToTitles(plan, outputsPerRow)                 // [title][code point] | null
 *
 * `perChar[t][i]` is the output for code point i of title t, or null for characters that got no
 * token (whitespace, control/format characters — see tokenizer.ts).
 */
import { encodeTitle, joinWindows, windowIds, windows, type Encoded, type Vocab, type Window } from './tokenizer'

export interface Row {
  /** `[CLS]` + window characters + `[SEP]`. */
  ids: number[]
  title: number
  window: Window
}

export interface RowPlan {
  rows: Row[]
  encoded: Encoded[]
  /** Row indices of each title, in window order. */
  rowsOfTitle: number[][]
}

/**
 * Encode titles and split those longer than `maxPositions - 2` characters into windows
 * (`stride` default: half the window; see `windows()`).
 */
export function planRows(vocab: Vocab, titles: string[], maxPositions: number, stride?: number): RowPlan {
  const maxLen = maxPositions - 2
  const rows: Row[] = []
  const rowsOfTitle: number[][] = []
  const encoded = titles.map((t, ti) => {
    const enc = encodeTitle(vocab, t)
    const mine: number[] = []
    for (const w of windows(enc.ids.length - 2, maxLen, stride)) {
      mine.push(rows.length)
      rows.push({ ids: windowIds(vocab, enc, w), title: ti, window: w })
    }
    rowsOfTitle.push(mine)
    return enc
  })
  return { rows, encoded, rowsOfTitle }
}

/**
 * Per-row, per-token outputs (each row's array covers at least its `ids.length` positions, i.e.
 * [CLS], the characters, [SEP]; padding beyond is ignored) → per title, per code point.
 */
export function rowsToTitles<T>(plan: RowPlan, outputs: T[][]): (T | null)[][] {
  if (outputs.length !== plan.rows.length) throw new RangeError(`rowsToTitles: ${plan.rows.length} rows but ${outputs.length} outputs`)
  return plan.encoded.map((enc, ti) => {
    const rowIdx = plan.rowsOfTitle[ti]!
    const ws = rowIdx.map((r) => plan.rows[r]!.window)
    const perToken = joinWindows(
      ws,
      rowIdx.map((r) => {
        const w = plan.rows[r]!.window
        const o = outputs[r]!
        if (o.length < w.end - w.start + 2) throw new RangeError(`rowsToTitles: row ${r} has ${o.length} outputs for ${w.end - w.start + 2} tokens`)
        return o.slice(1, 1 + w.end - w.start)
      }),
      enc.ids.length - 2,
    )
    const perChar = new Array<T | null>(enc.numChars).fill(null)
    perToken.forEach((v, k) => {
      perChar[enc.offsets[k + 1]!] = v
    })
    return perChar
  })
}
