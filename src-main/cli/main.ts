// `ner-studio` — the command line over the same services as the studio.
// Exit codes: 0 ok, 1 bad input or a failed operation (one line on stderr), 2 usage.

import { existsSync, rmSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { ExportFormat, ImportFormat } from '../shared/api'
import type { SchemeName } from '../shared/tags'
import { StudioError } from '../shared/errors'
import { SPLITS, type Split } from '../shared/types'
import { exportFrom } from '../services/io/export'
import { importInto } from '../services/io/import'
import { join, resolve } from 'node:path'
import { ensureDemoProject } from '../services/io/demo'
import { userDataDir } from '../services/paths'
import { Project } from '../services/project/project'
import { ProgressBar } from './progress'
import { applyDictionaries } from '../services/dicts/apply'
import { importGazetteerInto, listDictionaries } from '../services/dicts/dicts'
import { asyncTransaction, busyError } from '../store/db'
import { cmdEvaluate, cmdPredict, cmdPresets, cmdTrain, UsageError } from './train'
import { cmdAccept, cmdPreannotate, cmdQueue } from './review'
import { cmdImports, cmdSplit, cmdTitles } from './data'
import { cmdSimulate, cmdTrainCurve } from './loop'

const USAGE = `usage: ner-studio <command> …

  import <project.sqlite> <path> [--format seed|conll|jsonl|text|csv] [--split train|dev|test|none]
         [--origin gold|weak] [--column NAME] [--repair-tags]
         (creates the project file when it does not exist; --repair-tags lets a stray I- tag start
          an entity instead of refusing the file, as model-made weak labels need)
  export <project.sqlite> --format attributes-csv|conll|jsonl|seed --out <path> [--split S]
         [--run ID] [--scheme bio|bioes] [--bom] [--separator SEP] [--force] [--no-formula-escape]
         (never writes over a file that exists unless --force, and never over a SQLite file;
          attributes CSV cells starting with = + - @ TAB CR get a leading ' unless --no-formula-escape)
  stats  <project.sqlite> [--json]
  weak-label <project.sqlite> --dict <file> [--dict <file> …] [--type T] [--name N] [--split S]
         [--all] [--replace] [--min-length N]
         (imports each gazetteer — one term per line of type T, or term<TAB>type lines without
          --type — as a dictionary named N or after its file, replacing the terms of one of that
          name, then labels unreviewed titles (--all: reviewed ones too) by longest match over all
          of them; --replace first removes the unconfirmed spans those dictionaries made before;
          --min-length 2 leaves out one-character terms)
  dicts  <project.sqlite> [--json] [--min-length N]
         (dictionaries with terms, spans, precision and recall on reviewed titles)
  train  <project.sqlite> --model <preset> [--epochs N] [--seed S] [--batch-size B] [--patience P]
         [--data all|reviewed] [--backend tensorflow|wasm|cpu] [--workers N] [--config overrides.json] [--json]
         [--from-run N]   (start from run N's model: same model and settings, its weights; e.g. after more review)
         BERT models (bert, bert-crf, bert-bilstm-crf, cascade-bert-crf, cascade-bert-crf-wol):
         --bert <folder> [--encoder-lr 1e-4] [--freeze-layers N] [--freeze-embeddings] [--accumulate K]
  train-curve <project.sqlite> --model <preset> [--fractions 0.25,0.5,0.75,1] [--epochs N] [--seed S]
         [--data reviewed|all] [--config overrides.json] [--json]
         (trains on nested random subsets of train, scores each on dev: does the curve still rise?)
  simulate <project.sqlite> --oracle <gold.conll|gold.jsonl> --strategy least-confident|entropy|sequence|mnlp|random
         --model <preset> [--start N] [--batch N] [--rounds N] [--epochs N] [--warm-epochs N] [--seed S] [--json]
         (REWRITES the train split: it starts unreviewed; each round trains, scores on test, picks
          --batch titles and replaces their spans with the oracle's — run it on a copy;
          sequence: 1 − P(path | title); mnlp: −log P(path | title) / chars; bench/results/loop.md;
          --warm-epochs N: rounds after the first continue the previous round's model for N epochs)
  evaluate <project.sqlite> --run <id> [--split test|dev|train] [--workers N] [--json]
  predict  <project.sqlite> --run <id> <titles.txt|project.sqlite> --out <file.csv> [--batch-size N] [--workers N] [--bom]
  presets  [--bert <folder>] [--json]                (the study's models and what each one is)
  pre-annotate <project.sqlite> --run <id> [--split S] [--min-confidence X] [--limit N] [--workers N] [--json]
         (the run's spans on unreviewed titles as origin model, with confidence; never over other spans)
  queue    <project.sqlite> [--run <id>] [--order least-confident|entropy|sequence|mnlp] [--limit N] [--json]
           (unreviewed titles in an uncertainty order; all but least-confident need --run)
  accept   <project.sqlite> (--type T [--min-confidence X] [--run <id>] | --title ID)   (model spans → gold)
  reject   <project.sqlite> (--type T [--min-confidence X | --below X] [--run <id>] | --title ID)   (model spans deleted)
  titles <project.sqlite> [--split S] [--status S] [--type T] [--origin O] [--search X] [--disagrees-with RUN]
         [--ids 1,2,…] (--mark reviewed|unreviewed | --move-to SPLIT | --delete | --delete-spans ORIGIN)
         [--dry-run] [--json]   (every title of the filter, or the ids, in ONE undoable step)
  split  <project.sqlite> --from train [--dev 0.1] [--test 0.1] [--seed 1] [--dry-run] [--json]
         (a reproducible random share of --from goes to dev and test; one undoable step)
  imports <project.sqlite> [--json] | --undo ID [--force]
         (every import with its titles; --undo deletes the titles an import created, --force also
          those reviewed since)
  serve  [project.sqlite] [--port N] [--max-upload-mib N] [--root DIR]   (headless server on 127.0.0.1, prints
         its URL with the token in its #fragment; uploads up to N MiB, default 1024; --root: projects,
         imports, exports and uploads only below DIR; default project: the demo)
`

function need<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${what} must be one of ${allowed.join(', ')} (got "${value}")`)
  }
  return value as T
}

async function cmdImport(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      split: { type: 'string' },
      origin: { type: 'string' },
      column: { type: 'string' },
      'repair-tags': { type: 'boolean' },
    },
  })
  const [project, path] = positionals
  if (!project || !path || positionals.length > 2) throw new UsageError('import needs <project.sqlite> <path>')
  const format = need<ImportFormat>(values.format, ['seed', 'conll', 'jsonl', 'text', 'csv'], 'format')
  const split = need<Split>(values.split, SPLITS, 'split')
  const origin = need(values.origin, ['gold', 'weak'] as const, 'origin')
  const created = !existsSync(project)
  if (created) Project.open(project, { create: true }).close()
  const bar = new ProgressBar('import')
  const r = await importInto(
    project,
    {
      path,
      ...(format ? { format } : {}),
      ...(split ? { split } : {}),
      ...(origin ? { origin } : {}),
      ...(values.column ? { column: values.column } : {}),
      ...(values['repair-tags'] ? { repairTags: true } : {}),
    },
    { onProgress: (p) => bar.update(p.bytesRead, p.bytesTotal, `${p.titles} titles`) },
  ).catch((e: unknown) => {
    bar.end()
    // A failed import into a project this command created leaves no empty project behind.
    if (created) for (const f of [project, `${project}-wal`, `${project}-shm`]) rmSync(f, { force: true })
    throw e
  })
  bar.end()
  console.log(
    `imported ${r.titles} titles and ${r.spans} spans (${r.typesCreated} new entity types) from ${r.file} [${r.format}] in ${r.seconds.toFixed(1)} s` +
      (r.repairedTags ? `; repaired ${r.repairedTags} stray tags` : ''),
  )
  for (const w of r.warnings) process.stderr.write(`ner-studio: warning: ${w}\n`)
}

async function cmdExport(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      split: { type: 'string' },
      run: { type: 'string' },
      scheme: { type: 'string' },
      bom: { type: 'boolean' },
      separator: { type: 'string' },
      force: { type: 'boolean' },
      'no-formula-escape': { type: 'boolean' },
    },
  })
  const [project] = positionals
  if (!project || positionals.length > 1) throw new UsageError('export needs <project.sqlite>')
  const format = need<ExportFormat>(values.format, ['attributes-csv', 'conll', 'jsonl', 'seed'], 'format')
  if (!format) throw new UsageError('export needs --format')
  if (!values.out) throw new UsageError('export needs --out <path>')
  const split = need<Split>(values.split, SPLITS, 'split')
  const scheme = need<SchemeName>(values.scheme, ['bio', 'bioes'], 'scheme')
  let runId: number | undefined
  if (values.run !== undefined) {
    runId = Number(values.run)
    if (!Number.isInteger(runId) || runId <= 0) throw new UsageError(`--run must be a run id, got "${values.run}"`)
  }
  const r = await exportFrom(project, {
    format,
    out: values.out,
    ...(split ? { split } : {}),
    ...(scheme ? { scheme } : {}),
    ...(runId !== undefined ? { runId } : {}),
    ...(values.bom ? { bom: true } : {}),
    ...(values.separator !== undefined ? { separator: values.separator } : {}),
    ...(values.force ? { overwrite: true } : {}),
    ...(values['no-formula-escape'] ? { formulaEscape: false } : {}),
  })
  console.log(`exported ${r.titles} titles and ${r.spans} spans to ${r.out} [${r.format}]`)
}

function cmdStats(argv: string[]): void {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('stats needs <project.sqlite>')
  const p = Project.open(path, { readonly: true })
  try {
    const s = p.stats()
    if (values.json) {
      console.log(JSON.stringify(s, null, 2))
      return
    }
    console.log(`${s.path}: ${s.titles} titles, ${s.spans} spans, ${s.types.length} entity types, ${s.runs} runs`)
    console.log('\ntitles      unreviewed  reviewed')
    for (const split of SPLITS) {
      const get = (status: string): number => s.bySplitStatus.find((r) => r.split === split && r.status === status)?.count ?? 0
      console.log(`  ${split.padEnd(8)} ${String(get('unreviewed')).padStart(11)} ${String(get('reviewed')).padStart(9)}`)
    }
    console.log(`\nspans by origin: ${Object.entries(s.byOrigin).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    console.log('\nspans by type (gold / weak / dictionary / model):')
    for (const t of s.types.slice(0, 30)) {
      const o = t.byOrigin
      console.log(`  ${t.name.padEnd(12)} ${String(t.total).padStart(7)}   ${o.gold} / ${o.weak} / ${o.dictionary} / ${o.model}`)
    }
    if (s.types.length > 30) console.log(`  … and ${s.types.length - 30} more (--json lists all)`)
  } finally {
    p.close()
  }
}

