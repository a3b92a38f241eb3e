export { systemClock, ManualClock, settle, type Clock, type TimerHandle } from './clock.js';
export {
  SyncRunner,
  type SyncRequest,
  type SyncResult,
  type SyncRunnerOptions,
  type SyncRunnerStatus,
} from './sync-runner.js';
export { Backoff, abortableSleep, type BackoffOptions } from './backoff.js';
