/**
 * Adam with parameter groups (each its own learning rate, as the study's BERT runs: encoder 1e-4,
 * heads 1e-3) and global-norm gradient clipping per group (the study's `clip_by_global_norm` per
 * group). On wasm the clip and the update are one pass over each parameter
 * (kernels/adam.ts: the same formulas as tfjs's Adam); elsewhere tfjs's Adam runs.
 */
import * as tf from '@tensorflow/tfjs'
import { fusedAdamActive, fusedAdamStep, sumOfSquares } from '../kernels/adam'

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
  /** The one-pass update (default: where the backend has it, i.e. wasm). */
  fused?: boolean
}

/** One group's state in the fused path: its learning rate, step count and the moments per variable. */
interface FusedGroup {
  group: ParamGroup
  learningRate: number
  step: number
  moments: Map<string, { m: tf.Tensor; v: tf.Tensor }>
}

export class GroupedAdam {
  private readonly groups: { group: ParamGroup; opt: tf.AdamOptimizer }[]
  private readonly fusedGroups: FusedGroup[]
  private readonly clipNorm: number
  private readonly beta1: number
  private readonly beta2: number
  private readonly epsilon: number

  constructor(args: GroupedAdamArgs) {
    this.clipNorm = args.clipNorm ?? 5
    this.beta1 = args.beta1 ?? 0.9
    this.beta2 = args.beta2 ?? 0.999
    this.epsilon = args.epsilon ?? 1e-8
    const groups = args.groups.filter((g) => g.variables.length > 0)
    const fused = (args.fused ?? true) && fusedAdamActive()
    this.fusedGroups = fused ? groups.map((group) => ({ group, learningRate: group.learningRate, step: 0, moments: new Map() })) : []
    this.groups = fused ? [] : groups.map((group) => ({ group, opt: tf.train.adam(group.learningRate, this.beta1, this.beta2, this.epsilon) }))
  }

  /** Whether the one-pass update runs (kernels/adam.ts). */
  get fused(): boolean {
    return this.fusedGroups.length > 0
  }

  get variables(): tf.Variable[] {
    return [...this.fusedGroups, ...this.groups].flatMap((g) => g.group.variables)
  }

  /** Current learning rate of each group (base × schedule factor), by group name. */
  get learningRates(): Record<string, number> {
    if (this.fused) return Object.fromEntries(this.fusedGroups.map((g) => [g.group.name, g.learningRate]))
    return Object.fromEntries(this.groups.map(({ group, opt }) => [group.name, (opt as unknown as { learningRate: number }).learningRate]))
  }

  /**
   * Scale every group's learning rate to `factor` × its base rate (warm-up / decay schedules).
   * tfjs' Adam reads `learningRate` on every `applyGradients`, so this takes effect at the next step.
   */
  setLearningRateFactor(factor: number): void {
    for (const g of this.fusedGroups) g.learningRate = g.group.learningRate * factor
    for (const { group, opt } of this.groups) (opt as unknown as { learningRate: number }).learningRate = group.learningRate * factor
  }

  /** Clip and apply `grads` (keyed by variable name). Returns the global norms before clipping. */
  apply(grads: tf.NamedTensorMap): number[] {
    if (this.fused) return this.fusedGroups.map((g) => this.applyFused(g, grads)).filter((n): n is number => n !== null)
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

  /** The fused path for one group (the same clip and update as `apply`'s tfjs path); its norm, or null without gradients. */
  private applyFused(g: FusedGroup, grads: tf.NamedTensorMap): number | null {
    const pairs = g.group.variables.flatMap((v) => (grads[v.name] ? [{ v, grad: grads[v.name]! }] : []))
    if (pairs.length === 0) return null
    const norm = Math.sqrt(sumOfSquares(pairs.map((p) => p.grad)))
    const t = ++g.step
    const attrs = {
      lr: g.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      scale: this.clipNorm > 0 ? this.clipNorm / Math.max(norm, this.clipNorm) : 1,
      correction1: 1 - Math.pow(this.beta1, t),
      correction2: 1 - Math.pow(this.beta2, t),
    }
    for (const { v, grad } of pairs) {
      const st = g.moments.get(v.name) ?? { m: tf.zerosLike(v), v: tf.zerosLike(v) }
      const [w1, m1, v1] = fusedAdamStep(v, st.m, st.v, grad, attrs)
      v.assign(w1)
      w1.dispose()
      st.m.dispose()
      st.v.dispose()
      g.moments.set(v.name, { m: tf.keep(m1), v: tf.keep(v1) }) // kept: a caller may run this inside a tidy
    }
    return norm
  }

  dispose(): void {
    for (const g of this.groups) g.opt.dispose()
    for (const g of this.fusedGroups) for (const st of g.moments.values()) tf.dispose([st.m, st.v])
  }
}
