/**
 * Is more annotation worth it? The simulated review loop on the public Ding set.
 *
 *   npm run bench loop [-- --epochs 8 --start 200 --batch 300 --rounds 6 --dim 64 --lr 0.01 --only full|least-confident|entropy|sequence|mnlp|random --report]
 *   npm run bench loop -- --only round [--at 1100]   one least-confident round alone, timed part by part
 *   … --out loop-first20                              results in bench/results/loop-first20/ instead
 *   … --seed 7                                        another seed (the initial titles, the model's init)
 *   … --config '{"model":{"pretrainedEmbeddings":true}}'   a part beyond the study on the same bilstm-crf
 *   … --warm-epochs 3   rounds after the first continue the previous round's model for 3 epochs
 *
 * Project: Ding's train titles in split train (their gold is removed by the simulation: every
 * title starts unreviewed), Ding's dev file as split test; oracle = Ding's gold train file.
 * bilstm-crf with the SAME epochs in every round (patience = epochs: no early stop; the best
 * epoch on 10 % of the reviewed titles held back is kept). `--only` runs one part (parts can run
 * as parallel processes); each part writes bench/results/loop-<part>.json after every round, and
 * every part (or `--report`) rewrites bench/results/loop.md and loop.svg from the parts there are.
 * Each round records the reviewed share in titles AND in characters: the sequence-level orders
 * favour long titles, so the same title count can be more review work.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { importInto } from '../src-main/services/io/import'
import { Project } from '../src-main/services/project/project'
import { simulate, type SimulateRound, type Strategy } from '../src-main/services/runs/simulate'
import { evaluateRun } from '../src-main/services/runs/evaluate'
import { startTraining, type ConfigOverrides } from '../src-main/services/runs/training'
import { machineLine, mdTable, sharedDir, writeResults } from './lib/report'

const args = process.argv.slice(2)
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1]! : def
}
const EPOCHS = Number(opt('epochs', '8'))
const START = Number(opt('start', '200'))
const BATCH = Number(opt('batch', '300'))
const ROUNDS = Number(opt('rounds', '6'))
const DIM = Number(opt('dim', '64'))
const LR = Number(opt('lr', '0.01'))
const ONLY = opt('only', '')
const AT = Number(opt('at', '1100'))
const SEED = Number(opt('seed', '42'))
/** --warm-epochs N: rounds after the first continue the previous round's model for N epochs (simulate's warm rounds). */
const WARM = opt('warm-epochs', '') ? Number(opt('warm-epochs', '')) : undefined

const root = path.resolve(__dirname, '..')
const ding = path.join(sharedDir, 'data', 'ecommerce-ding2019')
// --out <folder>: another variant's results (e.g. loop-first20) beside, not over, the main ones
const results = path.join(root, 'bench', 'results', opt('out', ''))
const partFile = (part: string): string => path.join(results, `loop-${part}.json`)
// --config '{"model": {"pretrainedEmbeddings": true}}': model parts beyond the study on the same bilstm-crf (merged into model)
const extra = JSON.parse(opt('config', '{}')) as NonNullable<ConfigOverrides>
const overrides: ConfigOverrides = { ...extra, epochs: EPOCHS, patience: EPOCHS, learningRate: LR, seed: SEED, model: { ...extra.model, charEmbedding: DIM, hidden: DIM } }

class RoundDone extends Error {}

interface Part {
  part: string
  settings: string
  rounds: (Pick<SimulateRound, 'round' | 'reviewed' | 'share' | 'test' | 'seconds' | 'trainSeconds' | 'runId'> &
    Partial<Pick<SimulateRound, 'testSeconds' | 'pickSeconds'>> & { load?: number; chars?: number })[]
  /** Characters (code points) of all train titles. */
  trainChars?: number
  /** Where and when the part ran (`--report` rebuilds the page later, maybe elsewhere); absent in parts older than this field. */
  machine?: string
  date?: string
  done: boolean
}

async function makeProject(dir: string): Promise<string> {
  const file = path.join(dir, 'ding.sqlite')
  Project.open(file, { create: true }).close()
  // The train titles come in with their gold, which simulate() removes before the first round.
  await importInto(file, { path: path.join(ding, 'train.txt.bieos'), format: 'conll', split: 'train', origin: 'gold' })
  await importInto(file, { path: path.join(ding, 'dev.txt.bieos'), format: 'conll', split: 'test', origin: 'gold' })
  return file
}

const settings = `bilstm-crf${opt('config', '') ? ` with ${opt('config', '')}` : ''}, char embedding ${DIM}, BiLSTM ${DIM}, ${WARM !== undefined ? `${EPOCHS} epochs in round 1, then ${WARM} epochs continuing the previous round's model` : `${EPOCHS} epochs every round`} (lr ${LR}, batch 32, seed ${SEED}); start ${START}, +${BATCH} per round, ${ROUNDS} rounds`

