// Model in the loop: presets, run details and comparison, evaluation with drill-down,
// pre-annotation and its review queue.
//
// Inference (evaluate, pre-annotate) runs in THIS process in small awaited batches (32 titles,
// then a macrotask yield), so the server's event loop answers other requests and pushes progress
// between batches; the model is loaded once per call. It is tfjs on the wasm/cpu backend here —
// predictions are a forward pass, tens of milliseconds per batch with the BiLSTM presets.

import { classifySpans } from '../../ml/eval'
import { configParts, listPresets, presetConfig } from '../../ml/models/presets'
import { autoConfig, autoPartsInfo } from '../../ml/models/auto'
import { StudioError } from '../../shared/errors'
import type { PlainSpan } from '../../shared/tags'
import { parseWords } from '../../shared/text'
import type {
  EvalCell,
  EvalTitle,
  EvalTitlesResult,
  PreannotateRequest,
  PreannotateResult,
  PresetEntry,
  QueueOrder,
  QueueQuery,
  QueueResult,
  RunDetail,
  RunsCompare,
} from '../../shared/runs'
import { QUEUE_ORDERS } from '../../shared/runs'
import { AUTO_PRESET, type DecodeBiasOutcome, type ModelConfig, type PRF, type SelfTrainingOutcome, type TrainConfig } from '../../shared/training'
import type { RunRecord, Split } from '../../shared/types'
import { SPLITS } from '../../shared/types'
import { writeTransaction, type DB } from '../../store/db'
import type { Project } from '../project/project'
import { getRunRow, savePredictions, selectExamples, type TrainingExample } from './records'
import { evaluateRun, storedEvaluation, type Progress } from './evaluate'
import { predictBatched, type InferenceOptions } from './inference'
import { runCheckpoint } from './training'


// ------------------------------------------------------------------ presets

export function presetsList(): PresetEntry[] {
  // Every preset can be trained from the studio; the BERT ones (needsBert) also take the folder of a
  // pre-trained encoder, which train.start validates before the job starts.
  const auto: PresetEntry = {
    name: AUTO_PRESET,
    description: 'The studio’s recipe (default): the parts below, each used when the project’s data calls for it; the run records which ran.',
    available: true,
    // the model settings come from the parts when training starts; epochs, batch size… apply as set here
    config: autoConfig({ reviewed: 1, weak: 0, unlabelled: 0, types: 0 }),
    parts: autoPartsInfo(),
  }
  return [auto, ...listPresets({ bert: true }).map((p) => ({ ...p, config: presetConfig(p.name) }))]
}

/** What a run's recipe was made of: auto's parts, or the preset plus any weak-loss / self-training settings; and the run it continued from. */
function runParts(config: Record<string, unknown>, preset: string): string[] {
  const c = config as Partial<TrainConfig>
  const model = c.model ? configParts(c.model as ModelConfig) : []
  const from = typeof (config as { from?: unknown }).from === 'number' ? [`continued from run ${(config as { from: number }).from}`] : []
  if (c.recipe?.parts) return [...c.recipe.parts.map((p) => p.label), ...model, ...from]
  return [...from, preset, ...model, ...(c.weakLoss ? [c.weakLoss.partial ? `partial CRF (ρ ${c.weakLoss.unknownEntityPrior})` : 'origin weights'] : []), ...(c.weakLoss?.softSpans ? ['soft spans'] : []), ...(c.weakLoss?.minDictionaryPrecision !== undefined ? [`dictionaries ≥ ${c.weakLoss.minDictionaryPrecision} precise`] : []), ...(c.selfTraining ? [`self-training (${c.selfTraining.rounds} round)`] : []), ...(c.tuneDecodeBias ? ['decoding tuned on dev'] : [])]
}

/** The Runs board's line on what self-training did (a kept round changed the model; one not kept did not). */
export function selfTrainingLine(o: SelfTrainingOutcome | undefined): string | null {
  if (!o) return null
  if (o.roundsRun === 0) return 'self-training: no round run (no title to label, or none labelled confidently enough)'
  const labelled = `${o.pseudoTitles.toLocaleString('en-US')} titles labelled by the model, ${o.pseudoSpans.toLocaleString('en-US')} spans`
  if (o.roundsKept === 0) return `self-training: not kept (${labelled}; dev F1 did not improve)`
  return `self-training: ${o.roundsKept} of ${o.roundsRun} round${o.roundsRun === 1 ? '' : 's'} kept (last round: ${labelled})`
}