async function cmdWeakLabel(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dict: { type: 'string', multiple: true },
      type: { type: 'string' },
      name: { type: 'string' },
      split: { type: 'string' },
      all: { type: 'boolean' },
      replace: { type: 'boolean' },
      'min-length': { type: 'string' },
    },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('weak-label needs <project.sqlite>')
  const minLength = values['min-length'] === undefined ? 1 : Number(values['min-length'])
  if (!Number.isInteger(minLength) || minLength < 1) throw new UsageError(`--min-length must be a whole number ≥ 1, got "${values['min-length']}"`)
  const dicts = values.dict ?? []
  if (!dicts.length) throw new UsageError('weak-label needs --dict <file>')
  if (values.name && dicts.length > 1) throw new UsageError('--name names one dictionary: give one --dict with it')
  const split = need<Split>(values.split, SPLITS, 'split')
  // ONE transaction: every dictionary, its terms and the spans it makes commit together, so a bad
  // line in the last file or a kill at any moment leaves the project as it was.
  const p = Project.open(path)
  try {
    const { imported, r } = await asyncTransaction(p.db, async () => {
      const imported: { name: string; file: string; terms: number; duplicates: number; id: number }[] = []
      for (const file of dicts) {
        const d = await importGazetteerInto(p.db, {
          path: file,
          update: true,
          ...(values.type ? { type: values.type } : {}),
          ...(values.name ? { name: values.name } : {}),
        })
        imported.push({ ...d, file, name: listDictionaries(p.db, [d.id])[0]!.name })
      }
      const r = applyDictionaries(p, {
        dictionaryIds: imported.map((d) => d.id),
        scope: values.all ? 'all' : 'unreviewed',
        ...(split ? { split } : {}),
        ...(values.replace ? { replace: true } : {}),
        ...(minLength > 1 ? { minLength } : {}),
      })
      return { imported, r }
    })
    for (const d of imported) {
      console.log(`dictionary ${d.name}: ${d.terms} terms${d.duplicates ? ` (${d.duplicates} duplicate lines)` : ''} from ${d.file}`)
    }
    console.log(
      `labelled ${r.titlesTouched} of ${r.titlesScanned} titles: ${r.spansAdded} dictionary spans added, ` +
        `${r.skippedOverlap} matches skipped (overlap an existing span), ${r.alreadyPresent} already there` +
        (r.removed ? `, ${r.removed} previous dictionary spans removed` : '') +
        ` in ${r.seconds.toFixed(2)} s`,
    )
  } finally {
    p.close()
  }
}

