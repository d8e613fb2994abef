// Electron bootstrap only: one secure window, the IPC bridge to the contract, menu, dialogs.
// The services are the same ones the headless server and the CLI use.

import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, utilityProcess, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from 'electron'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { DialogKind, MenuAction, RequestName, WireResult } from './shared/api'
import { StudioError, toWire } from './shared/errors'
import { CSP, MIME } from './shared/page'
import { APP_SCHEME, APP_URL, appFile, devToolsAllowed, externalAllowed, permissionAllowed, trustedSender } from './electron/security'
import { ensureDemoProject } from './services/io/demo'
import { Studio } from './services/studio'
import { appVersion } from './services/version'
import type { ChildLike, Spawner } from './trainer/host'
import { SCREENS, viewAction } from './shared/screens'

/** Training jobs fork the trainer as an Electron utility process (the entry speaks parentPort). */
const utilitySpawner: Spawner = (entry, execArgv, env) => {
  const child = utilityProcess.fork(entry, [], { execArgv, env, serviceName: 'NER Studio trainer', stdio: 'inherit' })
  const like: ChildLike = {
    get pid() {
      return child.pid
    },
    send: (msg) => child.postMessage(msg),
    on: (event: string, cb: (...a: never[]) => void) => {
      if (event === 'message') child.on('message', cb as (m: unknown) => void)
      else if (event === 'exit') child.on('exit', (code) => (cb as (c: number | null) => void)(code))
      else if (event === 'error') child.on('error' as 'exit', () => (cb as (e: Error) => void)(new Error('trainer process failed')))
      return like
    },
    kill: () => child.kill(),
  } as ChildLike
  return like
}

const studio = new Studio({ shell: 'electron', version: appVersion(), spawner: utilitySpawner })
let win: BrowserWindow | null = null

interface WindowState {
  x?: number
  y?: number
  width: number
  height: number
  maximized: boolean
  lastProject?: string
}

const stateFile = (): string => join(app.getPath('userData'), 'window-state.json')
function loadState(): WindowState {
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as WindowState
  } catch {
    return { width: 1280, height: 820, maximized: false }
  }
}
function saveState(extra: Partial<WindowState> = {}): void {
  const prev = loadState()
  const next: WindowState = { ...prev, ...extra }
  if (win && !win.isDestroyed()) {
    Object.assign(next, win.isMaximized() ? {} : win.getBounds(), { maximized: win.isMaximized() })
  }
  writeFileSync(stateFile(), JSON.stringify(next))
}

/** Only our own renderer's top frame may call the services (src-main/electron/security.ts). */
function fromOurPage(e: IpcMainInvokeEvent): boolean {
  const f = e.senderFrame
  return trustedSender(f ? { url: f.url, isMainFrame: f.parent === null } : null, process.env.ELECTRON_RENDERER_URL, app.isPackaged)
}

const rendererDir = join(__dirname, '../renderer')
// app:// must be registered before the app is ready; it behaves as a secure, standard origin.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }])

/** Serves the built renderer on app://studio/ (unknown paths get the index: the app routes in-page). */
function serveApp(req: Request): Response {
  const file = appFile(req.url, rendererDir)
  if (!file) return new Response('not found', { status: 404 })
  const path = existsSync(file) && statSync(file).isFile() ? file : join(rendererDir, 'index.html')
  return new Response(readFileSync(path), {
    headers: {
      'content-type': MIME[extname(path)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
    },
  })
}

function createWindow(): void {
  const st = loadState()
  win = new BrowserWindow({
    ...(st.x !== undefined && st.y !== undefined ? { x: st.x, y: st.y } : {}),
    width: st.width,
    height: st.height,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'NER Studio',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      devTools: devToolsAllowed(app.isPackaged),
    },
  })
  if (st.maximized) win.maximize()
  win.once('ready-to-show', () => win?.show())
  win.on('close', () => saveState())
  // Links open in the system browser, never inside the app; the window never navigates away.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (externalAllowed(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (e) => e.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadURL(APP_URL)
}

async function pickPath(kind: DialogKind): Promise<string | null> {
  if (!win) return null
  if (kind === 'export') {
    const r = await dialog.showSaveDialog(win, { title: 'Export to' })
    return r.canceled || !r.filePath ? null : r.filePath
  }
  if (kind === 'save') {
    const r = await dialog.showSaveDialog(win, { title: 'New project', filters: [{ name: 'NER Studio project', extensions: ['sqlite'] }] })
    return r.canceled || !r.filePath ? null : r.filePath
  }
  const r = await dialog.showOpenDialog(win, {
    title: kind === 'project' ? 'Open project' : 'Import titles',
    properties: kind === 'import' ? ['openFile', 'openDirectory'] : ['openFile'],
    filters:
      kind === 'project'
        ? [{ name: 'NER Studio project', extensions: ['sqlite'] }]
        : [{ name: 'Titles', extensions: ['txt', 'csv', 'jsonl', 'json', 'conll', 'bio', 'bioes', 'bieos', 'tsv', '*'] }],
  })
  return r.canceled ? null : (r.filePaths[0] ?? null)
}

