// Where a calibration lives, how it is computed from calibration episodes, and when it is stale.
import fs from 'node:fs';
import path from 'node:path';
import { calibrate, staleness, type CalibrationFingerprint, type CalibrationResult } from '../core/calibration';
import type { CalibrationFile } from '../core/calibrationTypes';
import { parseCalibrationFile } from '../core/calibrationFile';
import type { LoadedScenario } from '../core/scenario';
import { DEFAULT_CUSUM_K, DEFAULT_WINDOW } from '../core/detectorConfig';
import { writeFileAtomic } from './atomicWrite';
import { describeFailure } from './failFast';
import { hashFile, resolveModulePath, runEpisodes } from './index';
import { seedRange } from './scenarioLoader';
import type { AgentChoice, Limits } from './types';
import type { EngineEvent } from '../shared/engineEvents';
import { UsageError } from './usageError';

/** Beside the scenario for the user's own scenarios; in the output folder for the built-ins
 *  (their folder belongs to the installed tool, not to the user). */
export function calibrationPath(scenario: LoadedScenario, agent: AgentChoice, outDir: string): string {
  const base = `${scenario.spec.name}.${safeName(agent.name)}.calibration.json`;
  return scenario.builtin ? path.join(outDir, 'calibration', base) : path.join(scenario.dir, base);
}

function safeName(s: string): string {
  return (
    path
      .basename(s)
      .replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9_-]/g, '_') || 'agent'
  );
}

export function fingerprint(scenario: LoadedScenario, agent: AgentChoice): CalibrationFingerprint {
  const { spec } = scenario;
  const env = spec.environment;
  const environmentHash =
    'gymnasium' in env ? `gymnasium:${env.gymnasium}` : hashFile(resolveModulePath(scenario.dir, env.module));
  return {
    scenarioHash: scenario.hash,
    agentHash: hashFile(agent.module),
    environmentHash,
    objectiveHash: spec.objective ? hashFile(resolveModulePath(scenario.dir, spec.objective.module)) : null,
    maxSteps: spec.maxSteps,
    seeds: spec.calibration.seeds,
  };
}

/** The calibration at `file`, or null when there is none; a damaged one is a usage error. */
export function readCalibration(file: string): CalibrationFile | null {
  if (!fs.existsSync(file)) return null;
  const load = parseCalibrationFile(file, fs.readFileSync(file, 'utf8'));
  if (!load.ok) throw new UsageError(`${load.message}; delete it or run calibrate again`);
  return load.calibration;
}

/** Why the stored calibration cannot be used for this scenario and agent, or null when it can. */
export function whyStale(
  cal: CalibrationFile,
  scenario: LoadedScenario,
  agent: AgentChoice,
  alpha: number,
): string | null {
  const reason = staleness(cal, fingerprint(scenario, agent));
  if (reason) return reason;
  if (Math.abs(cal.alpha - alpha) > 1e-12) return `it was computed for alpha ${cal.alpha}, not ${alpha}`;
  return null;
}

export interface CalibrateOptions {
  scenario: LoadedScenario;
  agent: AgentChoice;
  alpha: number;
  window?: number;
  cusumK?: number;
  outDir: string;
  limits: Limits;
  workers?: number;
  python?: string;
  signal?: AbortSignal;
  onEvent?: (e: EngineEvent) => void;
}

export async function computeCalibration(
  o: CalibrateOptions,
): Promise<{ file: string; calibration: CalibrationFile; failed: number }> {
  const { spec } = o.scenario;
  const { increments, failed } = await calibrationEpisodes(o, spec.calibration.seeds);
  const calibration = calibrationFileOf(
    o,
    calibrate({
      episodes: increments,
      maxSteps: spec.maxSteps,
      alpha: o.alpha,
      window: o.window ?? DEFAULT_WINDOW,
      k: o.cusumK ?? DEFAULT_CUSUM_K,
    }),
  );
  const file = calibrationPath(o.scenario, o.agent, o.outDir);
  writeFileAtomic(file, JSON.stringify(calibration, null, 1) + '\n');
  return { file, calibration, failed };
}

/** The increments of the calibration episodes of `seeds`, in seed order; throws a UsageError when
 *  any did not complete (nothing may be calibrated from part of the seeds). Shards call it with
 *  their slice (shard.ts). */
export async function calibrationEpisodes(
  o: CalibrateOptions,
  seeds: { from: number; count: number },
): Promise<{ increments: Float64Array[]; failed: number }> {
  const { scenario, agent } = o;
  const run = await runEpisodes({
    scenario,
    agent,
    distribution: 'calibration',
    seeds: seedRange(seeds.from, seeds.count),
    recording: 'scores',
    protocol: 'flag-only',
    detector: { kind: 'fixed', threshold: -Infinity },
    calibration: null,
    calibrationFile: null,
    // Apart from the deployment runs: hundreds of training episodes would bury them in the Runs view.
    tracesDir: path.join(o.outDir, 'calibration', 'traces'),
    limits: o.limits,
    workers: o.workers,
    python: o.python,
    signal: o.signal,
    onEvent: o.onEvent,
    failFast: 'calibration',
    checkRender: true,
  });
  const good = run.episodes.filter((e) => e.reason === 'completed');
  const failed = run.episodes.length - good.length;
  if (o.signal?.aborted) throw new UsageError('calibration stopped before it finished; nothing was saved');
  // the first that failed by itself (when stopping early, the episodes still running are killed)
  const first =
    run.episodes.find((e) => e.reason !== 'completed' && e.reason !== 'killed_by_user') ??
    run.episodes.find((e) => e.reason !== 'completed');
  if (run.stoppedEarly && first) {
    throw new UsageError(
      `calibration stopped early: ${run.stoppedEarly}; nothing was saved. First error (seed ${first.seed}): ` +
        `${describeFailure(first)}; trace: ${first.trace}`,
    );
  }
  if (failed > 0 && first) {
    const where = first.error?.file
      ? ` at ${first.error.file}:${first.error.line ?? 0}:${first.error.column ?? 0}`
      : '';
    throw new UsageError(
      `calibration failed: ${failed} of ${run.episodes.length} calibration episodes did not complete ` +
        `(seed ${first.seed}: ${first.reason}${first.error ? ` — ${first.error.message}` : ''}${where}); trace: ${first.trace}`,
    );
  }
  return { increments: good.map((e) => e.increments), failed };
}

/** The calibration file around a fit: what it was computed from (the merge of shards writes the
 *  same fields from the partials, calibrationPartial.ts). */
export function calibrationFileOf(
  o: Pick<CalibrateOptions, 'scenario' | 'agent'>,
  fitted: CalibrationResult,
): CalibrationFile {
  const { scenario, agent } = o;
  const { spec } = scenario;
  const fp = fingerprint(scenario, agent);
  return {
    version: 1,
    scenario: { name: spec.name, file: scenario.file, hash: scenario.hash },
    agent: { name: agent.name, module: agent.module, hash: fp.agentHash },
    environmentHash: fp.environmentHash,
    objectiveHash: fp.objectiveHash,
    computedAt: new Date().toISOString(),
    seeds: spec.calibration.seeds,
    maxSteps: spec.maxSteps,
    ...fitted,
  };
}
