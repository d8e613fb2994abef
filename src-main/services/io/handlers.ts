import type { ioRequests } from '../../shared/api'
import type { Handlers } from '../context'
import { exportFrom, previewExport } from './export'
import { importInto } from './import'
import { listImports, previewImport, undoImport } from './imports'

export const ioHandlers: Handlers<typeof ioRequests> = {
  'import.run': (req, cx) => {
    const p = cx.writable()
    return cx.importing(req.path, async () => {
      const r = await importInto(p.path, req, { onProgress: (e) => cx.emit('import.progress', e) })
      return cx.changed('project', r)
    })
  },
  'import.preview': (req) => previewImport(req),
  'imports.list': (_, cx) => listImports(cx.project()),
  'imports.undo': (req, cx) => cx.changed('project', undoImport(cx.writable(), req)),
  'export.run': async (req, cx) => {
    const r = await exportFrom(cx.project().path, req)
    cx.exported(r.files ?? [r.out])
    return r
  },
  'export.preview': (req, cx) => previewExport(cx.project().path, req),
}
