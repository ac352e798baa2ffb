// Fork (issue 14): re-create the exact state at step N of a recorded episode by re-running its seed
// and replaying its recorded actions for steps 0..N-1 in a runner child (user code runs only there;
// a blame's later forks restore a snapshot kept by the first and replay from there: forkSession.ts),
// check every replayed observation against the recording, then let another agent continue, monitored
// with the parent's detector, protocol and calibration. Used by `fork` and, fork after fork, by `blame`.
import fs from 'node:fs';
import path from 'node:path';
import { withAlpha } from '../core/calibration';
import type { CalibrationFile } from '../core/calibrationTypes';
import type { LoadedScenario } from '../core/scenario';
import { readTrace, type TraceReadResult } from '../core/traceReader';
import { canonicalJson, sameJson } from '../core/sameJson';
import { ranProperly, type EndReason, type TraceHeader, type UserError } from '../core/traceFormat';
import type { EngineEvent } from '../shared/engineEvents';
import { readCalibration } from './calibrationStore';
import { hashFile } from './paths';
import { runEpisodes } from './runEpisodes';
import { loadScenario } from './scenarioLoader';
import type { AgentChoice, Limits } from './types';
import { UsageError } from './usageError';
import type { ForkSession, SnapshotUse } from './forkSession';

/** A parent trace read for forking: header, and per step its action and observation. */
export interface ParentEpisode {
  file: string;
  header: TraceHeader;
  trace: TraceReadResult;
  scenario: LoadedScenario;
  calibration: CalibrationFile | null;
}

export function readParent(file: string): ParentEpisode {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new UsageError(`${file}: no such trace file`);
  const trace = readTrace(fs.readFileSync(abs));
  const header = trace.header;
  if (!header)
    throw new UsageError(
      `${file}: not a trace (line 1 must be a header record${trace.problems[0] ? `: ${trace.problems[0].message}` : ''})`,
    );
  if (header.recording !== 'full') {
    throw new UsageError(
      `${file}: recorded scores only (no actions or observations to replay); re-run the episode with full recording (--recording full) to fork it`,
    );
  }
  if (!trace.reset) throw new UsageError(`${file}: the trace has no reset record; nothing to replay`);
  if (!fs.existsSync(header.scenario.file))
    throw new UsageError(`${file}: its scenario ${header.scenario.file} no longer exists`);
  const scenario = loadScenario(header.scenario.file);
  let calibration: CalibrationFile | null = null;
  if (header.calibration) {
    const c = header.calibration;
    const cal = readCalibration(c.file);
    if (!cal)
      throw new UsageError(
        `${file}: the calibration it was monitored with, ${c.file}, no longer exists; a fork is monitored with the parent's calibration`,
      );
    if (hashFile(c.file) !== c.hash) {
      throw new UsageError(
        `${file}: the calibration it was monitored with, ${c.file}, changed since the episode ran; a fork is monitored with the parent's calibration`,
      );
    }
    calibration = Math.abs(cal.alpha - c.alpha) > 1e-12 ? withAlpha(cal, c.alpha) : cal;
  }
  return { file: abs, header, trace, scenario, calibration };
}

export interface ForkRequest {
  parent: ParentEpisode;
  step: number;
  agent: AgentChoice;
  /** the fork's run folder goes here; default: beside the parent's run folder */
  tracesDir?: string;
  limits: Limits;
  python?: string;
  signal?: AbortSignal;
  onEvent?: (e: EngineEvent) => void;
  /** a blame's forks: one runner kept across them, and snapshots (forkSession.ts); without it the
   *  fork runs on a runner of its own and replays from reset */
  session?: ForkSession;
}

export interface ForkResult {
  trace: string;
  parent: string;
  step: number;
  agent: string;
  seed: number;
  steps: number;
  finalScore: number;
  flaggedStep: number | null;
  reason: EndReason;
  /** the first step (>= the fork step) whose action differs from the parent's; null when none does
   *  over the steps both have */
  firstDifferentAction: number | null;
  error?: UserError;
  /** with a session: steps restored from a snapshot and steps replayed */
  snapshot?: SnapshotUse;
}

/** Raised when the replay did not reproduce the recording: the scenario is not deterministic per seed
 *  (or its code changed since the parent ran). */
