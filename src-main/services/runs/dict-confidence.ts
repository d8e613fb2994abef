// Dictionary spans weighed by their dictionary's estimated precision: with `weakLoss.softSpans` each
// dictionary span of the training titles takes it as its confidence (a dictionary right one match in
// twenty teaches one twentieth of a span); with `weakLoss.minDictionaryPrecision` p the spans of a
// dictionary below p are left out (more often wrong than right at p = ½), the others stay as they
// are. Where the estimate comes from is a rule of its own:
//   - reviewed titles of the run's train and dev splits, never of test (test scores the run);
//   - with no reviewed train titles that is the dev split alone: a Snorkel-style use of dev — dev F1
//     also picks the best epoch, so it reads a little optimistic; test F1 does not;
//   - at least MIN_MATCHES matches there, else no estimate and the dictionary's spans stay certain.
import { dictionaryPrecisions } from '../dicts/dicts'
import type { WeakLossConfig } from '../../shared/training'
import type { Split } from '../../shared/types'
import type { DB } from '../../store/db'
import type { TrainingExample } from './records'

/** Fewer matches on reviewed titles than this give no precision estimate. */
export const MIN_MATCHES = 20

/**
 * Apply the weak loss's dictionary rules (`softSpans`, `minDictionaryPrecision`) to the dictionary
 * spans of `train` (unreviewed titles of `trainSplit`) that carry no confidence yet, from their
 * dictionary's precision on the reviewed titles of `trainSplit` and `devSplit`. Returns the
 * estimates, by dictionary name (the run records them); null when the config asks for neither.
 */
export function weighDictionarySpans(
  db: DB,
  train: TrainingExample[],
  weak: WeakLossConfig | undefined,
  trainSplit: Split,
  devSplit: Split,
): Record<string, { precision: number; matches: number }> | null {
  if (!weak?.softSpans && weak?.minDictionaryPrecision === undefined) return null
  const splits = [...new Set([trainSplit, devSplit])].filter((s) => s !== 'test')
  const est = dictionaryPrecisions(db, splits, MIN_MATCHES)
  if (!est.size) return {}
  const made = new Map<string, number>()
  for (const r of db
    .prepare(
      `SELECT s.title_id AS id, s.start, s.end, e.name AS type, ds.dictionary_id AS dict FROM spans s
         JOIN dictionary_spans ds ON ds.span_id = s.id JOIN titles t ON t.id = s.title_id JOIN entity_types e ON e.id = s.type_id
        WHERE s.origin = 'dictionary' AND t.split = ?`,
    )
    .all(trainSplit) as { id: number; start: number; end: number; type: string; dict: number }[])
    made.set(`${r.id}:${r.start}:${r.end}:${r.type}`, r.dict)
  const min = weak.minDictionaryPrecision ?? 0
  for (const ex of train) {
    if (ex.reviewed !== false) continue
    ex.spans = ex.spans.filter((s) => {
      if (s.origin !== 'dictionary' || s.confidence !== undefined) return true
      const p = est.get(made.get(`${ex.id}:${s.start}:${s.end}:${s.type}`) ?? -1)
      if (!p) return true
      if (p.precision < min) return false
      if (weak.softSpans) s.confidence = p.precision
      return true
    })
  }
  return Object.fromEntries([...est.values()].map((e) => [e.name, { precision: e.precision, matches: e.matches }]))
}
