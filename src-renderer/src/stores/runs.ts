// Model in the loop: presets and training jobs (live, from `train.progress`), the runs
// board, the Evaluate screen's report and drill-down, and pre-annotation. Jobs live in the
// services; this store only mirrors them, so a reopened window shows a running job again.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type {
  EvalCell,
  EvalSummary,
  EvalTitlesResult,
  InferenceProgress,
  PreannotateResult,
  PresetEntry,
  QueueOrder,
  QueueResult,
  RunDetail,
  RunsCompare,
  TrainJob,
  TrainStartRequest,
} from '../../../src-main/shared/runs'
import type { Split } from '../../../src-main/shared/types'
import { call, on } from '../api/client'

export const useRunsStore = defineStore('runs', () => {
  const presets = ref<PresetEntry[]>([])
  const jobs = ref<TrainJob[]>([])
  const runs = ref<RunDetail[]>([])
  const inference = ref<InferenceProgress | null>(null)
  const error = ref<string | null>(null)

  /** The job the Train screen shows: the running one, else the latest of this session. */
  const job = computed<TrainJob | null>(() => jobs.value.find((j) => j.state === 'running') ?? jobs.value[0] ?? null)
  const running = computed(() => jobs.value.some((j) => j.state === 'running'))
  const trainedRuns = computed(() => runs.value.filter((r) => r.hasCheckpoint))

  function fail(e: unknown): void {
    error.value = (e as Error).message
  }

  let subscribed = false
  function subscribe(): void {
    if (subscribed) return
    subscribed = true
    on('train.progress', (p) => {
      const i = jobs.value.findIndex((j) => j.runId === p.runId)
      if (i >= 0) jobs.value[i] = p.job
      else jobs.value.unshift(p.job)
      if (p.event === null || p.event.kind === 'started') void loadRuns().catch(fail)
    })
    on('inference.progress', (p) => {
      inference.value = p.done >= p.total ? null : p
    })
    on('project.changed', (c) => {
      if (c.what === 'runs' || c.what === 'project') void loadRuns().catch(fail)
      if (c.what === 'project') {
        summary.value = null
        drill.value = null
        queue.value = null
      }
    })
  }

  async function loadPresets(): Promise<void> {
    if (!presets.value.length) presets.value = await call('presets.list')
  }
  async function loadJobs(): Promise<void> {
    jobs.value = await call('train.jobs')
  }
  async function loadRuns(): Promise<void> {
    const list = await call('runs.list')
    runs.value = await Promise.all(list.map((r) => call('runs.get', { runId: r.id })))
  }

  async function init(): Promise<void> {
    subscribe()
    await Promise.all([loadPresets(), loadJobs(), loadRuns()])
  }

  async function start(req: TrainStartRequest): Promise<boolean> {
    error.value = null
    try {
      const j = await call('train.start', req)
      if (!jobs.value.some((x) => x.runId === j.runId)) jobs.value.unshift(j)
      return true
    } catch (e) {
      fail(e)
      return false
    }
  }
  async function cancel(runId: number): Promise<void> {
    await call('train.cancel', { runId }).catch(fail)
  }

  // ------------------------------------------------------------------ runs board
  const compare = ref<RunsCompare | null>(null)
  async function compareRuns(a: number, b: number, split: Split): Promise<void> {
    error.value = null
    compare.value = null
    try {
      compare.value = await call('runs.compare', { a, b, split })
    } catch (e) {
      fail(e)
    }
  }

  // ------------------------------------------------------------------ evaluate
  const evalRunId = ref<number | null>(null)
  const evalSplit = ref<Split>('test')
  /** Whether the analyst chose the split (then a default never overrides it). */
  let evalSplitChosen = false

  /** The first of test, dev, train, none that holds titles: Evaluate and Compare never default to an empty split. */
  async function splitWithTitles(): Promise<Split> {
    const c = await call('titles.counts', {})
    return (['test', 'dev', 'train', 'none'] as const).find((s) => c.bySplit[s] > 0) ?? 'test'
  }
  async function defaultEvalSplit(): Promise<void> {
    if (!evalSplitChosen) evalSplit.value = await splitWithTitles()
  }
  function chooseEvalSplit(s: Split): void {
    evalSplitChosen = true
    evalSplit.value = s
  }
  const summary = ref<EvalSummary | null>(null)
  const evaluating = ref(false)
  const drill = ref<{ cell: EvalCell; label: string; result: EvalTitlesResult } | null>(null)

  async function evaluate(): Promise<void> {
    if (evalRunId.value === null) return
    error.value = null
    evaluating.value = true
    drill.value = null
    try {
      summary.value = await call('eval.run', { runId: evalRunId.value, split: evalSplit.value })
    } catch (e) {
      summary.value = null
      fail(e)
    } finally {
      evaluating.value = false
    }
  }
  async function open(cell: EvalCell, label: string): Promise<void> {
    if (!summary.value) return
    error.value = null
    try {
      const result = await call('eval.titles', { runId: summary.value.runId, split: summary.value.split, cell, limit: 300 })
      drill.value = { cell, label, result }
    } catch (e) {
      fail(e)
    }
  }

  // ------------------------------------------------------------------ pre-annotate
  const preRunId = ref<number | null>(null)
  const preResult = ref<PreannotateResult | null>(null)
  const preannotating = ref(false)
  const queue = ref<QueueResult | null>(null)

  async function preannotate(split: Split | '', minConfidence: number, limit: number): Promise<void> {
    if (preRunId.value === null) return
    error.value = null
    preannotating.value = true
    try {
      preResult.value = await call('preannotate.run', {
        runId: preRunId.value,
        ...(split ? { split } : {}),
        minConfidence,
        ...(limit > 0 ? { limit } : {}),
      })
      await loadQueue()
    } catch (e) {
      fail(e)
    } finally {
      preannotating.value = false
    }
  }
  /** The queue's order as picked. */
  const queueOrder = ref<QueueOrder>('least-confident')
  /** The order in force: the orders read from a run's predictions need a run, so without one it is least-confident. */
  const orderInForce = computed<QueueOrder>(() => (preRunId.value !== null ? queueOrder.value : 'least-confident'))
  async function loadQueue(): Promise<void> {
    const run = preRunId.value !== null ? { runId: preRunId.value } : {}
    queue.value = await call('preannotate.queue', { ...run, order: orderInForce.value, limit: 100 })
  }

  return {
    presets, jobs, runs, job, running, trainedRuns, inference, error,
    init, loadRuns, loadJobs, start, cancel,
    compare, compareRuns,
    evalRunId, evalSplit, summary, evaluating, drill, evaluate, open, splitWithTitles, defaultEvalSplit, chooseEvalSplit,
    preRunId, preResult, preannotating, queue, queueOrder, orderInForce, preannotate, loadQueue,
  }
})