/** The Runs board's line on the decode bias chosen on dev (a bias of 0 changed nothing). */
export function decodeBiasLine(o: DecodeBiasOutcome | undefined): string | null {
  if (!o) return null
  const f1 = (x: number): string => (x * 100).toFixed(1)
  if (o.bias === 0) return `decoding: no O bias pays on dev (dev F1 ${f1(o.devF1)})`
  return `decoding: O bias ${o.bias} chosen on dev (dev F1 ${f1(o.devF1Before)} → ${f1(o.devF1)})`
}

// ------------------------------------------------------------------ runs

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null
}

export function runDetail(r: RunRecord): RunDetail {
  const data = (r.config.data ?? {}) as Record<string, unknown>
  const m = (r.metrics ?? {}) as Record<string, unknown>
  const epochs = Array.isArray(m.epochs) ? (m.epochs as { seconds?: number; dev?: PRF }[]) : []
  const timed = epochs.filter((e) => typeof e.seconds === 'number')
  const spe = num(r.timings?.secondsPerEpoch) ?? (timed.length ? timed.reduce((a, e) => a + e.seconds!, 0) / timed.length : null)
  const speeds = epochs.map((e) => num((e as { charsPerSec?: unknown }).charsPerSec)).filter((x): x is number => x !== null)
  const wall = r.finishedAt && r.startedAt ? (r.finishedAt - r.startedAt) / 1000 : null
  let best = (m.best as PRF | undefined) ?? null
  if (!best) for (const e of epochs) if (e.dev && (!best || e.dev.f1 > best.f1)) best = e.dev
  const evaluations: RunDetail['evaluations'] = {}
  const ev = (m.evaluations ?? {}) as Record<string, { micro?: PRF; titles?: number }>
  for (const s of SPLITS) {
    const e = ev[s]
    if (e?.micro) evaluations[s] = { precision: e.micro.precision, recall: e.micro.recall, f1: e.micro.f1, ...(e.titles !== undefined ? { titles: e.titles } : {}) }
  }
  return {
    ...r,
    trainExamples: num(data.train),
    devExamples: num(data.dev),
    epochsRun: epochs.filter((e) => e.seconds !== undefined).length,
    secondsPerEpoch: spe,
    seconds: num(r.timings?.seconds) ?? wall,
    charsPerSec: speeds.length ? speeds.reduce((a, c) => a + c, 0) / speeds.length : null,
    workers: num(r.timings?.workers),
    best,
    parts: runParts(r.config, r.preset),
    selfTraining: selfTrainingLine(m.selfTraining as SelfTrainingOutcome | undefined),
    decoding: decodeBiasLine(m.decodeBias as DecodeBiasOutcome | undefined),
    evaluations,
  }
}

export function getRun(p: Project, runId: number): RunDetail {
  const r = p.listRuns().find((x) => x.id === runId)
  if (!r) throw new StudioError('not_found', `no run with id ${runId}`)
  return runDetail(r)
}


export async function compareRuns(p: Project, a: number, b: number, split: Split = 'test', onProgress?: Progress): Promise<RunsCompare> {
  const ea = storedEvaluation(p.db, a, split) ?? (await evaluateRun(p.db, a, split, onProgress)).summary
  const eb = storedEvaluation(p.db, b, split) ?? (await evaluateRun(p.db, b, split, onProgress)).summary
  const types = [...new Set([...ea.perType.map((t) => t.type), ...eb.perType.map((t) => t.type)])]
  const rows = types
    .map((type) => ({ type, a: ea.perType.find((t) => t.type === type) ?? null, b: eb.perType.find((t) => t.type === type) ?? null }))
    .sort((x, y) => Math.max(y.a?.support ?? 0, y.b?.support ?? 0) - Math.max(x.a?.support ?? 0, x.b?.support ?? 0))
  return { a: getRun(p, a), b: getRun(p, b), split, types: rows, microA: ea.micro, microB: eb.micro }
}

