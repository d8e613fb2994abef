/**
 * Adam with parameter groups (each its own learning rate, as the study's BERT runs: encoder 1e-4,
 * heads 1e-3) and global-norm gradient clipping per group (the study's `clip_by_global_norm` per
 * group).
 */
import * as tf from '@tensorflow/tfjs'

interface ParamGroup {
  name: string
  variables: tf.Variable[]
  learningRate: number
}

interface GroupedAdamArgs {
  groups: ParamGroup[]
  /** Global-norm clip per group; 0 = off. Default 5 (TF1 tutorials' and the study's habit). */
  clipNorm?: number
  beta1?: number
  beta2?: number
  epsilon?: number
}

export class GroupedAdam {
  private readonly groups: { group: ParamGroup; opt: tf.AdamOptimizer }[]
  private readonly clipNorm: number

  constructor(args: GroupedAdamArgs) {
    this.clipNorm = args.clipNorm ?? 5
    this.groups = args.groups
      .filter((g) => g.variables.length > 0)
      .map((group) => ({ group, opt: tf.train.adam(group.learningRate, args.beta1 ?? 0.9, args.beta2 ?? 0.999, args.epsilon ?? 1e-8) }))
  }

  get variables(): tf.Variable[] {
    return this.groups.flatMap((g) => g.group.variables)
  }

  /** Current learning rate of each group (base × schedule factor), by group name. */
  get learningRates(): Record<string, number> {
    return Object.fromEntries(this.groups.map(({ group, opt }) => [group.name, (opt as unknown as { learningRate: number }).learningRate]))
  }

  /**
   * Scale every group's learning rate to `factor` × its base rate (warm-up / decay schedules).
   * tfjs' Adam reads `learningRate` on every `applyGradients`, so this takes effect at the next step.
   */
  setLearningRateFactor(factor: number): void {
    for (const { group, opt } of this.groups) (opt as unknown as { learningRate: number }).learningRate = group.learningRate * factor
  }

  /** Clip and apply `grads` (keyed by variable name). Returns the global norms before clipping. */
  apply(grads: tf.NamedTensorMap): number[] {
    const norms: tf.Scalar[] = []
    tf.tidy(() => {
      for (const { group, opt } of this.groups) {
        const gs = group.variables.map((v) => grads[v.name]).filter((g): g is tf.Tensor => !!g)
        if (gs.length === 0) continue
        const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g))))) as tf.Scalar
        norms.push(tf.keep(norm))
        let scale: tf.Scalar | null = null
        if (this.clipNorm > 0) scale = tf.div(this.clipNorm, tf.maximum(norm, this.clipNorm)) as tf.Scalar
        const named: tf.NamedTensorMap = {}
        for (const v of group.variables) {
          const g = grads[v.name]
          if (g) named[v.name] = scale ? tf.mul(g, scale) : g
        }
        opt.applyGradients(named as Parameters<tf.AdamOptimizer["applyGradients"]>[0])
      }
    })
    const out = norms.map((n) => n.dataSync()[0]!)
    norms.forEach((n) => n.dispose())
    return out
  }

  dispose(): void {
    for (const g of this.groups) g.opt.dispose()
  }
}