function cmdDicts(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, 'min-length': { type: 'string' } },
  })
  const [path] = positionals
  if (!path || positionals.length > 1) throw new UsageError('dicts needs <project.sqlite>')
  const minLength = values['min-length'] === undefined ? 1 : Number(values['min-length'])
  if (!Number.isInteger(minLength) || minLength < 1) throw new UsageError(`--min-length must be a whole number ≥ 1, got "${values['min-length']}"`)
  const p = Project.open(path)
  try {
    const list = listDictionaries(p.db, undefined, minLength)
    if (values.json) {
      console.log(JSON.stringify(list, null, 2))
      return
    }
    if (!list.length) {
      console.log('no dictionaries (ner-studio weak-label imports one)')
      return
    }
    const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)} %`)
    const reviewed = list[0]!.quality.reviewedTitles
    console.log(`dictionary            type      terms    spans  precision  recall  (on ${reviewed} reviewed titles)`)
    for (const d of list) {
      const q = d.quality
      console.log(
        `${d.name.padEnd(20)}  ${(d.type ?? d.types.join(',')).padEnd(8)} ${String(d.terms).padStart(6)} ${String(d.spans).padStart(8)}` +
          `  ${pct(q.precision).padStart(9)} ${pct(q.recall).padStart(7)}   ${q.correct}/${q.matches} matches, support ${q.support}` +
          (q.inSample ? `  (in-sample: ${q.inSample})` : ''),
      )
    }
  } finally {
    p.close()
  }
}

async function cmdServe(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { port: { type: 'string' }, token: { type: 'string' }, 'max-upload-mib': { type: 'string' }, root: { type: 'string' } },
  })
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0…65535, got "${values.port}"`)
  const mib = values['max-upload-mib'] === undefined ? 1024 : Number(values['max-upload-mib'])
  if (!Number.isInteger(mib) || mib < 1) throw new UsageError(`--max-upload-mib must be a whole number ≥ 1, got "${values['max-upload-mib']}"`)
  const { startServer } = await import('../server/http')
  // Without a project, open the built-in demo project (created on first use).
  // A relative path is the user's: taken from the working directory (npm start runs us there too).
  const projectPath = positionals[0] ? resolve(positionals[0]) : await ensureDemoProject(join(userDataDir(), 'demo.sqlite'))
  const server = await startServer({
    projectPath,
    port,
    maxUpload: mib * 2 ** 20,
    ...(values.root ? { root: values.root } : {}),
    ...(values.token ? { token: values.token } : {}),
  })
  // The first signal stops cleanly (half-open connections are cut, see server/http.ts); a second one exits at once.
  let stopping = false
  const stop = (): void => {
    if (stopping) process.exit(1)
    stopping = true
    void server.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  // Printed only once a signal stops us cleanly: whoever reads the URL may send one at once.
  console.log(`NER Studio is serving ${projectPath}\nOpen ${server.url}`)
}

