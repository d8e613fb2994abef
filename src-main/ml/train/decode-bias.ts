/**
 * The decode bias, chosen on dev (`TrainConfig.tuneDecodeBias`). A tagger trained where most
 * characters are O learns to say O when unsure, and its spans come out precise but too few: on
 * Ding gold `auto` scored P 79 / R 49 at one seed. Subtracting a bias b from the O tag's score
 * before the path is chosen (ModelConfig.decodeBias) trades precision for recall; the trade is
 * worth it up to a point and then breaks spans apart (dev F1 on Ding: 57.9 at 0, 61.2 at 0.5,
 * 47.9 at 1.5; bench/results/quality.md); on dictionary labels, where recall is what is missing,
 * the best bias is larger (Ding's gazetteers: 1.5 at the top of a grid that ended there, 2 once it
 * went on to 3). The rule: the bias of `DECODE_BIAS_GRID` with the
 * highest dev F1, the smallest one on a tie (0 first: a model already balanced is left alone).
 * Each dev batch is encoded and its tag logits computed once, then decoded at every bias (predict.ts
 * `predictAtBiases`); what is left per bias is the Viterbi: ~2.3 ms a title at 801 tags (seed-sample).
 */
import type { DecodeBiasOutcome, Example } from '../../shared/training'
import { evaluate, type EvalReport } from '../eval'
import type { Tagger } from '../models/tagger'
import { predictAtBiases } from '../predict'

/** The biases tried, in order (nats subtracted from O's score). */
export const DECODE_BIAS_GRID: readonly number[] = [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 1, 1.25, 1.5, 2, 2.5, 3]

/** The best bias on `dev` for `model` (not applied: the caller keeps or applies it), with the dev report at it. */
export async function tuneDecodeBias(model: Tagger, dev: readonly Example[], grid: readonly number[] = DECODE_BIAS_GRID): Promise<DecodeBiasOutcome & { report: EvalReport }> {
  if (!grid.length || grid[0] !== 0) throw new Error('the decode-bias grid starts at 0')
  if (model.pointer) throw new Error('the span head has no O tag to bias')
  const t0 = performance.now()
  const byBias = await predictAtBiases(model, dev, grid)
  const gold = dev.map((e) => e.spans)
  const texts = dev.map((e) => e.text)
  const reports = byBias.map((preds) =>
    evaluate(
      gold,
      preds.map((p) => p.spans),
      texts,
    ),
  )
  // strictly better only: on a tie the earlier grid value stays (DECODE_BIAS_GRID rises from 0: the smaller bias)
  let best = 0
  reports.forEach((r, j) => {
    if (r.micro.f1 > reports[best]!.micro.f1) best = j
  })
  const report = reports[best]!
  return { bias: grid[best]!, devF1Before: reports[0]!.micro.f1, devF1: report.micro.f1, seconds: Math.round((performance.now() - t0) / 100) / 10, report }
}
