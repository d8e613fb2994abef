import { defineConfig } from '@playwright/test'

// End-to-end tests drive Debian's chromium (Playwright's own browser download is blocked here)
// against the real headless server, the real renderer build and real project files.
export default defineConfig({
  testDir: 'test/e2e',
  // builds out/ when a source is newer (as vitest does): `npx playwright test` alone never drives an old renderer
  globalSetup: './test/helpers/build.ts',
  outputDir: 'test-results/e2e',
  timeout: 120_000,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e-report.json' }]],
  use: {
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
})
