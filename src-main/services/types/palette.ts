// Colours for entity types: distinct, readable behind dark text, assigned in creation order.
export const PALETTE = [
  '#f6c177', '#9ccfd8', '#c4a7e7', '#a3d9a5', '#f4a4a4', '#ffd6a5', '#bde0fe', '#e9c46a',
  '#caffbf', '#ffc6ff', '#fdffb6', '#a0c4ff', '#ffadad', '#b9fbc0', '#cdb4db', '#ffafcc',
  '#90dbf4', '#f1c0e8', '#d0f4de', '#fbf8cc',
] as const

export function colorFor(index: number): string {
  return PALETTE[index % PALETTE.length]!
}

export function isColor(x: unknown): x is string {
  return typeof x === 'string' && /^#[0-9a-fA-F]{6}$/.test(x)
}
