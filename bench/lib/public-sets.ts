// The public sets of ../shared/data with the PyTorch reference's splits (../shared/reference,
// `load_dataset`), so our engine and the reference train and score on the same titles:
//   ding   train.txt.bieos less its last 500 / those 500 (dev) / the official dev.txt.bieos (test)
//   seed   seed-sample/train: first 8,000 / next 1,000 (dev) / last 1,000 (test)
//   gaiic  weak-labels.txt: 9,000 / 500 (dev) / 500 (test), scored against the weak labels; unlabelled-titles.txt (9,999) as the unlabelled titles
//   ding-dict  ding's train titles with their labels stripped and the seven gazetteers applied by
//              longest match (terms of ≥ 2 chars; brand*.dic → HP, product*.dic → HC) as
//              `dictionary` spans; dev and test gold as in `ding`. The gazetteers' terms are the
//              set's `lexicon` (a project with those dictionaries imported). With
//              `dictConfidence: 'dev'` each span carries its dictionary's precision measured on the
//              dev gold titles (the dictionary alone, as the Weak labels screen scores it): what a
//              project with reviewed dev titles and no reviewed train titles can know. Never test.
//              `minPrecision` p: the spans of a dictionary below p on dev are left out (the others
//              stay certain) — dictionary selection by the same estimate.
// Tags are decoded leniently (a stray I-/E- opens a span), as the reference does.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { openReader } from '../../src-main/io/readers'
import { Matcher } from '../../src-main/shared/matcher'
import { readGazetteer } from '../../src-main/services/dicts/gazetteer'
import { measure, type ReviewedTitle } from '../../src-main/services/dicts/dicts'
import { sharedDir } from './report'
import type { Example } from '../../src-main/shared/training'
import type { LexiconEntry } from '../../src-main/ml/lexicon'

export type SetName = 'ding' | 'ding-dict' | 'seed' | 'gaiic'
export const SET_NAMES: readonly SetName[] = ['ding', 'ding-dict', 'seed', 'gaiic']

export interface PublicSet {
  name: SetName
  train: Example[]
  dev: Example[]
  test: Example[]
  /** Titles without labels the studio could also use (GAIIC's unlabelled file), else []. */
  unlabelled: string[]
  /** Words of the project's imported dictionaries (ding-dict: the gazetteers), else absent. */
  lexicon?: LexiconEntry[]
  /** ding-dict with dictConfidence: each dictionary's precision on dev, by file. */
  dictPrecision?: Record<string, number>
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

export async function loadPublicSet(name: SetName, data: string, opts: { dictConfidence?: 'dev'; minPrecision?: number } = {}): Promise<PublicSet> {
  if (name === 'ding' || name === 'ding-dict') {
    const dir = path.join(data, 'ecommerce-ding2019')
    const all = await read(path.join(dir, 'train.txt.bieos'), 'conll')
    const test = await read(path.join(dir, 'dev.txt.bieos'), 'conll')
    const dev = all.slice(-500)
    if (name === 'ding') return { name, train: all.slice(0, -500), dev, test, unlabelled: [], refDataset: 'ding' }
    const d = await dictionaryLabels(all.slice(0, -500), path.join(dir, 'dics'), opts.dictConfidence === 'dev' ? dev : null, opts.minPrecision)
    return { name, train: d.train, dev, test, unlabelled: [], lexicon: d.lexicon, ...(d.precision ? { dictPrecision: d.precision } : {}), refDataset: 'ding' }
  }
  if (name === 'seed') {
    const all = await read(path.join(data, 'seed-sample', 'train'), 'seed')
    return { name, train: all.slice(0, -2000), dev: all.slice(-2000, -1000), test: all.slice(-1000), unlabelled: [], refDataset: 'seed' }
  }
  const dir = path.join(data, 'jd-gaiic2022')
  const all = await read(path.join(dir, 'weak-labels.txt'), 'conll')
  // model-made labels: unreviewed titles with `weak` spans, as `import --origin weak` stores them
  const train = all.slice(0, -1000).map((e) => ({ ...e, spans: e.spans.map((s) => ({ ...s, origin: 'weak' as const })), reviewed: false }))
  // GAIIC's 9,999 raw titles: what a shop has besides its labelled ones (auto's embeddings and self-training read them)
  const unlabelled = readFileSync(path.join(dir, 'unlabelled-titles.txt'), 'utf8').split('\n').filter((l) => l.trim())
  return { name, train, dev: all.slice(-1000, -500), test: all.slice(-500), unlabelled, refDataset: 'gaiic' }
}

/** Gold titles as the studio's dictionary measure reads reviewed ones (services/dicts/dicts.ts `measure`). */
function asReviewed(gold: readonly Example[]): ReviewedTitle[] {
  return gold.map((e) => ({ cps: Array.from(e.text), gold: new Set(e.spans.map((s) => `${s.start}:${s.end}:${s.type}`)), goldByType: new Map() }))
}

/** The gazetteers applied to the titles (labels stripped): dictionary-origin spans only; with `gold`, each span's confidence = its dictionary's precision there. */
async function dictionaryLabels(titles: readonly Example[], dicDir: string, gold: readonly Example[] | null, minPrecision?: number): Promise<{ train: Example[]; lexicon: LexiconEntry[]; precision: Record<string, number> | null }> {
  const m = new Matcher()
  const lexicon: LexiconEntry[] = []
  const files = readdirSync(dicDir).filter((f) => f.endsWith('.dic')).sort()
  const precision: number[] = []
  const reviewed = gold ? asReviewed(gold) : null
  for (const [k, f] of files.entries()) {
    const type = f.startsWith('brand') ? 'HP' : 'HC'
    const own = new Matcher()
    for (const t of await readGazetteer(path.join(dicDir, f), type)) {
      if (Array.from(t.term).length < 2) continue
      m.add(t.term, { type, dict: k })
      own.add(t.term, { type, dict: k })
      lexicon.push({ text: t.term, type })
    }
    precision.push(reviewed ? (measure(own, [type], reviewed).precision ?? 1) : 1)
  }
  const train = titles.map((e) => ({
    text: e.text,
    spans: m
      .match(Array.from(e.text))
      .filter((x) => minPrecision === undefined || precision[x.hit.dict]! >= minPrecision)
      .map((x) => ({ start: x.start, end: x.end, type: x.hit.type, origin: 'dictionary' as const, ...(gold && minPrecision === undefined ? { confidence: precision[x.hit.dict]! } : {}) })),
    reviewed: false,
  }))
  return { train, lexicon, precision: gold ? Object.fromEntries(files.map((f, k) => [f, precision[k]!])) : null }
}
