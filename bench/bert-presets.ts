/**
 * The five BERT presets end to end on this machine's backend: one full training step (BERT + heads
 * forward, backward, grouped Adam update with clipping: `trainStep`) and inference (`predict`),
 * with random BERT-base-shaped encoders of 2, 4 and 12 layers.
 *
 *   npm run bench bert-presets -- [--backend wasm] [--layers 2,4,12] [--presets bert,bert-crf,…] [--batch 8] [--chars 50]
 *                                 [--reps 1] [--full-presets bert-crf] [--freeze N [--freeze-embeddings]] [--out bench/results/bert-presets.md]
 *
 * Every row runs in its own child process (a wasm out-of-memory abort kills the wasm module, and
 * every row then starts from the same heap). Encoder: hidden 768, 12 heads, intermediate 3072,
 * vocab 21128, 512 positions, random weights (`BertEncoder.random`); titles: `chars` random CJK
 * characters with an entity of 3 chars every 10 (20 types; flat BIO = 41 labels), dropout as
 * BERT's config (0.1). Step = `trainStep` (one optimiser update, Adam slots already created by the
 * warm-up step). 12 layers, as bench/results/bert.md found (wasm's 4 GiB heap): the top 4 layers
 * fine-tuned (embeddings + 8 lower layers frozen) at the full batch, and full fine-tuning at batch 2
 * (`--full-presets`, default bert-crf only: the heads cost little next to 12 layers).
 * Inference: `predict` on `2 × batch` titles, eval mode, batch = all of them.
 */
import { spawnSync } from 'node:child_process'
import { benchCommand, machineLine, mdTable, writeResults } from './lib/report'

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt
}

interface Job {
  preset: string
  layers: number
  batch: number
  freeze: number
  /** Freeze the embedding tables too (default: freeze > 0). */
  freezeEmb?: boolean
  chars: number
  backend: string
  reps: number
}

interface Result extends Job {
  backendName?: string
  provider?: string
  initS?: number
  firstStepS?: number
  stepS?: number
  charsPerS?: number
  trainable?: number
  parameters?: number
  tfMB?: number
  peakRssMB?: number
  inferTitles?: number
  inferS?: number
  titlesPerS?: number
  error?: string
}

async function child(job: Job): Promise<Result> {
  const tf = await import('@tensorflow/tfjs')
  const { initBackend } = await import('../src-main/ml/backend')
  const { parseBertConfig } = await import('../src-main/ml/bert/config')
  const { BertEncoder } = await import('../src-main/ml/bert/encoder')
  const { Vocab, SPECIAL_TOKENS } = await import('../src-main/ml/bert/tokenizer')
  const { presetConfig } = await import('../src-main/ml/models/presets')
  const { buildVocabs, featurize } = await import('../src-main/ml/models/features')
  const { Tagger } = await import('../src-main/ml/models/tagger')
  const { makeOptimizer, trainStep } = await import('../src-main/ml/train/trainer')
  const { predict } = await import('../src-main/ml/predict')
  const { makeRng } = await import('../src-main/ml/train/rng')
  let peak = 0
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  const report = await initBackend(job.backend as 'wasm')
  const out: Result = { ...job, backendName: report.name, provider: report.provider }
  try {
    const V = 21128
    const tokens = [...SPECIAL_TOKENS, ...Array.from({ length: V - SPECIAL_TOKENS.length }, (_, i) => String.fromCodePoint(0x4e00 + i))]
    const vocab = new Vocab(tokens)
    const config = parseBertConfig({ vocab_size: V, hidden_size: 768, num_hidden_layers: job.layers, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 512 })
    const rng = makeRng(11)
    const title = (): { text: string; spans: { start: number; end: number; type: string }[] } => {
      const cs = Array.from({ length: job.chars }, () => String.fromCodePoint(0x4e00 + Math.floor(rng() * 20000)))
      const spans = []
      for (let s = 2; s + 3 <= job.chars; s += 10) spans.push({ start: s, end: s + 3, type: `t${Math.floor(rng() * 20)}` })
      return { text: cs.join(''), spans }
    }
    const data = Array.from({ length: 64 }, title)
    const t0 = performance.now()
    const encoder = BertEncoder.random(config, 1)
    encoder.freeze({ layers: job.freeze, embeddings: job.freezeEmb ?? job.freeze > 0 })
    out.initS = (performance.now() - t0) / 1000
    const cfg = presetConfig(job.preset as 'bert', { batchSize: job.batch, model: { bert: { freezeLayers: job.freeze, freezeEmbeddings: job.freezeEmb ?? job.freeze > 0 } } })
    const model = Tagger.build({ config: cfg.model, vocabs: buildVocabs(data, cfg.model), seed: 1, bert: { encoder, vocab } })
    out.parameters = model.parameterCount
    out.trainable = model.trainableParameterCount
    const opt = makeOptimizer(model, cfg)
    const items = data.slice(0, job.batch).map((e) => featurize(e, model.vocabs))
    let s = performance.now()
    trainStep(model, opt, items, cfg)
    out.firstStepS = (performance.now() - s) / 1000
    const times: number[] = []
    for (let r = 0; r < job.reps; r++) {
      s = performance.now()
      trainStep(model, opt, items, cfg)
      times.push((performance.now() - s) / 1000)
    }
    times.sort((a, b) => a - b)
    out.stepS = times[Math.floor(times.length / 2)]
    out.charsPerS = (job.batch * job.chars) / out.stepS!
    out.tfMB = tf.memory().numBytes / 2 ** 20
    const n = Math.max(8, job.batch)
    const texts = data.slice(0, n).map((e) => e.text)
    await predict(model, texts.slice(0, 2), { batchSize: n }) // warm-up
    s = performance.now()
    await predict(model, texts, { batchSize: n })
    out.inferS = (performance.now() - s) / 1000
    out.inferTitles = n
    out.titlesPerS = n / out.inferS
    opt.dispose()
    model.dispose()
  } catch (e) {
    out.error = (e as Error).message.split('\n')[0]!.slice(0, 160)
  }
  clearInterval(timer)
  out.peakRssMB = Math.max(peak, process.memoryUsage().rss) / 2 ** 20
  return out
}

