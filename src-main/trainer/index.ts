/** Host-side API of training jobs (main process / CLI). The child entry is ./entry.ts. */
export { resolveTrainerEntry } from './locate'
export { startTrainingJob, type TrainingJobHandle, type StartOptions, type Spawner, type ChildLike, type JobOutcome } from './host'
export type { TrainingJob, HostMessage, ChildMessage } from './protocol'