async function runPart(part: string, dir: string): Promise<void> {
  const file = await makeProject(dir)
  const out: Part = { part, settings, rounds: [], done: false, machine: machineLine(), date: new Date().toISOString() }
  const save = (): void => {
    mkdirSync(results, { recursive: true })
    writeFileSync(partFile(part), JSON.stringify(out, null, 1))
    report()
  }
  const p = Project.open(file)
  const chars = (status: string): number =>
    (p.db.prepare(`SELECT coalesce(sum(length(text)), 0) AS n FROM titles WHERE split = 'train' AND status IN (${status})`).get() as { n: number }).n
  try {
    if (part === 'full') {
      const t0 = performance.now()
      const r = await startTraining(p.db, { preset: 'bilstm-crf', overrides, data: { titles: 'all', seed: SEED } }).done
      if (r.outcome.kind !== 'done') throw new Error(`full-data run ${r.outcome.kind}`)
      const trainSeconds = (performance.now() - t0) / 1000
      const m = (await evaluateRun(p.db, r.runId, 'test')).report.micro
      const n = (p.db.prepare("SELECT count(*) AS n FROM titles WHERE split = 'train'").get() as { n: number }).n
      out.trainChars = chars("'reviewed', 'unreviewed'")
      out.rounds.push({ round: 1, runId: r.runId, reviewed: n, chars: out.trainChars, share: 1, test: { precision: m.precision, recall: m.recall, f1: m.f1 }, seconds: (performance.now() - t0) / 1000, trainSeconds, load: loadavg()[0] })
    } else {
      // 'round': one least-confident round from AT reviewed titles (its pick needs a round after it; the part stops there).
      const one = part === 'round'
      const strategy = (one ? 'least-confident' : part) as Strategy
      await simulate(
        p,
        { oracle: path.join(ding, 'train.txt.bieos'), strategy, preset: 'bilstm-crf', start: one ? AT : START, batch: BATCH, rounds: one ? 2 : ROUNDS, overrides, seed: SEED, ...(WARM !== undefined ? { warmEpochs: WARM } : {}) },
        (r) => {
          out.trainChars ??= chars("'reviewed', 'unreviewed'")
          // onRound runs before the round's picks are reviewed: the reviewed titles are the round's
          out.rounds.push({ round: r.round, runId: r.runId, reviewed: r.reviewed, chars: chars("'reviewed'"), share: r.share, test: r.test, seconds: r.seconds, trainSeconds: r.trainSeconds, testSeconds: r.testSeconds, pickSeconds: r.pickSeconds, load: loadavg()[0] })
          console.log(`${part} round ${r.round}: ${r.reviewed} reviewed, test F1 ${(r.test.f1 * 100).toFixed(2)}, ${r.seconds.toFixed(0)} s`)
          save()
          if (one) throw new RoundDone()
        },
      ).catch((e: unknown) => {
        if (!(e instanceof RoundDone)) throw e
      })
    }
    out.done = true
    save()
  } finally {
    p.close()
  }
}

function readPart(part: string): Part | null {
  return existsSync(partFile(part)) ? (JSON.parse(readFileSync(partFile(part), 'utf8')) as Part) : null
}

const STRATEGY_PARTS = ['least-confident', 'entropy', 'sequence', 'mnlp', 'random']
const COLORS: Record<string, string> = { 'least-confident': '#d62728', entropy: '#9467bd', sequence: '#ff7f0e', mnlp: '#8c564b', random: '#1f77b4' }

