// One Pinia store for the open project: its info, statistics, entity types and the title page.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo, ImportProgress, ImportRequest, ProjectInfo, TitlePage, TitleQuery } from '../../../src-main/shared/api'
import type { EntityType, ProjectStats, TitleWithSpans } from '../../../src-main/shared/types'
import { call, on } from '../api/client'

export const useProjectStore = defineStore('project', () => {
  const app = ref<AppInfo | null>(null)
  const info = ref<ProjectInfo | null>(null)
  const stats = ref<ProjectStats | null>(null)
  const types = ref<EntityType[]>([])
  const query = ref<TitleQuery>({ offset: 0, limit: 50 })
  const page = ref<TitlePage>({ total: 0, offset: 0, items: [] })
  const current = ref<TitleWithSpans | null>(null)
  const importProgress = ref<ImportProgress | null>(null)
  const error = ref<string | null>(null)
  const ready = ref(false)

  async function refresh(): Promise<void> {
    info.value = await call('project.current')
    if (!info.value) return
    ;[stats.value, types.value] = await Promise.all([call('project.stats'), call('types.list')])
    await loadPage()
  }

  async function loadPage(): Promise<void> {
    if (!info.value) return
    page.value = await call('titles.list', query.value)
    if (!current.value && page.value.items[0]) await select(page.value.items[0].id)
  }

  async function select(id: number): Promise<void> {
    current.value = await call('titles.get', { id })
  }

  async function runImport(req: ImportRequest): Promise<void> {
    error.value = null
    try {
      await call('import.run', req)
    } catch (e) {
      error.value = (e as Error).message
    } finally {
      importProgress.value = null
    }
  }

  async function init(): Promise<void> {
    try {
      app.value = await call('app.info')
      await refresh()
    } catch (e) {
      error.value = (e as Error).message
    }
    on('import.progress', (p) => (importProgress.value = p))
    on('project.changed', () => void refresh())
    ready.value = true
  }

  return { app, info, stats, types, query, page, current, importProgress, error, ready, init, refresh, loadPage, select, runImport }
})
