import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Our folders differ from electron-vite's defaults (src/main, src/preload, src/renderer), so every
// entry is named here. The main build also emits the CLI/headless-server entry and the trainer
// process entry, so Electron, `ner-studio` and the trainer share one build of the same services.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
          cli: resolve(__dirname, 'src-main/cli/main.ts'),
          // The trainer process entry, once the engine provides it.
          ...(existsSync(resolve(__dirname, 'src-main/trainer/entry.ts'))
            ? { trainer: resolve(__dirname, 'src-main/trainer/entry.ts') }
            : {}),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require() anything but electron: bundle the contract in.
      externalizeDeps: false,
      rollupOptions: { input: { index: resolve(__dirname, 'src-main/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
  },
})
