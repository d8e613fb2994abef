/**
 * A run as a recipe of parts around `train()`. Placeholder until the parts land: plain training.
 */
import type { Example, TrainConfig } from '../../shared/training'
import { train, type TrainOptions, type TrainResult } from './trainer'

export interface RecipeOptions extends TrainOptions {
  /** Titles without labels (self-training pseudo-labels them). */
  unlabelled?: readonly string[]
}

export interface RecipeResult extends TrainResult {
  recipe: string[] | null
}

export async function trainRecipe(config: TrainConfig, trainSet: readonly Example[], devSet: readonly Example[], opts: RecipeOptions = {}): Promise<RecipeResult> {
  const r = await train(config, trainSet, devSet, opts)
  return { ...r, recipe: null }
}