export async function main(argv: string[]): Promise<number> {
  // `ner-studio stats … | head` closes our stdout early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0)
    throw e
  })
  const [cmd, ...rest] = argv
  try {
    switch (cmd) {
      case 'import':
        await cmdImport(rest)
        return 0
      case 'export':
        await cmdExport(rest)
        return 0
      case 'stats':
        cmdStats(rest)
        return 0
      case 'serve':
        await cmdServe(rest)
        return 0
      case 'weak-label':
        await cmdWeakLabel(rest)
        return 0
      case 'dicts':
        cmdDicts(rest)
        return 0
      case 'presets':
        cmdPresets(rest)
        return 0
      case 'train':
        await cmdTrain(rest)
        return 0
      case 'evaluate':
        await cmdEvaluate(rest)
        return 0
      case 'predict':
        await cmdPredict(rest)
        return 0
      case 'pre-annotate':
        await cmdPreannotate(rest)
        return 0
      case 'queue':
        cmdQueue(rest)
        return 0
      case 'accept':
        cmdAccept(rest)
        return 0
      case 'train-curve':
        await cmdTrainCurve(rest)
        return 0
      case 'simulate':
        await cmdSimulate(rest)
        return 0
      case 'reject':
        cmdAccept(rest, true)
        return 0
      case 'titles':
        cmdTitles(rest)
        return 0
      case 'split':
        cmdSplit(rest)
        return 0
      case 'imports':
        cmdImports(rest)
        return 0
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE)
        return cmd === undefined ? 2 : 0
      default:
        throw new UsageError(`unknown command "${cmd}"`)
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`ner-studio: ${(e as Error).message}\n${USAGE}`)
      return 2
    }
    const err = busyError(e) ?? e
    const msg = err instanceof StudioError ? err.message : `${(err as Error).message ?? err}`
    process.stderr.write(`ner-studio: ${msg.split('\n')[0]}\n`)
    if (process.env.NER_STUDIO_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`)
    return 1
  }
}

// Run when executed directly (built out/main/cli.js, or tsx src-main/cli/main.ts).
if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    if (code !== 0 || process.argv[2] !== 'serve') process.exitCode = code
  })
}