function buildMenu(): void {
  const send = (action: MenuAction) => () => studio.emit('app.menu', { action })
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      {
        label: 'File',
        submenu: [
          {
            label: 'New Project…',
            accelerator: 'CmdOrCtrl+N',
            click: async () => {
              const p = await pickPath('save')
              if (p) studio.open(p, true)
            },
          },
          {
            label: 'Open Project…',
            accelerator: 'CmdOrCtrl+O',
            click: async () => {
              const p = await pickPath('project')
              if (p) {
                studio.open(p, false)
                saveState({ lastProject: p })
              }
            },
          },
          { label: 'Import…', accelerator: 'CmdOrCtrl+I', click: send('import') },
          { type: 'separator' },
          { role: 'quit' },
        ],
      },
      {
        // Undo/Redo go to the renderer: the project's history outside text fields, the field's own inside.
        label: 'Edit',
        submenu: [
          // registerAccelerator: false — the keys reach the page (which handles them); the menu shows them.
          { label: 'Undo', accelerator: 'CmdOrCtrl+Z', registerAccelerator: false, click: send('undo') },
          { label: 'Redo', accelerator: 'CmdOrCtrl+Shift+Z', registerAccelerator: false, click: send('redo') },
          { type: 'separator' },
          { role: 'cut' },
          { role: 'copy' },
          { role: 'paste' },
          { role: 'selectAll' },
        ],
      },
      {
        label: 'View',
        submenu: [
          ...SCREENS.map((sc, i) => ({ label: sc.menu, accelerator: `CmdOrCtrl+${i + 1}`, click: send(viewAction(sc.id)) })),
          { type: 'separator' },
          { role: 'reload' },
          ...(devToolsAllowed(app.isPackaged) ? [{ role: 'toggleDevTools' } as MenuItemConstructorOptions] : []),
          { type: 'separator' },
          { role: 'resetZoom' },
          { role: 'zoomIn' },
          { role: 'zoomOut' },
          { role: 'togglefullscreen' },
        ],
      },
      { role: 'windowMenu' },
    ]),
  )
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    // A window closed while a training job ran: launching the studio again shows it (and the job).
    if (!win || win.isDestroyed()) createWindow()
    else {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })

  ipcMain.handle('studio:call', async (e, name: unknown, args: unknown, shown: unknown, client: unknown): Promise<WireResult<unknown>> => {
    try {
      if (!fromOurPage(e)) throw new StudioError('unauthorized', 'untrusted sender')
      const from = { ...(typeof shown === 'string' ? { shown } : {}), ...(typeof client === 'string' ? { client } : {}) }
      const result = await studio.handle(name as RequestName, args as never, from)
      if (name === 'project.open' || name === 'project.create') saveState({ lastProject: (args as { path: string }).path })
      return { ok: true, result }
    } catch (err) {
      return { ok: false, error: toWire(err) }
    }
  })
  ipcMain.handle('studio:dialog', (e, kind: DialogKind) => (fromOurPage(e) ? pickPath(kind) : null))
  studio.on((name, payload) => {
    if (win && !win.isDestroyed()) win.webContents.send('studio:event', name, payload)
  })

  void app.whenReady().then(async () => {
    protocol.handle(APP_SCHEME, serveApp)
    // The studio needs no permission: camera, notifications, geolocation… are all refused.
    session.defaultSession.setPermissionRequestHandler((_wc, permission, cb) => cb(permissionAllowed(permission)))
    session.defaultSession.setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission))
    session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
      cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
    })
    const st = loadState()
    const project =
      process.argv.find((a) => a.endsWith('.sqlite')) ??
      (st.lastProject && existsSync(st.lastProject) ? st.lastProject : await ensureDemoProject(join(app.getPath('userData'), 'demo.sqlite')))
    studio.open(project, false)
    buildMenu()
    createWindow()
  })
  app.on('window-all-closed', () => {
    win = null
    // A training job outlives its window: the app stays until the job ends (launch again to see it).
    const quitWhenIdle = (): void => {
      if (win) return
      if (studio.jobs.active) return void setTimeout(quitWhenIdle, 1000)
      studio.close()
      app.quit()
    }
    quitWhenIdle()
  })
  app.on('activate', () => {
    if (!win || win.isDestroyed()) createWindow()
  })
}
