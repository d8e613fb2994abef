import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

// Unit and integration tests run in Node against real SQLite files and real tfjs backends.
// End-to-end browser tests live in test/e2e and run under Playwright (playwright.config.ts).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    // CLI tests launch the built CLI: build once, before any test, when out/main is stale.
    globalSetup: ['test/helpers/build.ts'],
    // The studio's own files (recent projects, the demo project) go to a throw-away folder, never
    // to the user's ~/.config/ner-studio.
    env: { NER_STUDIO_HOME: mkdtempSync(join(tmpdir(), 'ner-studio-home-')) },
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
})
