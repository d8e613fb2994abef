// The open project: app info, project info, statistics, recent projects, import, which screen shows.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo, ImportProgress, ImportRequest, ImportSummary, ProjectInfo, RecentProject } from '../../../src-main/shared/api'
import type { ProjectStats } from '../../../src-main/shared/types'
import { call, EDITOR_CLIENT, on, showProject } from '../api/client'
import { useTitlesStore } from './titles'
import { useTypesStore } from './types'
import { useEditorStore } from './editor'
import { useWeakStore } from './weak'
import { useReviewStore } from './review'
import type { Screen } from '../../../src-main/shared/screens'

export type View = Screen

export const useProjectStore = defineStore('project', () => {
  const app = ref<AppInfo | null>(null)
  const info = ref<ProjectInfo | null>(null)
  const stats = ref<ProjectStats | null>(null)
  const recent = ref<RecentProject[]>([])
  const importProgress = ref<ImportProgress | null>(null)
  const importing = ref(false)
  const importResult = ref<ImportSummary | null>(null)
  const importError = ref<string | null>(null)
  const error = ref<string | null>(null)
  const notice = ref<string | null>(null)
  const ready = ref(false)
  const view = ref<View>('annotate')

  function fail(e: unknown): void {
    error.value = (e as Error).message
  }

  let noticeTimer: ReturnType<typeof setTimeout> | undefined
  function say(msg: string): void {
    notice.value = msg
    clearTimeout(noticeTimer)
    noticeTimer = setTimeout(() => (notice.value = null), 4000)
  }

  async function loadStats(): Promise<void> {
    if (info.value) stats.value = await call('project.stats')
  }

  /** Set while this window opens a project itself (the switch then needs no explanation). */
  let opening = 0
  /** The title to show again after the same file was reopened under this window. */
  let reopen: number | null = null

  /**
   * Adopt the open project: when it is another one (or another opening of it) than this window
   * shows, drop the old title, list and types in the same step as the window starts naming the new
   * one — an edit of the old view can then never reach the new project (shared/session.ts).
   */
  function adopt(next: ProjectInfo | null): void {
    if ((next?.session ?? null) === (info.value?.session ?? null)) {
      info.value = next
      showProject(next?.session ?? null)
      return
    }
    const before = info.value
    // The same file opened again (the studio restarted, or another window reopened it): its ids
    // still mean the same titles, so the window comes back to the title and filter it showed.
    const same = !!before && !!next && next.path === before.path && !opening
    reopen = same ? (useEditorStore().title?.id ?? null) : null
    useEditorStore().close()
    useTitlesStore().clear()
    if (!same) useTitlesStore().filter = {}
    // A review stream is a list of the old opening's ids; a run id means something only in its file.
    const review = useReviewStore()
    review.stream = null
    if (!same) review.runId = null
    useTypesStore().list = []
    useWeakStore().clear()
    stats.value = null
    info.value = next
    showProject(next?.session ?? null)
    if (before && !opening) {
      say(!next ? 'The project was closed in another window'
        : same ? `“${next.name}” was opened again (in another window, or the studio restarted): this window reloaded it`
        : `Another window opened “${next.name}”: this window shows it now`)
    }
  }

  /** (Re)load everything after a project was opened, created or imported into. */
  async function reload(): Promise<void> {
    adopt(await call('project.current'))
    recent.value = await call('project.recent')
    stats.value = null
    const types = useTypesStore()
    const titles = useTitlesStore()
    const editor = useEditorStore()
    if (!info.value) {
      types.list = []
      titles.clear()
      editor.close()
      return
    }
    await types.load()
    await titles.reset()
    const first = titles.itemAt(0)
    // Reloads overlap (an event and a refusal both ask): each aims at the same title until it is shown.
    const want = reopen ?? first?.id
    if (!editor.title && want !== undefined) {
      await titles.open(want, want === first?.id ? 0 : undefined).catch(() => (first ? titles.open(first.id, 0) : undefined))
      if (reopen === want) reopen = null
    }
    if (view.value === 'project') await loadStats()
  }

  async function open(path: string, create = false): Promise<boolean> {
    error.value = null
    opening++
    try {
      adopt(await call(create ? 'project.create' : 'project.open', { path }))
      await reload()
      return true
    } catch (e) {
      fail(e)
      return false
    } finally {
      opening--
    }
  }

  async function forget(path: string): Promise<void> {
    recent.value = await call('project.forget', { path })
  }

  async function runImport(req: ImportRequest): Promise<boolean> {
    importError.value = null
    importResult.value = null
    importing.value = true
    try {
      importResult.value = await call('import.run', req)
      setTimeout(() => (importResult.value = null), 15000)
      return true
    } catch (e) {
      importError.value = (e as Error).message
      return false
    } finally {
      importing.value = false
      importProgress.value = null
    }
  }

  async function show(v: View): Promise<void> {
    view.value = v
    if (v === 'project') await loadStats().catch(fail)
  }

  async function init(): Promise<void> {
    try {
      app.value = await call('app.info')
      await reload()
      if (!info.value) view.value = 'project'
    } catch (e) {
      fail(e)
    }
    on('import.progress', (p) => (importProgress.value = p))
    on('project.changed', (c) => {
      if (c.what === 'project') {
        useWeakStore().clear()
        void reload().catch(fail)
        if (view.value === 'weak') void useWeakStore().load().catch(fail)
      }
      else {
        if (c.what === 'types') void useTypesStore().load().catch(fail)
        useTitlesStore().changed(c.what, c.titleIds)
        // The editor's own edit: it already shows what the reply said (no echo re-read).
        if (c.client !== EDITOR_CLIENT) useEditorStore().changed(c.what, c.titleIds)
        if (view.value === 'project') void loadStats().catch(fail)
      }
    })
    ready.value = true
  }

  return {
    app, info, stats, recent, importProgress, importing, importResult, importError, error, notice, ready, view,
    init, reload, open, forget, runImport, show, loadStats, fail, say,
  }
})
