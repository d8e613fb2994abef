// Where things are: the repository root and the shared data folder (../shared/data, never copied in).
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const REPO_ROOT = resolve(__dirname, '..', '..')
export const DATA_DIR = resolve(REPO_ROOT, '..', 'shared', 'data')

/** The built CLI and trainer entries (`electron-vite build`; vitest's global setup builds them when stale). */
export const BUILT_CLI = join(REPO_ROOT, 'out', 'main', 'cli.js')
export const BUILT_TRAINER = join(REPO_ROOT, 'out', 'main', 'trainer.js')

/** A path inside ../shared/data. */
export function dataPath(...parts: string[]): string {
  return join(DATA_DIR, ...parts)
}

/** True when the shared data file or folder is present (tests that need it skip otherwise). */
export function hasData(...parts: string[]): boolean {
  return existsSync(dataPath(...parts))
}

export const SEED_TRAIN = dataPath('seed-sample', 'train')
export const DING_TRAIN = dataPath('ecommerce-ding2019', 'train.txt.bieos')
export const GAIIC_WEAK = dataPath('jd-gaiic2022', 'weak-labels.txt')
