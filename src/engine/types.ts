// The engine's programmatic face, used by the CLI (and by the engine's event-stream mode that the
// VS Code extension drives as a child process).

import type { DetectorConfig } from '../core/detectorConfig';
import type { CalibrationFile } from '../core/calibrationTypes';
import type { DistributionName, LoadedScenario, ProtocolSpec } from '../core/scenario';
import type { EndReason, ForkOf, Recording, UserError } from '../core/traceFormat';
import type { EngineEvent } from '../shared/engineEvents';
import type { GuardConfig, GuardNotice, GuardPrediction } from '../core/guardTypes';
import type { RunnerRecord, SnapshotRecord } from '../core/wire';
import type { RunnerKeeper } from './runnerKeeper';

export interface Limits {
  /** start-up and handshake of a runner child */
  startupTimeoutMs: number;
  /** one step: agent.act + env.step + objective.increment */
  stepTimeoutMs: number;
  /** one whole episode */
  episodeTimeoutMs: number;
  /** resident memory of the runner and all its descendants */
  memoryLimitMb: number;
}

export const DEFAULT_LIMITS: Limits = {
  startupTimeoutMs: 15_000,
  stepTimeoutMs: 5_000,
  episodeTimeoutMs: 300_000,
  memoryLimitMb: 2048,
};

export interface AgentChoice {
  /** the scenario's agent name ("aligned") or the module path as given */
  name: string;
  /** absolute path */
  module: string;
  options: Record<string, unknown>;
}

export interface RunRequest {
  scenario: LoadedScenario;
  agent: AgentChoice;
  distribution: DistributionName;
  /** seeds to run, in order */
  seeds: number[];
  recording: Recording;
  protocol: ProtocolSpec;
  detector: DetectorConfig;
  calibration: CalibrationFile | null;
  /** absolute path of the calibration file in use, recorded in trace headers */
  calibrationFile: string | null;
  /** traces are written to <tracesDir>/<runId>/<episodeId>.trace.jsonl */
  tracesDir: string;
  limits: Limits;
  /** runner children; default: one per core, never more than the number of seeds */
  workers?: number;
  /** abort = Stop Run: children are killed, traces end `killed_by_user` */
  signal?: AbortSignal;
  onEvent?: (event: EngineEvent) => void;
  /** interpreter for Python modules (issue 5) */
  python?: string;
  /** the predictive guard; absent or null: reactive only */
  guard?: GuardConfig | null;
  /** stop starting episodes once the agent evidently cannot run (failFast.ts) */
  failFast?: 'calibration' | 'deployment';
  /** the first episode calls render() once after reset even when scores only are recorded, so a
   *  display problem shows at calibration (scene_problem event), not first in deployment */
  checkRender?: boolean;
  /** a fork (commands/fork.ts): every episode replays these actions first, and its header says so */
  fork?: { actions: unknown[]; of: ForkOf; snapshots?: ForkSnapshotPlan };
  /** run on this kept runner child and hand it back at the end (a blame's forks; one worker) */
  keeper?: RunnerKeeper;
}

/** A runner record as received: parsed, and its line (a step's line is spliced into the trace). */
export interface ReceivedRecord {
  rec: RunnerRecord;
  line: string;
}

/** Fork snapshots (forkSession.ts): take them during this fork's replay, or restore one. */
export type ForkSnapshotPlan =
  | {
      take: {
        every: number;
        /** gets the reset record and the replayed steps' records, as received */
        capture: ReceivedRecord[];
        onSnapshot: (rec: SnapshotRecord) => void;
      };
    }
  | {
      /** the runner starts from the snapshot kept before `step`; `records` (reset and steps
       *  0..step-1, as the replay that kept it received them) stand for the steps not run again */
      restore: { step: number; records: ReceivedRecord[] };
    };

export interface EpisodeResult {
  episodeId: string;
  seed: number;
  steps: number;
  finalScore: number;
  flaggedStep: number | null;
  reason: EndReason;
  /** absolute path of the trace file */
  trace: string;
  error?: UserError;
  /** increments as recorded (for calibration and reports) */
  increments: Float64Array;
  /** the guard's look-ahead that fired */
  prediction?: GuardPrediction;
  /** the guard's state at the end of the episode */
  guard?: GuardNotice;
  /** guard measure mode (calibration): the episode's largest predicted shortfall, null if it never looked */
  guardExtreme?: number | null;
  /** steps with the scenario's harm key in their info (scenarios that name harm) */
  harmSteps?: number[];
}

export interface RunResult {
  runId: string;
  dir: string;
  episodes: EpisodeResult[];
  /** set when the fail-fast rule stopped the run: why (the episodes never started are not listed) */
  stoppedEarly?: string;
}