export class ReplayMismatch extends Error {
  constructor(
    message: string,
    readonly trace: string,
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}

function short(v: unknown): string {
  const s = canonicalJson(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export function checkStep(parent: ParentEpisode, step: number): void {
  const n = parent.trace.steps.length;
  if (!Number.isInteger(step) || step < 0 || step >= n) {
    throw new UsageError(`--step ${step}: expected a step of ${path.basename(parent.file)}, 0..${n - 1}`);
  }
  const missing = parent.trace.steps.findIndex((s, i) => i < step && s.action === undefined);
  if (missing >= 0) throw new UsageError(`${parent.file}: step ${missing} has no recorded action to replay`);
}

export async function forkEpisode(req: ForkRequest): Promise<ForkResult> {
  const { parent, step } = req;
  checkStep(parent, step);
  const h = parent.header;
  const parentSteps = parent.trace.steps;
  const tracesDir = req.tracesDir ?? path.dirname(path.dirname(parent.file));
  const planned = req.session?.plan(step);
  const result = await runEpisodes({
    scenario: parent.scenario,
    agent: req.agent,
    distribution: h.distribution,
    seeds: [h.seed],
    recording: 'full',
    protocol: h.protocol,
    detector: h.detector,
    calibration: parent.calibration,
    calibrationFile: h.calibration?.file ?? null,
    tracesDir,
    limits: req.limits,
    workers: 1,
    python: req.python,
    signal: req.signal,
    onEvent: req.onEvent,
    fork: {
      actions: parentSteps.slice(0, step).map((s) => s.action),
      of: { trace: parent.file, step },
      ...(planned?.snapshots ? { snapshots: planned.snapshots } : {}),
    },
    ...(req.session ? { keeper: req.session.keeper } : {}),
  });
  const e = result.episodes[0];
  if (planned) req.session!.done(planned, e !== undefined && ranProperly(e.reason)); // the fork ran: its snapshots are good for the next fork
  if (!e) throw new UsageError('the fork was stopped before it started');
  const fork = readTrace(fs.readFileSync(e.trace));
  checkReplay(parent, fork, step, e.trace, e.reason, e.error, planned?.use.from ?? null);
  let firstDifferentAction: number | null = null;
  for (let i = step; i < Math.max(fork.steps.length, parentSteps.length); i++) {
    const a = fork.steps[i];
    const b = parentSteps[i];
    if (!a || !b) break;
    if (!sameJson(a.action, b.action)) {
      firstDifferentAction = i;
      break;
    }
  }
  return {
    trace: e.trace,
    parent: parent.file,
    step,
    agent: req.agent.name,
    seed: h.seed,
    steps: e.steps,
    finalScore: e.finalScore,
    flaggedStep: e.flaggedStep,
    reason: e.reason,
    firstDifferentAction,
    ...(e.error ? { error: e.error } : {}),
    ...(planned ? { snapshot: planned.use } : {}),
  };
}

/** Every replayed step must reproduce the recorded observation (and the reset's): otherwise the state
 *  at the fork step is not the parent's and the fork would compare nothing. */
function checkReplay(
  parent: ParentEpisode,
  fork: TraceReadResult,
  step: number,
  file: string,
  reason: EndReason,
  error: UserError | undefined,
  restoredFrom: number | null,
): void {
  // a restored fork's steps before the snapshot are the first replay's records (checked then); the
  // steps from the snapshot on ran again and are checked here, which is what catches a bad clone()
  const where =
    restoredFrom === null
      ? `(the fork's trace: ${file})`
      : `(restored from the snapshot kept before step ${restoredFrom}: a clone() that shares state with the original or leaves part of it out gives this too; the fork's trace: ${file})`;
  if (!fork.reset) {
    throw new ReplayMismatch(
      `the fork ended ${reason} before its reset${error ? `: ${error.message}` : ''} ${where}`,
      file,
    );
  }
  if (!sameJson(fork.reset.observation, parent.trace.reset!.observation)) {
    throw new ReplayMismatch(
      `not deterministic at reset: the seed ${parent.header.seed} gave observation ${short(fork.reset.observation)}, the parent recorded ${short(parent.trace.reset!.observation)} ${where}`,
      file,
    );
  }
  for (let i = 0; i < step; i++) {
    const got = fork.steps[i];
    const want = parent.trace.steps[i];
    if (!got) {
      // the monitor may stop the replay itself when the parent's flag lies before the fork step
      if (reason === 'flagged_stop' && fork.steps.length && fork.steps[fork.steps.length - 1].flag) return;
      throw new ReplayMismatch(
        `not deterministic at step ${i}: the replay ended ${reason} after ${fork.steps.length} steps${error ? ` (${error.message})` : ''}, the parent went on to step ${step} ${where}`,
        file,
      );
    }
    if (!sameJson(got.observation, want.observation)) {
      throw new ReplayMismatch(
        `not deterministic at step ${i}: replaying action ${short(want.action)} gave observation ${short(got.observation)}, the parent recorded ${short(want.observation)} ${where}`,
        file,
      );
    }
  }
}