// ------------------------------------------------------------------ evaluation + drill-down

/** The stored predictions of a run for these titles (as eval.run or pre-annotate saved them). */
function storedPredictions(db: DB, runId: number): Map<number, PlainSpan[]> {
  const rows = db.prepare('SELECT title_id, spans FROM predictions WHERE run_id = ?').all(runId) as { title_id: number; spans: string }[]
  return new Map(rows.map((r) => [r.title_id, JSON.parse(r.spans) as PlainSpan[]]))
}

/** Exactly the titles of one Evaluate cell, with gold and predicted spans side by side. */
export function evalTitles(db: DB, runId: number, split: Split, cell: EvalCell, limit = 200): EvalTitlesResult {
  getRunRow(db, runId)
  if (!cell || typeof cell !== 'object') throw new StudioError('bad_request', 'eval.titles needs a cell')
  const examples: TrainingExample[] = selectExamples(db, split, 'all')
  const preds = storedPredictions(db, runId)
  const status = new Map(
    (db.prepare('SELECT id, status FROM titles WHERE split = ?').all(split) as { id: number; status: 'unreviewed' | 'reviewed' }[]).map((r) => [r.id, r.status]),
  )
  let count = 0
  let total = 0
  const titles: EvalTitle[] = []
  let predicted = 0
  for (const e of examples) {
    const pred = preds.get(e.id)
    if (!pred) continue
    predicted++
    const hits = cellHits(e.spans, pred, cell)
    if (!hits.length) continue
    count += hits.length
    total++
    if (titles.length < limit) titles.push({ id: e.id, text: e.text, status: status.get(e.id) ?? 'unreviewed', gold: e.spans, pred, hits })
  }
  if (predicted === 0 && examples.length > 0) throw new StudioError('bad_request', `run ${runId} has not been evaluated on split "${split}" yet (eval.run first)`)
  return { count, titles, total }
}

export function cellHits(gold: readonly PlainSpan[], pred: readonly PlainSpan[], cell: EvalCell): EvalTitle['hits'] {
  const c = classifySpans(gold, pred)
  const out: EvalTitle['hits'] = []
  const g = (s: PlainSpan): void => void out.push({ start: s.start, end: s.end, type: s.type, side: 'gold' })
  const p = (s: PlainSpan): void => void out.push({ start: s.start, end: s.end, type: s.type, side: 'pred' })
  const exact = (s: PlainSpan): boolean => gold.some((x) => x.start === s.start && x.end === s.end && x.type === s.type)
  if (cell.gold !== undefined || cell.pred !== undefined) {
    pred.forEach((s, k) => {
      const m = c.predGold[k]
      if (m && (cell.gold === undefined || m.type === cell.gold) && (cell.pred === undefined || s.type === cell.pred)) p(s)
    })
    return out
  }
  if (cell.bucket) {
    if (cell.bucket === 'missed') gold.forEach((s, k) => c.missed[k] && (cell.type === undefined || s.type === cell.type) && g(s))
    else pred.forEach((s, k) => c.pred[k] === cell.bucket && (cell.type === undefined || s.type === cell.type) && p(s))
    return out
  }
  const t = cell.type
  const ofType = (s: PlainSpan): boolean => t === undefined || s.type === t
  switch (cell.metric ?? 'errors') {
    case 'support':
      gold.filter(ofType).forEach(g)
      break
    case 'predicted':
      pred.filter(ofType).forEach(p)
      break
    case 'correct':
      pred.filter((s) => ofType(s) && exact(s)).forEach(p)
      break
    case 'errors': {
      const predKeys = new Set(pred.map((s) => `${s.start}:${s.end}:${s.type}`))
      gold.filter((s) => ofType(s) && !predKeys.has(`${s.start}:${s.end}:${s.type}`)).forEach(g)
      pred.filter((s) => ofType(s) && !exact(s)).forEach(p)
      break
    }
  }
  return out
}

// ------------------------------------------------------------------ pre-annotation

