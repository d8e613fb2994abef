import type { runsRequests } from '../../shared/api'
import type { Handlers } from '../context'
import { evaluateRun } from './evaluate'
import { compareRuns, evalTitles, getRun, preannotate, preannotateQueue, presetsList } from './evaluation'

export const runsHandlers: Handlers<typeof runsRequests> = {
  'presets.list': () => presetsList(),
  'train.start': (req, cx) => cx.jobs.start(cx.writable().db, req),
  'train.cancel': ({ runId }, cx) => cx.jobs.cancel(runId),
  'train.jobs': (_, cx) => cx.jobs.list(),
  'runs.list': (_, cx) => cx.project().listRuns(),
  'runs.get': ({ runId }, cx) => getRun(cx.project(), runId),
  'runs.compare': ({ a, b, split }, cx) =>
    cx.infer('comparing runs', async (progress) => cx.changed('runs', await compareRuns(cx.project(), a, b, split ?? 'test', progress))),
  'eval.run': ({ runId, split }, cx) =>
    cx.infer('an evaluation', async (progress) => cx.changed('runs', (await evaluateRun(cx.project().db, runId, split ?? 'test', progress)).summary)),
  'eval.titles': ({ runId, split, cell, limit }, cx) => evalTitles(cx.project().db, runId, split, cell, limit),
  'preannotate.run': (req, cx) =>
    cx.infer('a pre-annotation', async (progress) => cx.changed('spans', await preannotate(cx.writable(), req, progress))),
  'preannotate.accept': (sel, cx) => {
    const r = cx.writable().acceptModelSpans(sel)
    return cx.changed('spans', r, r.titleIds)
  },
  'preannotate.reject': (sel, cx) => {
    const r = cx.writable().rejectModelSpans(sel)
    return cx.changed('spans', r, r.titleIds)
  },
  'preannotate.queue': (q, cx) => preannotateQueue(cx.project().db, q ?? {}),
  'preannotate.count': (sel, cx) => cx.project().countModelSpans(sel),
}
