// Colours for entity types, assigned in creation order so that each new colour is as far as can be
// from all the ones before it: from a grid of hues (every 5°) × four lightness levels, made in
// OKLCH (perceptually even) and light enough for dark text on top, colour i is the candidate whose
// nearest earlier colour is farthest (ΔE_ok, below). The first colours are thus spread over the
// whole wheel and every level, and neighbours never look alike; after PERIOD colours the
// sequence repeats (type 180 shares type 0's colour).

const LEVELS = [
  { l: 0.84, c: 0.11 },
  { l: 0.92, c: 0.07 },
  { l: 0.76, c: 0.13 },
  { l: 0.68, c: 0.12 },
] as const
const HUE_STEP = 5
/** Later picks of the grid crowd their neighbours: the sequence repeats after PERIOD colours. */
const PERIOD = 180
/** The last RECENT colours are all at least NEIGHBOUR_GAP (ΔE_ok) from the next one. */
const RECENT = 4
const NEIGHBOUR_GAP = 10
const sequence: string[] = []
let candidates: string[] | null = null

export function colorFor(index: number): string {
  if (!candidates) candidates = LEVELS.flatMap(({ l, c }) => Array.from({ length: 360 / HUE_STEP }, (_, h) => toHex(oklchToSrgb(l, c, h * HUE_STEP + 25))))
  const size = Math.min(PERIOD, candidates.length)
  while (sequence.length <= Math.min(index, size - 1)) {
    const used = sequence.map(hexToOklab)
    const recent = used.slice(-RECENT)
    let best = candidates[0]!
    let bestScore = -Infinity
    for (const c of candidates) {
      const lab = hexToOklab(c)
      const d = (u: readonly number[]): number => 100 * Math.hypot(u[0]! - lab[0], u[1]! - lab[1], u[2]! - lab[2])
      const gap = used.length ? Math.min(...used.map(d)) : 0
      // Far from every earlier colour, and never close to the last few (the likely neighbours).
      const score = recent.some((u) => d(u) < NEIGHBOUR_GAP) ? gap / 1000 : gap
      if (score > bestScore) [best, bestScore] = [c, score]
    }
    sequence.push(best)
  }
  return sequence[index % size]!
}

export function isColor(x: unknown): x is string {
  return typeof x === 'string' && /^#[0-9a-fA-F]{6}$/.test(x)
}

/** OKLab of a #rrggbb colour: Euclidean distance in it (×100) is the ΔE_ok perceptual difference. */
export function hexToOklab(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16)
  const lin = (x: number): number => {
    const s = x / 255
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  const [r, g, b] = [lin(v >> 16), lin((v >> 8) & 255), lin(v & 255)]
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b)
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b)
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b)
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ]
}

/** ΔE_ok between two #rrggbb colours (about 2 is a just-noticeable difference). */
export function colorDistance(a: string, b: string): number {
  const [x, y] = [hexToOklab(a), hexToOklab(b)]
  return 100 * Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2])
}

/** sRGB (0…1) of an OKLCH colour, lowering the chroma until it fits the sRGB gamut. */
function oklchToSrgb(L: number, C: number, hueDeg: number): [number, number, number] {
  const h = (hueDeg * Math.PI) / 180
  for (let c = C; ; c -= 0.005) {
    const [a, b] = [c * Math.cos(h), c * Math.sin(h)]
    const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3
    const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3
    const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3
    const rgb: [number, number, number] = [
      4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
      -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
      -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s,
    ]
    if (c <= 0 || rgb.every((x) => x >= -1e-4 && x <= 1 + 1e-4)) return rgb
  }
}

function toHex(rgb: [number, number, number]): string {
  const enc = (x: number): number => {
    const v = Math.min(1, Math.max(0, x))
    return Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055))
  }
  return `#${rgb.map((x) => enc(x).toString(16).padStart(2, '0')).join('')}`
}
