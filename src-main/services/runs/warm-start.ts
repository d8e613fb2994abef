// A warm start: a run that begins from an earlier run's model instead of random weights, as an
// analyst continues training after reviewing more titles (Prodigy's `--base-model`).

import type { Checkpoint, CheckpointManifest } from '../../ml/checkpoint'
import { StudioError } from '../../shared/errors'
import { splitTag } from '../../shared/tags'
import type { Example, TrainConfig } from '../../shared/training'
import type { DB } from '../../store/db'
import { loadCheckpoint } from './records'

/** The refusal when the training titles hold types the earlier model cannot tag (simulate starts afresh on it). */
export class UntaggableTypesError extends StudioError {
  constructor(message: string) {
    super('bad_request', message)
  }
}

/** JSON with object keys sorted, so two configs compare by content, not by key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(v)
}

/** The entity types a checkpoint's model can tag. */
function modelTypes(m: CheckpointManifest): Set<string> {
  const v = m.vocabs
  return new Set(v.types ?? v.labels.filter((l) => l !== 'O').map((l) => splitTag(l).type))
}

/**
 * Model settings that change only how a model's output is read, not its weights: a warm start may
 * change them (a run from before constrained decoding and span typing continues with them; a tuned decode bias is
 * the earlier run's, not the new one's).
 */
const DECODING_ONLY = new Set<keyof TrainConfig['model']>(['constrainedDecoding', 'spanTyping', 'decodeBias'])

/**
 * The checkpoint of finished run `from`, to start a run of `config` on `train`: its weights AND its
 * vocabularies (a character it never saw reads as unknown). The rule: a warm start continues the
 * SAME model — same preset and model settings (the training settings, epochs, learning rate, data,
 * may differ) — and the data may hold no entity type the model cannot tag; anything else is
 * refused with the reason, before a run is recorded.
 */
export function warmStartCheckpoint(db: DB, from: number, config: TrainConfig, train: readonly Example[]): Checkpoint {
  if (!Number.isInteger(from) || from < 1) throw new StudioError('bad_request', `from must be a run id (an integer ≥ 1), not ${JSON.stringify(from)}`)
  const where = `cannot continue from run ${from}`
  let ckpt: Checkpoint
  try {
    const c = loadCheckpoint(db, from)
    ckpt = { manifest: c.manifest as CheckpointManifest, weights: c.weights }
  } catch (e) {
    throw new StudioError('bad_request', `${where}: ${(e as Error).message}`)
  }
  const was = ckpt.manifest.config
  if (was.preset !== config.preset) throw new StudioError('bad_request', `${where}: it trained ${was.preset}, not ${config.preset}`)
  const keys = ([...new Set([...Object.keys(was.model), ...Object.keys(config.model)])] as (keyof TrainConfig['model'])[]).filter((k) => !DECODING_ONLY.has(k))
  const diff = keys.filter((k) => canonical(was.model[k]) !== canonical(config.model[k]))
  if (diff.length) {
    throw new StudioError('bad_request', `${where}: its model settings differ (${diff.join(', ')}); a warm start continues the same model`)
  }
  const known = modelTypes(ckpt.manifest)
  const unknown = [...new Set(train.flatMap((e) => e.spans.map((s) => s.type)))].filter((t) => !known.has(t))
  if (unknown.length) {
    throw new UntaggableTypesError(`${where}: its model cannot tag ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more types` : ''}, which the training titles hold; train from scratch`)
  }
  return ckpt
}
