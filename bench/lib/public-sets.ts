// The public sets of ../shared/data with the PyTorch reference's splits (../shared/reference,
// `load_dataset`), so our engine and the reference train and score on the same titles:
//   ding   train.txt.bieos less its last 500 / those 500 (dev) / the official dev.txt.bieos (test)
//   seed   seed-sample/train: first 8,000 / next 1,000 (dev) / last 1,000 (test)
//   gaiic  weak-labels.txt: 9,000 / 500 (dev) / 500 (test), scored against the weak labels
//   ding-dict  ding's train titles with their labels stripped and the seven gazetteers applied by
//              longest match (terms of ≥ 2 chars; brand*.dic → HP, product*.dic → HC) as
//              `dictionary` spans; dev and test gold as in `ding`
// Tags are decoded leniently (a stray I-/E- opens a span), as the reference does.
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { openReader } from '../../src-main/io/readers'
import { Matcher } from '../../src-main/shared/matcher'
import { readGazetteer } from '../../src-main/services/dicts/gazetteer'
import { sharedDir } from './report'
import type { Example } from '../../src-main/shared/training'

export type SetName = 'ding' | 'ding-dict' | 'seed' | 'gaiic'
export const SET_NAMES: readonly SetName[] = ['ding', 'ding-dict', 'seed', 'gaiic']

export interface PublicSet {
  name: SetName
  train: Example[]
  dev: Example[]
  test: Example[]
  /** Titles without labels the studio could also use (GAIIC's unlabelled file), else []. */
  unlabelled: string[]
  /** The reference's --dataset for this set. */
  refDataset: 'ding' | 'seed' | 'gaiic'
}

/** ../shared/data (report.ts `sharedDir`), or null when it is absent. */
export function dataDir(): string | null {
  const d = path.join(sharedDir, 'data')
  return existsSync(d) ? d : null
}

async function read(file: string, format: 'conll' | 'seed'): Promise<Example[]> {
  const out: Example[] = []
  for await (const t of openReader(file, format, { repairTags: true }).titles)
    out.push({ text: t.text, spans: t.spans.map((s) => ({ start: s.start, end: s.end, type: s.type })), ...(t.words ? { words: t.words } : {}) })
  return out
}

export async function loadPublicSet(name: SetName, data: string): Promise<PublicSet> {
  if (name === 'ding' || name === 'ding-dict') {
    const dir = path.join(data, 'ecommerce-ding2019')
    const all = await read(path.join(dir, 'train.txt.bieos'), 'conll')
    const test = await read(path.join(dir, 'dev.txt.bieos'), 'conll')
    let train = all.slice(0, -500)
    if (name === 'ding-dict') train = await dictionaryLabels(train, path.join(dir, 'dics'))
    return { name, train, dev: all.slice(-500), test, unlabelled: [], refDataset: 'ding' }
  }
  if (name === 'seed') {
    const all = await read(path.join(data, 'seed-sample', 'train'), 'seed')
    return { name, train: all.slice(0, -2000), dev: all.slice(-2000, -1000), test: all.slice(-1000), unlabelled: [], refDataset: 'seed' }
  }
  const dir = path.join(data, 'jd-gaiic2022')
  const all = await read(path.join(dir, 'weak-labels.txt'), 'conll')
  // model-made labels: unreviewed titles with `weak` spans, as `import --origin weak` stores them
  const train = all.slice(0, -1000).map((e) => ({ ...e, spans: e.spans.map((s) => ({ ...s, origin: 'weak' as const })), reviewed: false }))
  return { name, train, dev: all.slice(-1000, -500), test: all.slice(-500), unlabelled: [], refDataset: 'gaiic' }
}

/** The gazetteers applied to the titles (labels stripped): dictionary-origin spans only. */
async function dictionaryLabels(titles: readonly Example[], dicDir: string): Promise<Example[]> {
  const m = new Matcher()
  const files = readdirSync(dicDir).filter((f) => f.endsWith('.dic')).sort()
  for (const [k, f] of files.entries()) {
    const type = f.startsWith('brand') ? 'HP' : 'HC'
    for (const t of await readGazetteer(path.join(dicDir, f), type)) if (Array.from(t.term).length >= 2) m.add(t.term, { type, dict: k })
  }
  return titles.map((e) => ({
    text: e.text,
    spans: m.match(Array.from(e.text)).map((x) => ({ start: x.start, end: x.end, type: x.hit.type, origin: 'dictionary' as const })),
    reviewed: false,
  }))
}