function svg(parts: Part[], full: Part | null): string {
  const W = 640, H = 400, L = 60, R = 160, T = 20, B = 50
  const x = (s: number): number => L + s * (W - L - R)
  const all = parts.flatMap((p) => p.rounds.map((r) => r.test.f1)).concat(full ? [full.rounds[0]!.test.f1] : [])
  const lo = Math.max(0, Math.floor((Math.min(...all, 1) - 0.05) * 10) / 10)
  const y = (f: number): number => T + (1 - (f - lo) / (1 - lo)) * (H - T - B)
  const el: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`]
  for (let s = 0; s <= 1.0001; s += 0.2) el.push(`<line x1="${x(s)}" y1="${T}" x2="${x(s)}" y2="${H - B}" stroke="#eee"/><text x="${x(s)}" y="${H - B + 16}" text-anchor="middle">${Math.round(s * 100)} %</text>`)
  for (let f = lo; f <= 1.0001; f += 0.1) el.push(`<line x1="${L}" y1="${y(f)}" x2="${W - R}" y2="${y(f)}" stroke="#eee"/><text x="${L - 6}" y="${y(f) + 4}" text-anchor="end">${(f * 100).toFixed(0)}</text>`)
  el.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">train titles reviewed (share of 3,989)</text>`, `<text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">test F1 (%)</text>`)
  let ly = T + 10
  if (full) {
    const f = full.rounds[0]!.test.f1
    el.push(`<line x1="${L}" y1="${y(f)}" x2="${W - R}" y2="${y(f)}" stroke="#2ca02c" stroke-dasharray="6 4"/>`, `<line x1="${L}" y1="${y(f - 0.01)}" x2="${W - R}" y2="${y(f - 0.01)}" stroke="#2ca02c" stroke-dasharray="2 3"/>`)
    el.push(`<text x="${W - R + 8}" y="${ly}" fill="#2ca02c">full data ${(f * 100).toFixed(1)}</text>`, `<text x="${W - R + 8}" y="${(ly += 16)}" fill="#2ca02c">full − 1 point</text>`)
    ly += 16
  }
  for (const p of parts) {
    const c = COLORS[p.part] ?? '#555'
    el.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${p.rounds.map((r) => `${x(r.share).toFixed(1)},${y(r.test.f1).toFixed(1)}`).join(' ')}"/>`)
    for (const r of p.rounds) el.push(`<circle cx="${x(r.share).toFixed(1)}" cy="${y(r.test.f1).toFixed(1)}" r="3" fill="${c}"/>`)
    el.push(`<text x="${W - R + 8}" y="${ly}" fill="${c}">${p.part}</text>`)
    ly += 16
  }
  el.push('</svg>')
  return el.join('\n')
}

const pct = (f: number): string => (f * 100).toFixed(2)
const secs = (n: number | undefined): string => (n === undefined ? '–' : n.toFixed(0))

