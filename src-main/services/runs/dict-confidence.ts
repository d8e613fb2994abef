// Soft dictionary spans (`weakLoss.softSpans`): each dictionary span of the training titles gets its
// dictionary's estimated precision as its confidence, so a dictionary that is right one match in
// twenty teaches one twentieth of a span. Where the estimate comes from is a rule of its own:
//   - reviewed titles of the run's train and dev splits, never of test (test scores the run);
//   - with no reviewed train titles that is the dev split alone: a Snorkel-style use of dev — dev F1
//     also picks the best epoch, so it reads a little optimistic; test F1 does not;
//   - at least MIN_MATCHES matches there, else no estimate and the dictionary's spans stay certain.
import { dictionaryPrecisions } from '../dicts/dicts'
import type { Split } from '../../shared/types'
import type { DB } from '../../store/db'
import type { TrainingExample } from './records'

/** Fewer matches on reviewed titles than this give no precision estimate. */
export const MIN_MATCHES = 20

/**
 * Set `confidence` on the dictionary spans of `train` (unreviewed titles of `trainSplit`) that have
 * none, from their dictionary's precision on the reviewed titles of `trainSplit` and `devSplit`.
 * Returns the estimates used, by dictionary name (the run records them).
 */
export function softenDictionarySpans(db: DB, train: TrainingExample[], trainSplit: Split, devSplit: Split): Record<string, { precision: number; matches: number }> {
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
  for (const ex of train) {
    if (ex.reviewed !== false) continue
    for (const s of ex.spans) {
      if (s.origin !== 'dictionary' || s.confidence !== undefined) continue
      const p = est.get(made.get(`${ex.id}:${s.start}:${s.end}:${s.type}`) ?? -1)
      if (p) s.confidence = p.precision
    }
  }
  return Object.fromEntries([...est.values()].map((e) => [e.name, { precision: e.precision, matches: e.matches }]))
}
