// `ner-studio titles | split | imports` — data management from the command line, over
// the same services as the desk's bulk bar and the Project screen's import list.

import { parseArgs } from 'node:util'
import type { TitleQuery } from '../shared/api'
import type { BulkAction } from '../shared/api'
import { ORIGINS, REVIEW_STATUSES, SPLITS, type Origin, type ReviewStatus, type Split } from '../shared/types'
import { bulkTitles, resplit } from '../services/titles/bulk'
import { listImports, undoImport } from '../services/io/imports'
import { Project } from '../services/project/project'
import { UsageError } from './train'

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${v}")`)
  return v as T
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, got "${v}"`)
  return n
}

/**
 * `titles <project> [--split S] [--status S] [--type T] [--origin O] [--search X] [--disagrees-with RUN] [--ids 1,2]
 *  (--mark reviewed|unreviewed | --move-to SPLIT | --delete | --delete-spans ORIGIN) [--dry-run] [--json]`
 */
export function cmdTitles(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      split: { type: 'string' },
      status: { type: 'string' },
      type: { type: 'string' },
      origin: { type: 'string' },
      search: { type: 'string' },
      'disagrees-with': { type: 'string' },
      ids: { type: 'string' },
      mark: { type: 'string' },
      'move-to': { type: 'string' },
      delete: { type: 'boolean' },
      'delete-spans': { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('titles needs <project.sqlite>')
  const actions: BulkAction[] = []
  const mark = oneOf<ReviewStatus>(values.mark, REVIEW_STATUSES, 'mark')
  if (mark) actions.push({ mark })
  const moveTo = oneOf<Split>(values['move-to'], SPLITS, 'move-to')
  if (moveTo) actions.push({ moveTo })
  if (values.delete) actions.push({ deleteTitles: true })
  const spansOf = oneOf<Origin>(values['delete-spans'], ORIGINS, 'delete-spans')
  if (spansOf) actions.push({ deleteSpans: spansOf })
  if (actions.length !== 1) throw new UsageError('titles needs exactly one of --mark reviewed|unreviewed, --move-to SPLIT, --delete, --delete-spans ORIGIN')
  const query: TitleQuery = {}
  const split = oneOf<Split>(values.split, SPLITS, 'split')
  if (split) query.split = split
  const status = oneOf<ReviewStatus>(values.status, REVIEW_STATUSES, 'status')
  if (status) query.status = status
  const origin = oneOf<Origin>(values.origin, ORIGINS, 'origin')
  if (origin) query.origin = origin
  if (values.type !== undefined) query.type = values.type
  if (values.search !== undefined) query.search = values.search
  const run = positiveInt(values['disagrees-with'], 'disagrees-with')
  if (run !== undefined) query.disagreesWith = run
  let ids: number[] | null = null
  if (values.ids !== undefined) {
    if (Object.keys(query).length) throw new UsageError('--ids and filter flags do not go together')
    ids = values.ids.split(',').map((x) => {
      const n = Number(x.trim())
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--ids is a comma-separated list of title ids, got "${x}"`)
      return n
    })
  }
  const project = Project.open(path, values['dry-run'] ? { readonly: true } : {})
  try {
    const r = bulkTitles(project, { target: ids ? { ids } : { query }, action: actions[0]!, dryRun: values['dry-run'] ?? false })
    if (values.json) return void console.log(JSON.stringify(r, null, 2))
    const spans = r.spans ? ` (${r.spans} spans)` : ''
    if (!r.applied) console.log(`${values['dry-run'] ? 'would ' : 'nothing to do: '}${r.label}${spans}; ${r.titles} titles match`)
    else console.log(`${r.label}${spans}; ${r.titles} titles matched (one undo step)`)
  } finally {
    project.close()
  }
}

function fraction(v: string | undefined, flag: string): number {
  if (v === undefined) return 0
  const x = Number(v)
  if (!Number.isFinite(x) || x < 0 || x >= 1) throw new UsageError(`--${flag} must be a fraction in [0, 1), got "${v}"`)
  return x
}

/** `split <project> --from train [--dev 0.1] [--test 0.1] [--seed 1] [--dry-run] [--json]` */
export function cmdSplit(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      dev: { type: 'string' },
      test: { type: 'string' },
      seed: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('split needs <project.sqlite>')
  const from = oneOf<Split>(values.from ?? 'train', SPLITS, 'from')!
  const dev = fraction(values.dev, 'dev')
  const test = fraction(values.test, 'test')
  if (dev + test === 0) throw new UsageError('split needs --dev and/or --test fractions, e.g. --dev 0.1 --test 0.1')
  if (dev + test >= 1) throw new UsageError('--dev + --test must stay below 1')
  const seed = values.seed === undefined ? 1 : Number(values.seed)
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`)
  const project = Project.open(path, values['dry-run'] ? { readonly: true } : {})
  try {
    const r = resplit(project, { from, dev, test, seed, dryRun: values['dry-run'] ?? false })
    if (values.json) return void console.log(JSON.stringify(r, null, 2))
    console.log(`${values['dry-run'] ? 'would ' : ''}${r.label}${r.applied ? ' (one undo step)' : ''}`)
  } finally {
    project.close()
  }
}

/** `imports <project> [--json]` lists; `imports <project> --undo ID [--force]` undoes one. */
export function cmdImports(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, undo: { type: 'string' }, force: { type: 'boolean' } },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('imports needs <project.sqlite>')
  const undo = positiveInt(values.undo, 'undo')
  if (values.force && undo === undefined) throw new UsageError('--force goes with --undo ID')
  const project = Project.open(path, undo === undefined ? { readonly: true } : {})
  try {
    if (undo !== undefined) {
      const r = undoImport(project, { id: undo, force: values.force ?? false })
      if (values.json) return void console.log(JSON.stringify(r, null, 2))
      return void console.log(`undid import ${r.id}: deleted ${r.titles} titles and ${r.spans} spans`)
    }
    const list = listImports(project)
    if (values.json) return void console.log(JSON.stringify(list, null, 2))
    if (list.length === 0) return void console.log('no imports')
    for (const i of list) {
      const when = new Date(i.createdAt).toISOString().replace('T', ' ').slice(0, 19)
      const state = i.undoneAt !== null ? 'undone' : i.undoable ? `${i.remaining} titles in the project, ${i.reviewed} reviewed` : 'not undoable (made before imports were recorded)'
      console.log(`${String(i.id).padStart(4)}  ${when}  ${i.format.padEnd(6)}  ${i.titles} titles, ${i.spans} spans  ${i.file}  [${state}]`)
    }
  } finally {
    project.close()
  }
}