function report(): void {
  const full = readPart('full')
  const parts = STRATEGY_PARTS.map(readPart).filter((p): p is Part => p !== null)
  const one = readPart('round')
  writeFileSync(path.join(results, 'loop.svg'), svg(parts, full))
  const fullF1 = full?.rounds[0]?.test.f1
  const reach = (p: Part): string => {
    if (fullF1 === undefined) return '—'
    const r = p.rounds.find((x) => x.test.f1 >= fullF1 - 0.01)
    return r ? `${r.reviewed} titles (${(r.share * 100).toFixed(1)} %)` : `not within ${p.rounds.length} rounds (${p.rounds.at(-1)!.reviewed} titles)`
  }
  /** F1 of the last round at or under 40 % reviewed (titles), and that round's share of the characters. */
  const last40 = (p: Part): Part['rounds'][number] | undefined => p.rounds.filter((x) => x.share <= 0.4 + 1e-9).at(-1)
  const at40 = (p: Part): string => {
    const r = last40(p)
    return r ? `${pct(r.test.f1)} (${r.reviewed})` : '–'
  }
  const charShare = (p: Part, r: Part['rounds'][number] | undefined): string =>
    r?.chars !== undefined && p.trainChars ? `${((r.chars / p.trainChars) * 100).toFixed(1)} %` : '–'
  const loads = [...parts, ...(full ? [full] : [])].flatMap((p) => p.rounds.map((r) => r.load)).filter((l): l is number => l !== undefined)
  const loadText = loads.length ? `1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} at the rounds' ends` : 'load not recorded'
  // the parts' own machine and dates: a page rebuilt later (or elsewhere) keeps where they ran
  const all = [...parts, ...(full ? [full] : [])]
  const machines = [...new Set(all.map((p) => p.machine ?? 'not recorded in the parts'))]
  const dates = all.map((p) => p.date).filter((d): d is string => !!d).sort()
  const lines = [
    '# Simulated review loop on Ding (bench/loop.ts)',
    '',
    `- Commands: \`npm run bench loop -- --only <part>\` for each part (full, least-confident, entropy, sequence, mnlp, random) as parallel processes under \`nice -n 10\`; \`npm run bench loop -- --only round --at ${AT}\` for one round alone; \`npm run bench loop -- --report\` rebuilds this page. \`npm run bench loop\` runs the parts in turn.`,
    `- Date: ${dates.length ? `parts started ${dates[0]}${dates.length > 1 ? ` to ${dates.at(-1)}` : ''}` : 'not recorded in the parts'}; page built ${new Date().toISOString()}`,
    `- Machine: ${machines.join('; ')} — the parts ran side by side, with other jobs at times: ${loadText}. Wall seconds are inflated by that load; F1 is not affected.`,
    `- Data: ../shared/data/ecommerce-ding2019: train.txt.bieos (3,989 titles) in split train, every title unreviewed at the start; oracle = the same file's gold; test = dev.txt.bieos (500 titles).`,
    `- Settings: ${(parts[0] ?? full)?.settings ?? settings}. The study's dims are 300; 64 here so that every part fits the time there was on this shared machine. ${/continuing the previous round/.test((parts[0] ?? full)?.settings ?? settings) ? "Round 1 trains from scratch, every later round continues the previous round's model (a warm start: `simulate --warm-epochs`); full data is one run from scratch" : 'Each round trains from scratch with the same epochs'} (patience = epochs; the best epoch on 10 % of the reviewed titles held back is kept). One seed.`,
    '- Strategies, all through the Pre-annotate service (services/runs/evaluation.ts: `preannotate`, then `preannotateQueue` in its order): **least-confident** = titles by their least confident model span (a span\'s confidence = mean CRF marginal of its tags); titles with no model span are not in that queue and fill a short batch at random. **entropy** = every unreviewed title by the total token entropy of its CRF marginals (Σ over characters of −Σ p log p), highest first. **sequence** = every unreviewed title by the sequence-level least confidence 1 − P(ŷ | x) of its Viterbi path (Culotta & McCallum 2005; P = exp(s(ŷ) − log Z)), highest first. **mnlp** = every unreviewed title by −log P(ŷ | x) / characters (Shen et al. 2017), highest first. **random** = a seeded shuffle.',
    '- Reviewed share: the strategies pick titles, so rounds land on the same title counts; the characters those titles hold differ by strategy (sequence favours long titles, whose path probability is a product over more characters; mnlp divides by the length), so each round also gives the share of the train split\'s characters reviewed.',
    '',
    '![test F1 against reviewed share](loop.svg)',
    '',
  ]
  if (full) lines.push(`**Full data** (all 3,989 gold titles, same settings): test P/R/F1 ${pct(full.rounds[0]!.test.precision)} / ${pct(full.rounds[0]!.test.recall)} / **${pct(fullF1!)}**; target line full − 1 = ${pct(fullF1! - 0.01)}. ${secs(full.rounds[0]!.trainSeconds)} s to train.`, '')
  else lines.push('Full data: **not measured** in this run (its part did not finish).', '')
  if (parts.length) {
    lines.push(
      ...mdTable(
        ['strategy', 'rounds', 'reaches full − 1 F1 after', 'test F1 at ≤ 40 % (titles)', 'there: share of characters', 'best test F1'],
        'lrlrrr',
        parts.map((p) => [`${p.part}${p.done ? '' : ' (unfinished)'}`, p.rounds.length, reach(p), at40(p), charShare(p, last40(p)), pct(Math.max(...p.rounds.map((x) => x.test.f1)))]),
      ),
      '',
    )
  }
  for (const p of parts) {
    lines.push(`## ${p.part}${p.done ? '' : ' (unfinished: rounds so far)'}`, '')
    lines.push(
      ...mdTable(
        ['round', 'reviewed', 'share (titles)', 'share (chars)', 'test P', 'test R', 'test F1', 's/round', 's train', 's test', 's pick', 'load', 'run'],
        'rrrrrrrrrrrrr',
        p.rounds.map((r) => [r.round, r.reviewed, `${(r.share * 100).toFixed(1)} %`, charShare(p, r), pct(r.test.precision), pct(r.test.recall), pct(r.test.f1), secs(r.seconds), secs(r.trainSeconds), secs(r.testSeconds), secs(r.pickSeconds), r.load?.toFixed(1) ?? '–', r.runId]),
      ),
      '',
    )
  }
  if (one?.rounds[0]) {
    const r = one.rounds[0]
    lines.push(
      '## One round alone',
      '',
      `A least-confident round from ${r.reviewed} reviewed titles (\`--only round --at ${AT}\`), run by itself: **${secs(r.seconds)} s** — training ${secs(r.trainSeconds)} s, scoring the 500 test titles ${secs(r.testSeconds)} s, pre-annotating the ${3989 - r.reviewed} unreviewed train titles and picking ${secs(r.pickSeconds)} s; load average ${r.load?.toFixed(1) ?? '?'} when it ended.`,
      '',
    )
  }
  const note = path.join(results, 'loop-note.md')
  if (existsSync(note)) lines.push('## Note', '', readFileSync(note, 'utf8').trim(), '')
  writeResults(path.join(results, 'loop.md'), lines.join('\n'))
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ding, 'train.txt.bieos'))) {
    console.error(`skipped: the public Ding set is not at ${ding}`)
    return
  }
  if (args.includes('--report')) return report()
  const parts = ONLY ? [ONLY] : ['full', ...STRATEGY_PARTS]
  for (const part of parts) {
    const dir = mkdtempSync(path.join(tmpdir(), 'ner-studio-loop-'))
    try {
      await runPart(part, dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
