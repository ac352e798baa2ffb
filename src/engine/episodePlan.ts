// What every episode of a run shares, computed once: resolved module files, their hashes, merged
// options, the runtime that can run them, and the trace header template.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from './usageError';
import type { ModuleInfo, TraceHeader } from '../core/traceFormat';
import { TRACE_VERSION } from '../core/traceFormat';
import type { EpisodeCommand, ForkReplay } from '../core/wire';
import { hashFile, resolveModulePath } from './paths';
import type { Runtime } from './runnerProcess';
import type { RunRequest } from './types';

export interface EpisodePlan {
  runtime: Runtime;
  command: Omit<EpisodeCommand, 'episodeId' | 'seed'>;
  header: Omit<TraceHeader, 'runId' | 'episodeId' | 'seed' | 'startedAt'>;
}

export function planEpisodes(req: RunRequest): EpisodePlan {
  const { scenario } = req;
  const spec = scenario.spec;
  const dist = spec[req.distribution];
  const envRef = spec.environment;
  const envOptions = { ...(envRef.options ?? {}), ...(dist?.environment ?? {}) };
  let environment: EpisodeCommand['environment'];
  let envInfo: ModuleInfo;
  if ('gymnasium' in envRef) {
    environment = { gymnasium: envRef.gymnasium, options: envOptions };
    envInfo = { module: `gymnasium:${envRef.gymnasium}`, options: envOptions };
  } else {
    const file = resolveModulePath(scenario.dir, envRef.module);
    environment = { module: file, options: envOptions };
    envInfo = { module: file, options: envOptions, hash: hashFile(file) };
  }
  const agentFile = path.resolve(req.agent.module);
  let objective: EpisodeCommand['objective'] = null;
  let objInfo: ModuleInfo | null = null;
  if (spec.objective) {
    const file = resolveModulePath(scenario.dir, spec.objective.module);
    objective = { module: file, options: spec.objective.options ?? {} };
    objInfo = { module: file, options: objective.options, hash: hashFile(file) };
  }
  const files = [agentFile, 'module' in environment ? environment.module : '', objective?.module ?? ''];
  const torchAgent = /\.(pt|pth|torchscript)$/i.test(agentFile);
  const runtime: Runtime =
    'gymnasium' in environment || torchAgent || files.some((f) => f.endsWith('.py')) ? 'python' : 'node';
  if (torchAgent && 'module' in environment && !environment.module.endsWith('.py')) {
    throw new UsageError(
      `${agentFile}: PyTorch agents run in Python scenarios (the Python runner); this scenario's environment is ${path.basename(environment.module)}. In TypeScript scenarios, export the policy to ONNX: "agent": { "onnx": "./policy.onnx" }`,
    );
  }
  if (runtime === 'python' && agentFile.toLowerCase().endsWith('.onnx')) {
    throw new UsageError(
      `${agentFile}: ONNX agents run in TypeScript scenarios (onnxruntime-node); this scenario runs in Python (its environment or objective is Python). In Python, use a PyTorch policy: "agent": { "module": "./policy.pt" }`,
    );
  }
  const calibration =
    req.calibration && req.calibrationFile
      ? {
          file: req.calibrationFile,
          hash: hashFile(req.calibrationFile),
          alpha: req.calibration.alpha,
          computedAt: req.calibration.computedAt,
          ...(typeof req.calibration.longestEpisode === 'number'
            ? { longestEpisode: req.calibration.longestEpisode }
            : {}),
          agent: req.calibration.agent.name,
        }
      : null;
  return {
    runtime,
    command: {
      t: 'episode',
      maxSteps: spec.maxSteps,
      environment,
      agent: { module: agentFile, options: req.agent.options },
      objective,
      recording: req.recording,
      protocol: req.protocol,
      detector: req.detector,
      // a fixed threshold reads no calibration: the runner is not sent one
      calibration: req.detector.kind === 'fixed' ? null : req.calibration,
      ...(req.guard ? { guard: req.guard } : {}),
      ...(spec.harm ? { harm: spec.harm } : {}),
      ...(req.fork ? { replay: replayOf(req.fork) } : {}),
    },
    header: {
      type: 'header',
      version: TRACE_VERSION,
      scenario: { name: spec.name, file: scenario.file, hash: scenario.hash },
      agent: { name: req.agent.name, module: agentFile, options: req.agent.options, hash: hashFile(agentFile) },
      environment: envInfo,
      objective: objInfo,
      distribution: req.distribution,
      maxSteps: spec.maxSteps,
      recording: req.recording,
      protocol: req.protocol,
      detector: req.detector,
      calibration,
      ...(req.guard ? { guard: req.guard } : {}),
      ...(spec.harm ? { harm: spec.harm } : {}),
      ...(req.fork ? { forkOf: req.fork.of } : {}),
    },
  };
}

/** Each episode's command line (its JSON text), made from the run's shared part serialized once:
 *  that part can carry the whole calibration (per-step models and bands, ~10,000 numbers for
 *  1,000-step episodes), and serializing it again for every episode cost the engine ~2 us a step.
 *  A runner is sent the calibration once: `text(..., held)` with `held` true (the runner was sent
 *  this calibration before) names it by its id (`heldCalibration`) instead of carrying it. The text
 *  is the bytes `JSON.stringify` makes of the command with `episodeId`, `seed` and `checkRender?`
 *  added after the shared part's fields (and the calibration's id or reference among them). */
export interface EpisodeCommandText {
  /** the calibration's content id, or null when the command carries none */
  readonly calibrationId: string | null;
  text(episodeId: string, seed: number, checkRender: boolean, held: boolean): string;
}

export function episodeCommandText(command: EpisodePlan['command']): EpisodeCommandText {
  const calibration = command.calibration;
  const calibrationId =
    calibration === null ? null : createHash('sha256').update(JSON.stringify(calibration)).digest('hex').slice(0, 32);
  const carried = JSON.stringify(calibrationId === null ? command : { ...command, calibrationId });
  const referred =
    calibrationId === null
      ? carried
      : JSON.stringify({ ...command, calibration: null, heldCalibration: calibrationId });
  const tails = [carried.slice(0, -1), referred.slice(0, -1)];
  return {
    calibrationId,
    text: (episodeId, seed, checkRender, held) =>
      `${tails[held ? 1 : 0]},"episodeId":${JSON.stringify(episodeId)},"seed":${JSON.stringify(seed)}${checkRender ? ',"checkRender":true' : ''}}`,
  };
}

/** The fork's replay as the runner gets it: with the snapshots to take, or the one to restore. */
function replayOf(fork: NonNullable<RunRequest['fork']>): ForkReplay {
  const plan = fork.snapshots;
  if (!plan) return { actions: fork.actions };
  if ('take' in plan) return { actions: fork.actions, snapshots: { every: plan.take.every } };
  return { actions: fork.actions, restore: plan.restore.step };
}
