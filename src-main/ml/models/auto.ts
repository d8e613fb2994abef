/**
 * `auto`: the studio's own recipe, a list of parts each chosen by what the project holds
 * (`ProjectFacts`) and each applied to a config. The concrete config, with `recipe` (the parts and
 * the facts), is what the run records. Adding a part is one entry of `AUTO_PARTS`.
 */
import type { PresetName, ProjectFacts, RecipePart, TrainConfig } from '../../shared/training'
import { DEFAULT_ORIGIN_WEIGHTS } from './evidence'
import { presetConfig } from './presets'

/**
 * Above this many entity types the base is the cascade: a flat CRF over 2·K+1 tags costs O(K²) per
 * character. Up to the study's full label set (500 types, 1,001 tags) the flat CRF is worth it: on
 * seed-sample (~430 types) it scored 46.93 test F1 against the cascade's 43.49 (same parts, 3 epochs)
 * at about the same wall time, and it trains at 0.8× the cascade's chars/s at 1,001 tags
 * (bench/results/quality.md, train.md).
 */
const AUTO_CASCADE_TYPES = 500

interface AutoPart {
  id: string
  sentence: string
  when(f: ProjectFacts): boolean
  apply(c: TrainConfig, f: ProjectFacts): { config: TrainConfig; label: string }
}

const AUTO_PARTS: readonly AutoPart[] = [
  {
    id: 'base',
    sentence: 'A BiLSTM over the characters with a CRF over the tags (the cascade of boundaries and types when there are many types).',
    when: () => true,
    apply: (c, f) => {
      const base: PresetName = f.types > AUTO_CASCADE_TYPES ? 'cascade-bilstm-crf' : 'bilstm-crf'
      const p = presetConfig(base)
      return { config: { ...c, model: p.model, lossWeights: p.lossWeights }, label: base }
    },
  },
  {
    id: 'title-embeddings',
    sentence: 'Character and bigram vectors learnt from all of the project’s titles (unlabelled ones included, text only) start the model, so it knows characters it never saw labelled.',
    when: () => true,
    apply: (c) => ({ config: { ...c, model: { ...c.model, pretrainedEmbeddings: true, bigramEmbedding: 50 } }, label: 'title embeddings + bigrams' }),
  },
  {
    id: 'word-features',
    sentence: 'The titles come with their own word segmentation, so each character also sees the embedding of the word that covers it (the study’s word-level features).',
    // Only a segmentation that came with the titles: on seed-sample (its input.seq.word) the word
    // embedding took the flat base with title embeddings from 46.93 to 50.87 test F1 at 3 epochs
    // (bench/results/quality.md). Segmenting in the studio (jieba) was not measured as a part.
    when: (f) => (f.segmented ?? 0) > 0 && 2 * (f.segmented ?? 0) >= f.reviewed + f.weak,
    apply: (c) => ({ config: { ...c, model: { ...c.model, wordEmbedding: 300 } }, label: 'word features (the titles’ own segmentation)' }),
  },
  {
    id: 'lexicon',
    sentence: 'Each character sees which dictionary words (and confirmed train spans) begin, contain or end at it, and of which types: the dictionaries become features, not only labels.',
    // only with imported dictionaries: a lexicon of the train spans alone is perfect on train and
    // fits it too fast (Ding, 5 epochs: 58.2 test F1 with it vs 61.2 without; bench/results/quality.md).
    // With dictionary labels it is kept: on Ding's (the dictionaries below ½ left out) dev F1 after one
    // epoch was 49.2 with it vs 13.5 without, 49.29 test F1 at 5 epochs.
    when: (f) => (f.dictionaryTerms ?? 0) > 0,
    apply: (c) => ({ config: { ...c, model: { ...c.model, lexicon: true } }, label: 'lexicon' }),
  },
  {
    id: 'weak-loss',
    sentence:
      'Weak labels are not read as truth: characters of unreviewed titles that no span covers are unknown (a partial CRF), each title counts by where its labels came from (reviewed > weak > dictionary > model), and a dictionary that is wrong more often than right on the reviewed train and dev titles labels nothing.',
    when: (f) => f.weak + f.unlabelled > 0,
    // Kept spans stay certain: soft dictionary spans (weakLoss.softSpans, selectable) learnt nothing
    // in the first epoch on Ding's dictionary labels (dev F1 0.00 vs 12.81); leaving out the
    // dictionaries below ½ took bilstm-crf + partial CRF from 24.26 to 32.03 test F1 at 5 epochs (bench/results/quality.md)
    apply: (c) => ({
      config: { ...c, weakLoss: { partial: true, unknownEntityPrior: 0.3, originWeights: { ...DEFAULT_ORIGIN_WEIGHTS }, minDictionaryPrecision: 0.5 } },
      label: 'partial CRF (ρ 0.3) + origin weights + dictionaries ≥ ½ precise',
    }),
  },
  {
    id: 'self-training',
    sentence: 'After training, the model labels the unreviewed and unlabelled titles: a title without labels that it is at least 90 % sure of as a whole is taken in full, and titles with weak labels get its confident spans (≥ 0.9, never over existing spans); one more round on them is kept only if dev F1 improves.',
    when: (f) => f.weak + f.unlabelled > 0,
    apply: (c) => {
      const epochs = Math.max(1, Math.round(c.epochs / 3))
      return { config: { ...c, selfTraining: { rounds: 1, minConfidence: 0.9, epochs } }, label: `self-training (1 round, ${epochs} epochs)` }
    },
  },
  {
    id: 'decode-bias',
    sentence: 'After training, the O tag is handicapped by the amount (0 to 3) that gives the best dev F1: a model that saw mostly O says O when unsure, and this buys recall where it costs less precision.',
    // Ding gold, 5 epochs: test F1 60.47 → 63.45 (seed 2) and 62.99 → 64.34 (seed 3) at bias 0.5, the
    // best on dev in both (bench/results/quality.md). Leaves a model with no dev gain at 0.
    when: () => true,
    apply: (c) => ({ config: { ...c, tuneDecodeBias: true }, label: 'decoding tuned on dev (O bias)' }),
  },
]

