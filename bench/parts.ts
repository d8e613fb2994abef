/**
 * Each new model part's own gain on Ding (gold) over plain bilstm-crf at the same epochs.
 *
 *   npm run bench parts -- [--epochs 3 --parts crf,emb,lex,gp --dim 300 --out bench/results/parts.md]
 *
 * Data: ../shared/data/ecommerce-ding2019, split as the reference (../shared/reference/torch_ner.py
 * `load_dataset('ding')`): train = train.txt.bieos less its last 500 titles, dev = those 500, test =
 * the official dev.txt.bieos. Each configuration trains `--epochs` epochs (no early stop), keeps
 * the best dev epoch and is scored on test (entity-level exact match, micro).
 *   crf  bilstm-crf (the preset as it is)
 *   emb  + char and bigram embeddings learnt by skip-gram on ALL titles' text (train, dev, test —
 *        text only, the unlabelled-titles case), time included in its minutes
 *   lex  + lexicon features from the seven gazetteers (brand* → HP, product* → HC) + train gold spans
 *   lexgold  + lexicon features from the train gold spans alone (no gazetteer)
 *   gp   bilstm-globalpointer (the span head instead of the CRF)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { initBackend, type BackendName } from '../src-main/ml/backend'
import { learnTitleEmbeddings } from '../src-main/ml/embeddings'
import { evaluate } from '../src-main/ml/eval'
import type { LexiconEntry } from '../src-main/ml/lexicon'
import { presetConfig } from '../src-main/ml/models/presets'
import { predict } from '../src-main/ml/predict'
import { tagsToSpans } from '../src-main/shared/tags'
import { train } from '../src-main/ml/train/trainer'
import type { Example, PresetName, TrainConfig } from '../src-main/shared/training'
import { benchCommand, machineLine, mdTable, sharedDir, writeResults } from './lib/report'

const args = process.argv.slice(2)
function opt(name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1]! : def
}
const EPOCHS = Number(opt('epochs', '3'))
const DIM = Number(opt('dim', '300'))
const BIGRAM = Number(opt('bigram', '50'))
const PARTS = opt('parts', 'crf,emb,lex,gp').split(',')
const OUT = opt('out', 'bench/results/parts.md')
const BACKEND = opt('backend', 'wasm') as BackendName
const LIMIT = Number(opt('limit', '0'))

const dingDir = path.join(sharedDir, 'data', 'ecommerce-ding2019')

/** `char<TAB>tag` lines, blank line between titles, BIOES tags. */
function readConll(file: string): Example[] {
  const out: Example[] = []
  let chars: string[] = []
  let tags: string[] = []
  const flush = (): void => {
    if (chars.length) out.push({ text: chars.join(''), spans: tagsToSpans(tags, { mode: 'tolerant', scheme: 'BIOES' }) })
    chars = []
    tags = []
  }
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') {
      flush()
      continue
    }
    const tab = line.lastIndexOf('\t')
    chars.push(line.slice(0, tab))
    tags.push(line.slice(tab + 1).trim())
  }
  flush()
  return out
}

function gazetteers(): LexiconEntry[] {
  const dir = path.join(dingDir, 'dics')
  return readdirSync(dir).flatMap((f) => {
    const type = f.startsWith('brand') ? 'HP' : 'HC'
    return readFileSync(path.join(dir, f), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((text) => ({ text, type }))
  })
}

async function main(): Promise<void> {
  if (!existsSync(path.join(dingDir, 'train.txt.bieos'))) {
    console.error(`needs ${dingDir} (../shared/data/ecommerce-ding2019); not found`)
    process.exit(2)
  }
  const backend = await initBackend(BACKEND)
  const all = readConll(path.join(dingDir, 'train.txt.bieos'))
  let trainSet = all.slice(0, -500)
  const devSet = all.slice(-500)
  const testSet = readConll(path.join(dingDir, 'dev.txt.bieos'))
  if (LIMIT > 0) trainSet = trainSet.slice(0, LIMIT)
  const rows: string[][] = []
  const started = new Date().toISOString()
  for (const part of PARTS) {
    const t0 = Date.now()
    const preset: PresetName = part === 'gp' ? 'bilstm-globalpointer' : 'bilstm-crf'
    const model: Partial<TrainConfig['model']> = { charEmbedding: DIM, hidden: DIM }
    let pretrained = null
    let embSec = 0
    if (part === 'emb') {
      Object.assign(model, { pretrainedEmbeddings: true, bigramEmbedding: BIGRAM })
      const titles = [...all, ...testSet].map((e) => e.text)
      pretrained = learnTitleEmbeddings(titles, { dim: DIM, bigramDim: BIGRAM, seed: 42 })
      embSec = (Date.now() - t0) / 1000
    }
    let lexicon: LexiconEntry[] | null = null
    if (part === 'lex' || part === 'lexgold') {
      model.lexicon = true
      lexicon = [...(part === 'lex' ? gazetteers() : []), ...trainSet.flatMap((e) => e.spans.map((s) => ({ text: Array.from(e.text).slice(s.start, s.end).join(''), type: s.type })))]
    }
    const config = presetConfig(preset, { epochs: EPOCHS, patience: 0, logEvery: 0, model })
    const r = await train(config, trainSet, devSet, {
      pretrained,
      lexicon,
      onEvent: (e) => {
        if (e.kind === 'eval') console.log(`${part} epoch ${e.epoch}: dev F1 ${(100 * e.dev.f1).toFixed(2)}`)
      },
    })
    const preds = await predict(r.model, testSet)
    r.model.dispose()
    const test = evaluate(
      testSet.map((e) => e.spans),
      preds.map((p) => p.spans),
    ).micro
    const minutes = (Date.now() - t0) / 60000
    const pct = (x: number): string => (100 * x).toFixed(2)
    rows.push([
      part,
      preset + (part === 'emb' ? ` + pretrainedEmbeddings + bigramEmbedding ${BIGRAM}` : part === 'lex' ? ' + lexicon (gazetteers + train gold)' : part === 'lexgold' ? ' + lexicon (train gold only)' : ''),
      String(r.bestEpoch),
      pct(r.bestDev?.micro.f1 ?? 0),
      pct(test.precision),
      pct(test.recall),
      pct(test.f1),
      minutes.toFixed(1) + (embSec ? ` (embeddings ${embSec.toFixed(0)} s)` : ''),
    ])
    console.log(rows[rows.length - 1]!.join(' | '))
  }
  const md = [
    '# Model parts beyond the study on Ding (gold): each part alone vs bilstm-crf (bench/parts.ts)',
    '',
    `- Command: \`${benchCommand('parts')}\``,
    `- Started ${started}; machine: ${machineLine()}; backend ${backend.name}. The machine was SHARED with other engineers' jobs (load average ≫ 2 at times): minutes are wall time under that load, not speed measurements.`,
    `- Splits as the reference's \`load_dataset('ding')\`: train ${trainSet.length} titles (train.txt.bieos less its last 500), dev 500 (those), test ${testSet.length} (dev.txt.bieos). ${EPOCHS} epochs each, no early stop, best dev epoch scored on test. Dims ${DIM}/${DIM} (char embedding / BiLSTM per direction), batch 32, Adam 1e-3, seed 42.`,
    '',
    ...mdTable(['part', 'config', 'best epoch', 'dev F1', 'test P', 'test R', 'test F1', 'minutes'], 'llrrrrrl', rows),
    '',
  ].join('\n')
  writeResults(OUT, md)
  console.log(md)
}

void main()
