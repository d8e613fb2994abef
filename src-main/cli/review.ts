// `ner-studio pre-annotate | queue | accept` — the model-in-the-loop flow from the command line,
// over the same services the Pre-annotate screen uses (services/runs/evaluation.ts, Project).

import { parseArgs } from 'node:util'
import { QUEUE_ORDERS, QUEUE_ORDER_TEXT, type ModelSpanSelector, type QueueOrder } from '../shared/runs'
import { SPLITS, type Split } from '../shared/types'
import { preannotate, preannotateQueue } from '../services/runs/evaluation'
import { Project } from '../services/project/project'
import { ProgressBar } from './progress'
import { int, UsageError } from './train'

function runArg(v: string | undefined, cmd: string, required = true): number | undefined {
  if (v === undefined) {
    if (required) throw new UsageError(`${cmd} needs --run <id>`)
    return undefined
  }
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--run must be a run id, got "${v}"`)
  return n
}

function confidence(v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const x = Number(v)
  if (!Number.isFinite(x) || x < 0 || x > 1) throw new UsageError(`--min-confidence must be between 0 and 1, got "${v}"`)
  return x
}

function split(v: string | undefined): Split | undefined {
  if (v === undefined) return undefined
  if (!(SPLITS as readonly string[]).includes(v)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}`)
  return v as Split
}

/** `pre-annotate <project> --run ID [--split S] [--min-confidence X] [--limit N] [--json]` */
export async function cmdPreannotate(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { run: { type: 'string' }, split: { type: 'string' }, 'min-confidence': { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, workers: { type: 'string' } },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('pre-annotate needs <project.sqlite>')
  const workers = int(values.workers, 'workers')
  const runId = runArg(values.run, 'pre-annotate')!
  const min = confidence(values['min-confidence'])
  const s = split(values.split)
  const limit = values.limit === undefined ? undefined : Number(values.limit)
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit must be a positive integer')
  const project = Project.open(path)
  const bar = new ProgressBar('pre-annotate')
  try {
    const r = await preannotate(
      project,
      { runId, ...(s ? { split: s } : {}), ...(min !== undefined ? { minConfidence: min } : {}), ...(limit ? { limit } : {}) },
      (p) => bar.update(p.done, p.total, `${p.done} titles`),
      workers !== undefined ? { workers } : {},
    )
    bar.end()
    if (values.json) return void console.log(JSON.stringify(r, null, 2))
    console.log(
      `run ${runId}: ${r.spans} model spans on ${r.titles} unreviewed titles` +
        ` (${r.skippedOverlap} left out over existing spans, ${r.skippedLowConfidence} under the confidence threshold, ${r.replaced} earlier model spans replaced)`,
    )
  } finally {
    bar.end()
    project.close()
  }
}

/** `queue <project> [--run ID] [--order O] [--limit N] [--json]`: unreviewed titles in an uncertainty order (least-confident by default). */
export function cmdQueue(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { run: { type: 'string' }, order: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('queue needs <project.sqlite>')
  const runId = runArg(values.run, 'queue', false)
  const order = (values.order ?? 'least-confident') as QueueOrder
  if (!QUEUE_ORDERS.includes(order)) throw new UsageError(`--order must be one of ${QUEUE_ORDERS.join(', ')}`)
  if (order !== 'least-confident' && !runId) throw new UsageError(`--order ${order} reads one run's predictions: give --run <id>`)
  const project = Project.open(path, { readonly: true })
  try {
    const q = preannotateQueue(project.db, { ...(runId ? { runId, order } : {}), limit: values.limit ? Number(values.limit) : 20 })
    if (values.json) return void console.log(JSON.stringify(q, null, 2))
    const what = order === 'least-confident' ? 'with model spans' : `run ${runId} pre-annotated`
    console.log(`${q.total} unreviewed titles ${what}, ${QUEUE_ORDER_TEXT[order].first}:`)
    for (const i of q.items) {
      const score = order === 'entropy' ? `entropy ${i.entropy?.toFixed(3) ?? '-'}` : order === 'least-confident' ? `min ${i.minConfidence.toFixed(3)}` : `log P ${i.logProb?.toFixed(3) ?? '-'}`
      console.log(`  ${String(i.id).padStart(7)}  ${score}  ${i.text}`)
    }
  } finally {
    project.close()
  }
}

/** `accept <project> --type T [--min-confidence X] [--run ID]`: model spans of a type become gold (one undoable edit). */
export function cmdAccept(argv: string[], reject = false): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { type: { type: 'string' }, title: { type: 'string' }, run: { type: 'string' }, 'min-confidence': { type: 'string' }, below: { type: 'string' } },
  })
  const [path] = positionals
  const cmd = reject ? 'reject' : 'accept'
  if (!path || positionals.length > 1) throw new UsageError(`${cmd} needs <project.sqlite>`)
  let sel: ModelSpanSelector
  if (values.title !== undefined) sel = { titleId: Number(values.title) }
  else if (values.type !== undefined) {
    const runId = runArg(values.run, cmd, false)
    const below = confidence(values.below)
    if (below !== undefined && values['min-confidence'] !== undefined) throw new UsageError('--below and --min-confidence do not go together')
    const min = below ?? confidence(values['min-confidence'])
    sel = { type: values.type, ...(min !== undefined ? { minConfidence: min } : {}), ...(below !== undefined ? { below: true } : {}), ...(runId ? { runId } : {}) }
  } else throw new UsageError(`${cmd} needs --type T [--min-confidence X] or --title ID`)
  const project = Project.open(path)
  try {
    const r = reject ? project.rejectModelSpans(sel) : project.acceptModelSpans(sel)
    console.log(`${reject ? 'rejected' : 'accepted'} ${r.changed} model spans in ${r.titleIds.length} titles`)
  } finally {
    project.close()
  }
}