/** Every part with its sentence, for the Train screen. */
export function autoPartsInfo(): { id: string; sentence: string }[] {
  return AUTO_PARTS.map((p) => ({ id: p.id, sentence: p.sentence }))
}

/** The concrete `auto` config for a project with these facts; `overrides` (epochs, seed…) apply first. */
export function autoConfig(facts: ProjectFacts, overrides: Partial<Omit<TrainConfig, 'model' | 'lossWeights'>> = {}): TrainConfig {
  let c: TrainConfig = { ...presetConfig('bilstm-crf'), ...overrides, preset: 'auto' }
  const parts: RecipePart[] = []
  for (const p of AUTO_PARTS) {
    if (!p.when(facts)) continue
    const r = p.apply(c, facts)
    c = r.config
    parts.push({ id: p.id, label: r.label, sentence: p.sentence })
  }
  return { ...c, recipe: { parts, facts } }
}

/** The facts of a training set (examples as the host writes them) and a count of titles outside it. */
export function factsOf(train: readonly { spans: readonly { type: string }[]; reviewed?: boolean; words?: readonly number[] }[], unlabelledOutside = 0): ProjectFacts {
  const types = new Set<string>()
  let reviewed = 0
  let weak = 0
  let unlabelled = unlabelledOutside
  let segmented = 0
  for (const e of train) {
    for (const s of e.spans) types.add(s.type)
    if (e.reviewed !== false) reviewed++
    else if (e.spans.length) weak++
    else unlabelled++
    if (e.words?.length) segmented++
  }
  return { reviewed, weak, unlabelled, types: types.size, ...(segmented ? { segmented } : {}) }
}
