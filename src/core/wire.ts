// The runner wire protocol: engine <-> runner child (the Node runner and the Python runner alike).
//   fd 3, child -> engine: records, one JSON object per line (UTF-8, '\n'), written with blocking
//        writes so that nothing already written is lost when user code exits or is killed.
//        Exception: a `scores` line is followed by exactly count*8 bytes of little-endian float64
//        increments (scores-only recording batches them; see docs/performance.md).
//   fd 4, engine -> child: control messages, one JSON object per line.
// Lines are capped at MAX_RECORD_BYTES. Every record is validated by the engine before use.

import type { DetectorConfig } from './detectorConfig';
import type { CalibrationFile } from './calibrationTypes';
import type { Recording, UserError } from './traceFormat';
import type { ProtocolSpec } from './scenario';
import type { Scene } from './scene';
import type { GuardConfig, GuardNotice } from './guardTypes';

export const WIRE_VERSION = 1;
export const MAX_RECORD_BYTES = 1024 * 1024;
export const RECORD_FD = 3;
export const CONTROL_FD = 4;
/** scores-only recording flushes after this many steps, or sooner when 20 ms have passed */
export const SCORES_BATCH = 1000;

// ---- engine -> runner (fd 4)
export interface EpisodeCommand {
  t: 'episode';
  episodeId: string;
  seed: number;
  maxSteps: number;
  /** module: absolute path; or a Gymnasium id (Python runner only) */
  environment:
    { module: string; options: Record<string, unknown> } | { gymnasium: string; options: Record<string, unknown> };
  agent: { module: string; options: Record<string, unknown> };
  objective: { module: string; options: Record<string, unknown> } | null;
  recording: Recording;
  protocol: ProtocolSpec;
  /** the runner runs the same detector locally so that `stop` halts at the exact step with no round
   *  trip; the engine recomputes it from the increments and is the authority */
  detector: DetectorConfig;
  /** what the detector reads (null for a fixed threshold, or when `heldCalibration` names it) */
  calibration: CalibrationFile | null;
  /** With a calibration: its content id. The runner keeps that calibration (only the last one), so
   *  that later commands need not carry it again: parsing ~100-200 KB of model numbers per episode
   *  cost the Python runner 1.5-3 ms an episode (docs/performance.md). */
  calibrationId?: string;
  /** Instead of the calibration: the id of the one this runner kept. A runner that holds no
   *  calibration by that id treats the command as a protocol error and exits. */
  heldCalibration?: string;
  /** the predictive guard: look ahead in copies before each action; absent or null: reactive only */
  guard?: GuardConfig | null;
  /** the scenario's harm key: the runner lists the steps whose info[key] is truthy (scores-only recording) */
  harm?: { info: string } | null;
  /** scores-only recording does not render; with this set the runner still calls render() once
   *  after reset and reports a problem on the reset record (calibrate's check, issue 9) */
  checkRender?: boolean;
  /** fork (issue 14): steps 0..actions.length-1 take these recorded actions instead of asking the
   *  agent, then the agent takes over; the engine checks the replayed observations against the parent */
  replay?: ForkReplay;
}
/** Fork snapshots (issue 14, docs/forks.md): a blame keeps one runner across its forks. The first
 *  fork's replay keeps copies of the state every `snapshots.every` steps; a later fork restores the
 *  copy kept at step `restore` (instead of reset and steps 0..restore-1) and replays only the rest. */
export interface ForkReplay {
  actions: unknown[];
  /** keep snapshots before steps every, 2*every, ... < actions.length (replacing any kept before) */
  snapshots?: { every: number };
  /** start from the snapshot kept at this step: a `restored` record in place of the reset record */
  restore?: number;
}
export interface ShutdownCommand {
  t: 'shutdown';
}
export type ControlMessage = EpisodeCommand | ShutdownCommand;

// ---- runner -> engine (fd 3)
export interface HelloRecord {
  t: 'hello';
  wire: number;
  runtime: 'node' | 'python';
  pid: number;
  version: string;
}
/** `sceneProblem`: render() threw or returned something unusable (first time in the episode): the
 *  record has no scene, the episode goes on */
export interface ResetRecord {
  t: 'reset';
  episodeId: string;
  observation?: unknown;
  info?: unknown;
  scene?: Scene;
  sceneProblem?: UserError;
}
export interface StepRecord {
  t: 'step';
  step: number;
  action: unknown;
  reward: number;
  increment: number;
  observation: unknown;
  info?: unknown;
  terminated: boolean;
  truncated: boolean;
  scene?: Scene;
  fallback?: boolean;
  sceneProblem?: UserError;
}
/** followed by count*8 bytes of float64 LE increments for steps from..from+count-1 */
export interface ScoresRecord {
  t: 'scores';
  from: number;
  count: number;
}
/** the runner's view of how the episode ended; the engine decides the trace's reason */
export interface EndRecord {
  t: 'end';
  episodeId: string;
  reason: 'completed' | 'flagged_stop' | 'predicted_stop';
  steps: number;
  /** guard in measure mode (calibration): the episode's most extreme predicted native statistic
   *  (cusum: largest C; envelope, window: smallest z), null if it never looked */
  guardExtreme?: number | null;
  /** steps whose info held the harm key (when the command names one) */
  harmSteps?: number[];
}
/** A look-ahead before the action of `step`: the chosen rollout's predicted increments. Sent when it
 *  fired, and for every look-ahead when the guard records all. The engine recomputes the path. */
export interface PredictionRecord {
  t: 'prediction';
  episodeId: string;
  step: number;
  increments: number[];
  crossingStep: number | null;
  fired: boolean;
  replay: boolean;
  truncated?: boolean;
}
/** The guard is off (no copy can be made) or no longer trusted in this episode; the run goes on reactive. */
export interface GuardRecord extends GuardNotice {
  t: 'guard';
  episodeId: string;
}
/** Fork snapshots: a copy of the state before `step` was kept; or, with `problem`, could not be made
 *  (no clone(), copy.deepcopy failed) and no more are kept in this episode. */
export interface SnapshotRecord {
  t: 'snapshot';
  episodeId: string;
  step: number;
  problem?: string;
}
/** The episode started from the snapshot kept at `step` (sent in place of the reset record). */
export interface RestoredRecord {
  t: 'restored';
  episodeId: string;
  step: number;
}
/** user code threw (or failed to load); the runner is still usable for the next episode */
export interface ErrorRecord {
  t: 'error';
  episodeId: string;
  error: UserError;
  /** the runner exits right after this record (process.exit by user code, an uncaught exception):
   *  the engine replaces it instead of sending it the next episode */
  fatal?: boolean;
}
export type RunnerRecord =
  | HelloRecord
  | ResetRecord
  | StepRecord
  | ScoresRecord
  | EndRecord
  | ErrorRecord
  | PredictionRecord
  | GuardRecord
  | SnapshotRecord
  | RestoredRecord;