async function main(): Promise<void> {
  const childArg = arg('child', '')
  if (childArg) {
    const r = await child(JSON.parse(childArg) as Job)
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`)
    process.exit(0)
  }
  const backend = arg('backend', 'wasm')
  const layersList = arg('layers', '2,4,12').split(',').map(Number)
  const presets = arg('presets', 'bert,bert-crf,bert-bilstm-crf,cascade-bert-crf,cascade-bert-crf-wol').split(',')
  const batch = Number(arg('batch', '8'))
  const chars = Number(arg('chars', '50'))
  const outPath = arg('out', 'bench/results/bert-presets.md')
  const reps = Number(arg('reps', '1'))
  /** 12-layer full fine-tuning (batch 2) only for these (≈ 90 s a row on 2 wasm cores). */
  const fullPresets = arg('full-presets', 'bert-crf').split(',')
  const jobs: Job[] = []
  // --freeze N: only that setting (e.g. --layers 12 --freeze 4 --presets bert-crf: how much of a 12-layer encoder fits)
  const only = arg('freeze', '')
  const freezeEmb = process.argv.includes('--freeze-embeddings')
  if (only) for (const layers of layersList) for (const preset of presets) jobs.push({ preset, layers, batch, freeze: Number(only), ...(freezeEmb ? { freezeEmb } : {}), chars, backend, reps })
  else for (const layers of layersList)
    for (const preset of presets) {
      if (layers <= 4) jobs.push({ preset, layers, batch, freeze: 0, chars, backend, reps })
      else {
        jobs.push({ preset, layers, batch, freeze: layers - 4, chars, backend, reps })
        if (fullPresets.includes(preset)) jobs.push({ preset, layers, batch: 2, freeze: 0, chars, backend, reps })
      }
    }
  const rows: Result[] = []
  const t0 = Date.now()
  for (const job of jobs) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', JSON.stringify(job)], { encoding: 'utf8', timeout: 240_000, maxBuffer: 1 << 26 })
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '))
    const res: Result = line
      ? (JSON.parse(line.slice(7)) as Result)
      : { ...job, error: `child ${r.signal ? `killed (${r.signal})` : `exited ${r.status}`}: ${(r.stderr ?? '').trim().split('\n').slice(-1)[0]?.slice(0, 160) ?? ''}` }
    rows.push(res)
    console.log(JSON.stringify(res))
  }
  const f = (x: number | undefined, d = 2): string => (x === undefined ? '—' : x.toFixed(d))
  const be = rows.find((r) => r.backendName)
  const md = [
    '# BERT presets benchmark (training step and inference)',
    '',
    `- date: ${new Date().toISOString()}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    `- machine: ${machineLine()}`,
    `- backend that ran: **${be?.backendName ?? backend}** (${be?.provider ?? '?'}) — no GPU on this machine; these are CPU (wasm, SIMD, 1 thread) numbers, not GPU numbers`,
    `- command: \`${benchCommand('bert-presets')}\``,
    `- encoder: random BERT, hidden 768, 12 heads, intermediate 3072, vocab 21128, dropout 0.1; titles of ${chars} chars (+[CLS]/[SEP]), an entity every 10 chars, 20 types`,
    '- step = one `trainStep`: forward + backward + grouped Adam (BERT 1e-4, heads 1e-3, clip 5 per group); after one warm-up step (Adam slots created). chars/s = batch × chars / step',
    '- 12 layers: "frozen 8" = embeddings + lower 8 layers frozen, top 4 trained (batch 8); "full" = everything trained at batch 2 (bench/results/bert.md: batch 8 exceeds the 4 GiB wasm heap)',
    '- inference = `predict` (eval mode, windows, CRF Viterbi / cascade decode) of max(8, batch) titles in one batch; tf MB = tfjs bytes after the steps (weights + Adam slots); RSS = peak of the row’s own process',
    '',
    ...mdTable(
      ['preset', 'layers', 'trained', 'batch', 'params (trainable)', 'first step (s)', `step (s, median of ${rows[0]?.reps ?? 1})`, 'train chars/s', 'tf MB', 'peak RSS MB', 'infer titles/s', 'error'],
      'lrlrrrrrrrrl',
      rows.map((r) => [
        r.preset,
        r.layers,
        r.freeze ? `top ${r.layers - r.freeze} (frozen ${r.freeze})` : r.freezeEmb ? 'all but embeddings' : 'full',
        r.batch,
        r.parameters ? `${(r.parameters / 1e6).toFixed(1)} M (${(r.trainable! / 1e6).toFixed(1)} M)` : '—',
        f(r.firstStepS),
        f(r.stepS),
        f(r.charsPerS, 0),
        f(r.tfMB, 0),
        f(r.peakRssMB, 0),
        f(r.titlesPerS, 1),
        r.error ?? '',
      ]),
    ),
    '',
  ].join('\n')
  writeResults(outPath, md)
  console.log(md)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
