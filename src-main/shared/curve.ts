// The reading of a learning curve, shared by `ner-studio train-curve` and the Runs screen.

export type CurveReading = 'rising' | 'flat'

/** A step that still gains at least this much F1 (one point) counts as rising. */
export const RISING_F1 = 0.01

export const CURVE_READING_TEXT: Record<CurveReading, string> = {
  rising: 'still rising: more review will help',
  flat: "flat: more of the same titles won't",
}

/** The reading of a curve's F1 values in order of growing data: did its last step still gain ≥ RISING_F1? */
export function curveReading(f1s: readonly number[]): CurveReading | null {
  if (f1s.length < 2) return null
  return f1s[f1s.length - 1]! - f1s[f1s.length - 2]! >= RISING_F1 ? 'rising' : 'flat'
}

/** What a learning-curve run stores in its config as `experiment`. */
export interface CurveExperiment {
  kind: 'curve'
  id: string
  fraction: number
  titles: number
}