/**
 * Run a model over unreviewed titles and store its spans as origin `model` with run id and
 * confidence. Never touches gold/weak/dictionary spans and never overlaps them: a predicted span
 * that would is left out. Earlier model spans of these titles are replaced. Like an import, this
 * is not an undoable edit; accepting or rejecting its spans is (one history entry each).
 */
export async function preannotate(p: Project, req: PreannotateRequest, onProgress?: Progress, o: InferenceOptions = {}): Promise<PreannotateResult> {
  const db = p.db
  const runId = req.runId
  getRunRow(db, runId)
  const min = req.minConfidence ?? 0
  const params: unknown[] = []
  let where = "status = 'unreviewed'"
  if (req.split) {
    where += ' AND split = ?'
    params.push(req.split)
  }
  const limit = req.limit && req.limit > 0 ? ` LIMIT ${Math.floor(req.limit)}` : ''
  const titles = db.prepare(`SELECT id, text, words FROM titles WHERE ${where} ORDER BY id${limit}`).all(...params) as { id: number; text: string; words: string | null }[]
  const preds = await predictBatched(
    runCheckpoint(db, runId),
    titles.map((t) => (t.words ? { text: t.text, words: parseWords(t.words)! } : { text: t.text })),
    (done, total) => onProgress?.({ runId, what: 'pre-annotate', done, total }),
    o,
  )
  const result: PreannotateResult = { runId, titles: titles.length, spans: 0, skippedOverlap: 0, skippedLowConfidence: 0, replaced: 0 }
  const typeId = p.typeIds()
  writeTransaction(db, () => {
    const del = db.prepare("DELETE FROM spans WHERE title_id = ? AND origin = 'model'")
    const others = db.prepare("SELECT start, end FROM spans WHERE title_id = ? AND origin != 'model'")
    const status = db.prepare('SELECT status FROM titles WHERE id = ?')
    const ins = db.prepare(
      "INSERT INTO spans (title_id, start, end, type_id, origin, run_id, confidence, created_at) VALUES (?, ?, ?, ?, 'model', ?, ?, ?)",
    )
    const now = Date.now()
    titles.forEach((t, i) => {
      // A title reviewed while the model ran is left alone.
      if ((status.get(t.id) as { status: string } | undefined)?.status !== 'unreviewed') return
      result.replaced += del.run(t.id).changes
      const taken = others.all(t.id) as { start: number; end: number }[]
      for (const s of preds[i]!.spans) {
        if (s.confidence < min) {
          result.skippedLowConfidence++
          continue
        }
        if (taken.some((x) => x.start < s.end && s.start < x.end)) {
          result.skippedOverlap++
          continue
        }
        ins.run(t.id, s.start, s.end, typeId(s.type), runId, s.confidence, now)
        taken.push(s)
        result.spans++
      }
    })
    savePredictions(
      db,
      runId,
      titles.map((t, i) => ({
        titleId: t.id,
        spans: preds[i]!.spans.map((s) => ({ start: s.start, end: s.end, type: s.type, confidence: s.confidence })),
        uncertainty: preds[i]!.entropy,
        logProb: preds[i]!.logProb,
      })),
    )
  })
  return result
}

/**
 * The orders that rank every title a run pre-annotated (with or without model spans) by a
 * title-level score of its stored prediction, most uncertain first.
 * - 'entropy': total token entropy of the tag distribution (nats).
 * - 'sequence': the sequence-level least confidence 1 − P(ŷ | x) of the predicted tag path
 *   (Culotta & McCallum 2005): log P ascending.
 * - 'mnlp': Shen et al.'s (2017) maximum normalised log-probability, −log P(ŷ | x) / n with n the
 *   title's characters (code points): log P / n ascending.
 */
const PREDICTION_ORDERS: Record<Exclude<QueueOrder, 'least-confident'>, { needs: string; key: string }> = {
  entropy: { needs: 'p.uncertainty', key: 'p.uncertainty DESC' },
  sequence: { needs: 'p.log_prob', key: 'p.log_prob ASC' },
  mnlp: { needs: 'p.log_prob', key: 'p.log_prob / max(1, length(t.text)) ASC' },
}

