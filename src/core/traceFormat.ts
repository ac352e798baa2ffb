// The trace: one JSONL file per episode, written by the engine alone.
//   line 1: a `header`; then one `reset`; then one `step` per step; last: exactly one `episode_end`.
// Readers accept exactly one torn (unterminated) last line and report any other bad line.

import type { DetectorConfig } from './detectorConfig';
import type { DistributionName, ProtocolSpec } from './scenario';
import type { Scene } from './scene';
import type { GuardConfig, GuardNotice, GuardPrediction } from './guardTypes';

export const TRACE_VERSION = 1;
export const TRACE_EXTENSION = '.trace.jsonl';

export type Recording = 'full' | 'scores';

/** Every way an episode ends (episode_end.reason), declared once: `EndReason` is one of them. */
export const END_REASONS = [
  'completed',
  'flagged_stop',
  'predicted_stop',
  'step_timeout',
  'episode_timeout',
  'oom',
  'crashed',
  'killed_by_user',
  'protocol_error',
  'host_shutdown',
] as const;

export type EndReason = (typeof END_REASONS)[number];

/** The ends of an episode that ran properly: it completed, or the safety protocol stopped it (at the
 *  flag, or before the action of a step whose crossing the guard predicted). The others are failures
 *  (FAILURE_END_REASONS) or interruptions (the user's stop, the host shutting down). */
export const RAN_END_REASONS: ReadonlySet<EndReason> = new Set(['completed', 'flagged_stop', 'predicted_stop']);

/** True when the episode ran properly (RAN_END_REASONS). */
export function ranProperly(reason: string): boolean {
  return (RAN_END_REASONS as ReadonlySet<string>).has(reason);
}

/** The ends that mean the user's code or the runner failed (an error in Problems, a failure in a
 *  run's summary); the others are the episode's or the user's own doing. */
export const FAILURE_END_REASONS: ReadonlySet<EndReason> = new Set([
  'step_timeout',
  'episode_timeout',
  'oom',
  'crashed',
  'protocol_error',
]);

/** What kind of end a reason is, from the sets above: the replay header's tone and the Runs view's
 *  icon colour follow it, so a reason added to a set is shown right everywhere. */
export type EndReasonGroup = 'completed' | 'protocol' | 'failure' | 'interrupted';
export function endReasonGroup(reason: EndReason): EndReasonGroup {
  if (reason === 'completed') return 'completed';
  if (RAN_END_REASONS.has(reason)) return 'protocol'; // the safety protocol stopped it
  return FAILURE_END_REASONS.has(reason) ? 'failure' : 'interrupted';
}

/** How an end reason reads, the same in the replay header, the Runs view and notifications. */
export const END_REASON_TEXT: Record<EndReason, string> = {
  completed: 'completed',
  flagged_stop: 'stopped at the flag',
  predicted_stop: 'stopped before the predicted crossing',
  step_timeout: 'step timed out',
  episode_timeout: 'episode timed out',
  oom: 'out of memory',
  crashed: 'crashed',
  killed_by_user: 'stopped by the user',
  protocol_error: 'protocol error',
  host_shutdown: 'stopped: the host shut down',
};

export interface ModuleInfo {
  /** absolute path of the module file */
  module: string;
  options: Record<string, unknown>;
  /** sha256 of the file's bytes */
  hash?: string;
}

export interface TraceHeader {
  type: 'header';
  version: number;
  runId: string;
  episodeId: string;
  scenario: { name: string; file: string; hash: string };
  /** `name` is the scenario's agent name (e.g. "misaligned") or the module path given */
  agent: ModuleInfo & { name: string };
  /** `module` holds `gymnasium:<id>` for a Gymnasium environment */
  environment: ModuleInfo;
  objective: ModuleInfo | null;
  seed: number;
  distribution: DistributionName;
  maxSteps: number;
  recording: Recording;
  protocol: ProtocolSpec;
  detector: DetectorConfig;
  /** the predictive guard's settings when it was asked for (whether it could run: episode_end.guard) */
  guard?: GuardConfig;
  /** the scenario's harm: a step whose info[key] is truthy is a harmful event */
  harm?: { info: string };
  /** the calibration used, or null for a fixed threshold; `longestEpisode`: its longest episode's
   *  steps — steps from there on are beyond training (absent for older calibrations); `agent`: the
   *  agent it was calibrated on (another agent's with `run --calibration`) */
  calibration: {
    file: string;
    hash: string;
    alpha: number;
    computedAt: string;
    longestEpisode?: number;
    agent?: string;
  } | null;
  startedAt: string;
  /** a fork (issue 14): this episode replayed the parent trace's actions for steps 0..step-1, then
   *  `agent` took over at `step`; `trace` is the parent's absolute path */
  forkOf?: ForkOf;
}

export interface ForkOf {
  trace: string;
  step: number;
}

export interface TraceReset {
  type: 'reset';
  observation?: unknown;
  info?: unknown;
  scene?: Scene;
  /** render() threw or returned something unusable here (noted once per episode; no scene) */
  sceneProblem?: UserError;
}

export interface TraceStep {
  type: 'step';
  /** 0-based */
  step: number;
  increment: number;
  /** the running objective S_t after this step */
  score: number;
  /** the detector's native statistic (z, window z, CUSUM shortfall; S_t for fixed) */
  statistic: number;
  /** the running-objective level below which this step alarms */
  threshold: number;
  /** true on the flagged step only: the first alarm */
  flag: boolean;
  // full recording only:
  action?: unknown;
  reward?: number;
  /** the observation after the action */
  observation?: unknown;
  info?: unknown;
  terminated?: boolean;
  truncated?: boolean;
  scene?: Scene;
  /** the action came from the safety protocol's fallback, not the agent */
  fallback?: boolean;
  /** a look-ahead made before this step's action that did not fire (guard recording all look-aheads) */
  lookahead?: GuardPrediction;
  /** render() threw or returned something unusable at this step (noted once per episode; no scene) */
  sceneProblem?: UserError;
}

export interface UserError {
  message: string;
  stack?: string;
  /** where, in the user's own source, when known */
  file?: string;
  line?: number;
  column?: number;
  /** reset, act, step, increment, render, load */
  phase?: string;
}

export interface TraceEnd {
  type: 'episode_end';
  reason: EndReason;
  /** number of step records in the trace */
  steps: number;
  score: number;
  flaggedStep: number | null;
  durationMs: number;
  error?: UserError;
  /** exit code / signal for `crashed`, limit for timeouts and oom, the bad record for protocol_error */
  detail?: Record<string, unknown>;
  /** the guard's look-ahead that fired: `predicted_stop`, or the fallback / flag-only step it marked */
  prediction?: GuardPrediction;
  /** the guard's state at the end: on, or why it was off */
  guard?: GuardNotice;
  /** steps whose info held the scenario's harm key, before the episode ended (full recording) */
  harmSteps?: number[];
  /** the episode ran past the longest calibration episode: steps `fromStep`.. (`steps` of them) were
   *  monitored on an extrapolated model, outside the calibration's guarantee */
  beyondTraining?: { fromStep: number; steps: number };
  /** the episode's scene problem (the same as on the record where it happened): the episode was
   *  monitored and recorded, without scenes where render() failed */
  sceneProblem?: UserError;
}

export type TraceRecord = TraceHeader | TraceReset | TraceStep | TraceEnd;
