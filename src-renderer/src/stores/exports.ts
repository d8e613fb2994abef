// The Export screen: options, a preview of the first rows (rendered by the services without
// writing), the export itself and, in browser mode, download links for the files it wrote.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ExportPreview, ExportPreviewRequest, ExportSummary } from '../../../src-main/shared/api'
import type { RunRecord } from '../../../src-main/shared/types'
import { call } from '../api/client'

export const useExportStore = defineStore('exports', () => {
  const preview = ref<ExportPreview | null>(null)
  const previewing = ref(false)
  const exporting = ref(false)
  const result = ref<ExportSummary | null>(null)
  const error = ref<string | null>(null)
  const runs = ref<RunRecord[]>([])
  let gen = 0

  async function loadRuns(): Promise<void> {
    runs.value = (await call('runs.list')).filter((r) => r.status === 'done')
  }

  async function refresh(req: ExportPreviewRequest): Promise<void> {
    const my = ++gen
    previewing.value = true
    try {
      const p = await call('export.preview', req)
      if (my !== gen) return
      preview.value = p
      error.value = null
    } catch (e) {
      if (my !== gen) return
      preview.value = null
      error.value = (e as Error).message
    } finally {
      if (my === gen) previewing.value = false
    }
  }

  /**
   * Export. A file that exists is never replaced silently: the services answer `conflict`, and this
   * asks `confirmReplace` ("replace it?") before sending the same request with `overwrite`.
   */
  async function run(req: ExportPreviewRequest & { out: string }, confirmReplace: (message: string) => boolean): Promise<boolean> {
    error.value = null
    result.value = null
    exporting.value = true
    try {
      try {
        result.value = await call('export.run', req)
      } catch (e) {
        if ((e as { code?: string }).code !== 'conflict' || !confirmReplace(`${req.out} already exists. Replace it?`)) throw e
        result.value = await call('export.run', { ...req, overwrite: true })
      }
      return true
    } catch (e) {
      error.value = (e as Error).message
      return false
    } finally {
      exporting.value = false
    }
  }

  return { preview, previewing, exporting, result, error, runs, loadRuns, refresh, run }
})