/**
 * The Pre-annotate queue: unreviewed titles in the order a reviewer should take them — the one
 * definition of uncertainty, which `simulate` measures.
 * - 'least-confident' (default): titles with model spans, by their least confident span first.
 * - 'entropy', 'sequence', 'mnlp' (`PREDICTION_ORDERS`): every unreviewed title the run
 *   pre-annotated, by a score of its whole prediction; need `runId`.
 */
export function preannotateQueue(db: DB, q: QueueQuery = {}): QueueResult {
  const params: unknown[] = []
  let run = ''
  if (q.runId !== undefined) {
    run = ' AND s.run_id = ?'
    params.push(q.runId)
  }
  const limit = Math.min(Math.max(1, q.limit ?? 50), 1000)
  const offset = Math.max(0, q.offset ?? 0)
  const order = q.order ?? 'least-confident'
  let total: number
  let items: Omit<QueueResult['items'][number], 'spans'>[]
  if (order === 'least-confident') {
    const base = `FROM spans s JOIN titles t ON t.id = s.title_id
       WHERE s.origin = 'model' AND t.status = 'unreviewed'${run}`
    total = (db.prepare(`SELECT count(DISTINCT s.title_id) AS n ${base}`).get(...params) as { n: number }).n
    items = db
      .prepare(
        `SELECT t.id, t.text, min(coalesce(s.confidence, 0)) AS minConfidence, avg(coalesce(s.confidence, 0)) AS meanConfidence, count(*) AS modelSpans
         ${base} GROUP BY t.id ORDER BY minConfidence ASC, t.id ASC LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset) as typeof items
  } else if (Object.hasOwn(PREDICTION_ORDERS, order)) {
    const o = PREDICTION_ORDERS[order]
    if (q.runId === undefined) throw new StudioError('bad_request', `the queue's ${order} order needs a run id`)
    const base = `FROM predictions p JOIN titles t ON t.id = p.title_id
       WHERE p.run_id = ? AND t.status = 'unreviewed' AND ${o.needs} IS NOT NULL`
    total = (db.prepare(`SELECT count(*) AS n ${base}`).get(q.runId) as { n: number }).n
    items = db
      .prepare(
        `SELECT t.id, t.text, coalesce(min(s.confidence), 0) AS minConfidence, coalesce(avg(s.confidence), 0) AS meanConfidence,
                count(s.id) AS modelSpans, p.uncertainty AS entropy, p.log_prob AS logProb
         ${base.replace('WHERE', "LEFT JOIN spans s ON s.title_id = t.id AND s.origin = 'model' AND s.run_id = p.run_id WHERE")}
         GROUP BY t.id ORDER BY ${o.key}, t.id ASC LIMIT ? OFFSET ?`,
      )
      .all(q.runId, limit, offset) as typeof items
    // a column that is NULL for this run (a model without the score) is left out, not sent as null
    for (const i of items as (Partial<Record<'entropy' | 'logProb', number | null>>)[]) {
      if (i.entropy === null) delete i.entropy
      if (i.logProb === null) delete i.logProb
    }
  } else {
    throw new StudioError('bad_request', `unknown queue order "${String(order)}" (${QUEUE_ORDERS.join(', ')})`)
  }
  const spansOf = db.prepare(
    `SELECT s.id, s.start, s.end, e.name AS type, coalesce(s.confidence, 0) AS confidence FROM spans s JOIN entity_types e ON e.id = s.type_id
      WHERE s.title_id = ? AND s.origin = 'model'${run} ORDER BY s.start`,
  )
  const runArg = q.runId !== undefined ? [q.runId] : []
  const waiting = db
    .prepare(
      `SELECT s.run_id AS runId, count(*) AS spans, count(DISTINCT s.title_id) AS titles FROM spans s JOIN titles t ON t.id = s.title_id
        WHERE s.origin = 'model' AND t.status = 'unreviewed' AND s.run_id IS NOT NULL GROUP BY s.run_id ORDER BY s.run_id DESC`,
    )
    .all() as QueueResult['waiting']
  return { total, items: items.map((i) => ({ ...i, spans: spansOf.all(i.id, ...runArg) as QueueResult['items'][number]['spans'] })), waiting }
}
