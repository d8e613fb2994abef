/**
 * Does a self-training round help? `npm run bench selftrain [-- --labelled 1400 --dim 64 --epochs 8
 * --lr 0.01 --variants '[{"minConfidence":0.9,"lr":0.002}]']`
 *
 * Ding (../shared/data): `--labelled` of its train titles (a seeded shuffle) keep their gold, the
 * others are unlabelled text; dev = the 500 held back, test = Ding's dev file (the reference's
 * splits). One model trains on the labelled titles (title embeddings + partial CRF, as `auto`),
 * then each variant runs ONE self-training round from its best weights exactly as the recipe does
 * (ml/train/recipe.ts `pseudoLabel`, the unlabelled titles taken in full when P(ŷ | x) ≥
 * minConfidence), and the control continues training as long on the labelled titles alone: a gain
 * must beat the control, not only the first model. Results: bench/results/selftrain.md.
 */
import { loadavg } from 'node:os'
import path from 'node:path'
import { initBackend } from '../src-main/ml/backend'
import { learnTitleEmbeddings } from '../src-main/ml/embeddings'
import { evaluate } from '../src-main/ml/eval'
import { DEFAULT_ORIGIN_WEIGHTS } from '../src-main/ml/models/evidence'
import { presetConfig } from '../src-main/ml/models/presets'
import type { Tagger } from '../src-main/ml/models/tagger'
import { predict } from '../src-main/ml/predict'
import { pseudoLabel } from '../src-main/ml/train/recipe'
import { makeRng } from '../src-main/ml/train/rng'
import { train } from '../src-main/ml/train/trainer'
import type { Example } from '../src-main/shared/training'
import { dataDir, loadPublicSet } from './lib/public-sets'
import { benchCommand, machineLine, mdTable, writeResults } from './lib/report'

const args = process.argv.slice(2)
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def
}
const LABELLED = Number(opt('labelled', '1400'))
const DIM = Number(opt('dim', '64'))
const EPOCHS = Number(opt('epochs', '8'))
const LR = Number(opt('lr', '0.01'))
const ROUND_EPOCHS = Number(opt('round-epochs', '3'))
/** minConfidence > 1 takes no title: the control (the same epochs on the labelled titles alone). */
const variants = JSON.parse(opt('variants', '[{"minConfidence":1.01,"lr":0.002},{"minConfidence":0.9,"lr":0.002},{"minConfidence":0.9,"lr":0.01},{"minConfidence":0.3,"lr":0.002},{"minConfidence":0,"lr":0.002}]')) as {
  minConfidence: number
  lr: number
}[]

const pct = (x: number): string => (x * 100).toFixed(2)

async function main(): Promise<void> {
  const data = dataDir()
  if (!data) {
    console.error('needs ../shared/data (not found)')
    process.exit(2)
  }
  await initBackend('wasm')
  const ding = await loadPublicSet('ding', data)
  const rng = makeRng(7)
  const order = ding.train.map((_, i) => i)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const labelled = order.slice(0, LABELLED).map((i) => ding.train[i]!)
  const pool: Example[] = order.slice(LABELLED).map((i) => ({ text: ding.train[i]!.text, spans: [], reviewed: false }))
  const weakLoss = { partial: true, unknownEntityPrior: 0.3, originWeights: { ...DEFAULT_ORIGIN_WEIGHTS } }
  const base = presetConfig('bilstm-crf', { epochs: EPOCHS, seed: 1, patience: EPOCHS, logEvery: 0, workers: 1, learningRate: LR, weakLoss })
  const config = { ...base, model: { ...base.model, charEmbedding: DIM, hidden: DIM, pretrainedEmbeddings: true } }
  const pretrained = learnTitleEmbeddings([...ding.train, ...ding.dev, ...ding.test].map((e) => e.text), { dim: DIM, bigramDim: 0, seed: 1 })
  const testF1 = async (m: Tagger): Promise<number> => {
    const p = await predict(m, ding.test)
    return evaluate(ding.test.map((e) => e.spans), p.map((x) => x.spans)).micro.f1
  }
  const rows: (string | number)[][] = []
  let t0 = Date.now()
  const first = await train(config, labelled, ding.dev, { pretrained })
  const firstTest = await testF1(first.model)
  rows.push(['first model', '—', '—', '—', pct(first.bestDev?.micro.f1 ?? 0), pct(firstTest), ((Date.now() - t0) / 1000).toFixed(0)])
  console.log(rows.at(-1)!.join(' | '))
  t0 = Date.now()
  const preds = await predict(first.model, pool)
  const probs = preds.map((p) => Math.exp(p.logProb ?? -Infinity)).sort((a, b) => a - b)
  const q = (f: number): string => probs[Math.floor(f * (probs.length - 1))]!.toFixed(2)
  const quantiles = `P(ŷ | x) over the ${pool.length} unlabelled titles: 10 % ${q(0.1)}, 25 % ${q(0.25)}, median ${q(0.5)}, 75 % ${q(0.75)}, 90 % ${q(0.9)} (predicted in ${((Date.now() - t0) / 1000).toFixed(0)} s)`
  console.log(quantiles)
  for (const v of variants) {
    t0 = Date.now()
    const { examples, added, titles } = pseudoLabel(pool, preds, v.minConfidence)
    const set = [...labelled, ...examples.filter((e) => e.reviewed !== false)]
    const r = await train({ ...config, epochs: ROUND_EPOCHS, patience: 0, seed: 2, learningRate: v.lr }, set, ding.dev, { pretrained, vocabs: first.model.vocabData, init: first.best! })
    const name = v.minConfidence > 1 ? 'control: the labelled titles alone' : `round, P(ŷ \\| x) ≥ ${v.minConfidence}` /* escaped: a table cell */
    rows.push([name, v.lr, titles, added, pct(r.bestDev?.micro.f1 ?? 0), pct(await testF1(r.model)), ((Date.now() - t0) / 1000).toFixed(0)])
    console.log(rows.at(-1)!.join(' | '))
    r.model.dispose()
  }
  first.model.dispose()
  writeResults(
    path.join(__dirname, 'results', 'selftrain.md'),
    [
      '# One self-training round against its control (bench/selftrain.ts)',
      '',
      `- Command: \`${benchCommand('selftrain')}\``,
      `- Date: ${new Date().toISOString()}; machine: ${machineLine()}; backend wasm; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
      `- Data: Ding, ${LABELLED} of its ${ding.train.length} train titles labelled (seeded shuffle), the other ${pool.length} unlabelled text; dev ${ding.dev.length} (best epoch), test ${ding.test.length}.`,
      `- First model: bilstm-crf + title embeddings + partial CRF (ρ 0.3), dims ${DIM}, ${EPOCHS} epochs at lr ${LR}. Each row below: ${ROUND_EPOCHS} more epochs from its best weights (seed 2), on the labelled titles plus the unlabelled ones the model labelled in full (weight 0.5 × P(ŷ | x)), or on the labelled titles alone (control).`,
      `- ${quantiles}.`,
      '',
      ...mdTable(['model', 'round lr', 'titles taken', 'their spans', 'dev F1', 'test F1', 's'], 'lrrrrrr', rows),
      '',
    ].join('\n'),
  )
}

void main()
