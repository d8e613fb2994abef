// The span editor's keys: the one table that the editor's key list (footer) shows and that
// README's key table must equal (test/unit/shared/keymap.test.ts checks it). Tab and Shift+Tab are
// not here on purpose: they move focus, as everywhere else, so keyboard-only users reach every control.

/** Keys that move the span selection (kept off Tab, which belongs to focus). */
export const SPAN_NEXT = ']'
export const SPAN_PREV = '['

export interface KeyRow {
  /** The keys as README and the key list write them. */
  keys: string
  does: string
}

export const KEYMAP: readonly KeyRow[] = [
  { keys: '← → / Home End', does: 'move the character cursor (onto a span: selects it)' },
  { keys: 'Shift + ← → / Home End', does: 'extend the selection' },
  {
    keys: "a type's hotkey (`1`…`9`, `0`, a letter, or two letters in turn: `g` then `b`)",
    does: 'label the selection, retype the selected span, or — with nothing selected — arm the type for the next mouse drag; every type gets one, set them on Entity types',
  },
  { keys: 'Space or Ctrl+K', does: 'the type palette: every type, found by name, pinyin initials (`ys` → 颜色), hotkey or fuzzily (↑ ↓ Enter, Esc)' },
  { keys: `\`${SPAN_NEXT}\` / \`${SPAN_PREV}\``, does: 'next / previous span (Tab / Shift+Tab move the focus)' },
  { keys: 'Alt+← → (or Ctrl+← →)', does: "move the selected span's start" },
  { keys: 'Alt+Shift+← → (or Ctrl+Shift+← →)', does: "move the selected span's end" },
  { keys: 'Delete / Backspace', does: 'delete the selected span' },
  { keys: 'Enter', does: 'mark the title reviewed (again: unreviewed)' },
  { keys: 'Shift+Enter', does: "accept all: the title's weak spans become gold" },
  {
    keys: 'Alt+L',
    does: "label every other occurrence of the selected span's text, in every title: a preview says how many first; identical weak/dictionary/model spans are confirmed; reviewed and dev/test titles only on request",
  },
  {
    keys: 'Alt+A',
    does: "accept the model's suggestion under the cursor, else the next one: it becomes a gold span (a click on a suggestion does the same; overlaps are refused)",
  },
  { keys: '↓ ↑', does: 'next / previous title of the filtered list — in a review stream: skip / back' },
  { keys: 'Enter (in a review stream)', does: 'mark reviewed and open the next title of the queue' },
  { keys: 'Shift+↓ / Shift+↑', does: 'next / previous unreviewed title' },
  { keys: 'Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y', does: 'undo, redo' },
  { keys: 'Esc', does: 'clear the selection, disarm the type, drop a half-typed chord' },
  { keys: '`?`', does: 'show every key and every type hotkey (Esc or `?` closes)' },
]

/** The keys as shown in the app: README's backticks dropped. */
export const shown = (r: KeyRow): string => r.keys.replace(/`/g, '')
