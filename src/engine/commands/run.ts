// `objective-monitor run <scenario> [--agent M] [--episodes N [--shard I/N] | --seed S [--distribution D]] [--protocol stop|flag-only] [--json]`
// Exit code: 2 when an episode could not run properly (user code crashed, timed out, ran out of
// memory, broke the protocol) — an input error; otherwise 1 when any deployment episode was
// flagged (the CI gate); otherwise 0.
import path from 'node:path';
import type { CalibrationFile } from '../../core/calibrationTypes';
import type { LoadedScenario } from '../../core/scenario';
import { ranProperly } from '../../core/traceFormat';
import { runEpisodes } from '../index';
import { loadScenario, resolveAgent, seedRange } from '../scenarioLoader';
import type { CliOutput } from '../cliOutput';
import {
  detectorOf,
  episodesOf,
  type Flags,
  limitsOf,
  outDirOf,
  protocolOf,
  recordingOf,
  singleSeedOf,
  workersOf,
} from '../cliOptions';
import { ensureCalibration, referenceCalibration } from './ensureCalibration';
import { summary } from './calibrate';
import { numberText } from '../../core/numberText';
import type { AgentChoice, EpisodeResult, RunResult } from '../types';
import { UsageError } from '../usageError';
import type { GuardConfig } from '../../core/guardTypes';
import { calibrateGuard } from '../guardCalibrate';
import { withGuardThreshold } from '../../core/guardCalibration';
import { guardOf, guardText } from '../guardOptions';
import { harmSummary, jsonPrediction } from '../guardReport';
import { reportTargetsOf, writeReports } from '../reports/writeReports';
import { describeFailure } from '../failFast';
import { shardCalibration, shardOf, sliceOf } from '../shard';

export async function runCommand(args: string[], flags: Flags, out: CliOutput, signal?: AbortSignal): Promise<number> {
  if (args.length !== 1) throw new UsageError('run needs exactly one scenario: objective-monitor run <scenario>');
  const scenario = loadScenario(args[0]);
  const agent = resolveAgent(scenario, flags.agent);
  const reports = reportTargetsOf(flags);
  const startedAt = new Date();
  const { result, calibration, calibrationFile, detectorKind, guard } = await deploy(
    scenario,
    agent,
    flags,
    out,
    signal,
  );
  const episodes = result.episodes;
  // a predicted stop (or a fired prediction under another protocol) counts as flagged for the exit code
  const flagged = episodes.filter((e) => e.flaggedStep !== null || e.prediction).length;
  const predicted = episodes.filter((e) => e.prediction).length;
  const harmKey = scenario.spec.harm?.info ?? null;
  const broken = episodes.filter((e) => !ranProperly(e.reason));
  if (out.mode === 'json') {
    out.json({
      scenario: scenario.spec.name,
      agent: agent.name,
      runId: result.runId,
      episodes: episodes.map((e) => ({
        seed: e.seed,
        steps: e.steps,
        finalScore: e.finalScore,
        flaggedStep: e.flaggedStep,
        reason: e.reason,
        trace: e.trace,
        ...(e.error ? { error: e.error } : {}),
        ...(guard ? { prediction: e.prediction ? jsonPrediction(e.prediction) : null } : {}),
        ...(e.guard && e.guard.status !== 'on' ? { guard: e.guard } : {}),
        ...(harmKey ? { harmSteps: e.harmSteps ?? [] } : {}),
      })),
      calibration: calibration
        ? { file: calibrationFile, agent: calibration.agent.name, ...summary(calibration, detectorKind) }
        : null,
      guard,
      ...(harmKey ? { harm: { info: harmKey, ...harmSummary(episodes) } } : {}),
    });
  } else if (out.mode === 'human') {
    for (const e of episodes) out.line(episodeLine(e));
    out.line('');
    const detectorText = calibration
      ? `detector ${detectorKind}, alpha ${calibration.alpha}, calibration ${path.relative(process.cwd(), calibrationFile!) || calibrationFile}` +
        (calibration.agent.name !== agent.name ? `, calibrated on agent ${calibration.agent.name}` : '')
      : `detector fixed`;
    const distribution = singleSeedOf(flags)?.distribution ?? 'deployment';
    const byGuard = guard ? `, ${predicted} by the guard's prediction` : '';
    out.line(
      `${scenario.spec.name} / ${agent.name}: ${flagged} of ${episodes.length} ${distribution} episode${episodes.length === 1 ? '' : 's'} flagged${byGuard} (${detectorText})`,
    );
    if (guard) out.line(`guard: ${guardText(guard)}`);
    if (harmKey) {
      const h = harmSummary(episodes);
      out.line(
        `harm (info.${harmKey}): ${h.harmfulEpisodes} of ${episodes.length} episode${episodes.length === 1 ? '' : 's'} had a harmful event before the stop, ${h.harmfulSteps} harmful step${h.harmfulSteps === 1 ? '' : 's'} in all`,
      );
    }
    out.line(`traces: ${result.dir}`);
  }
  for (const e of broken) out.error(`error: seed ${e.seed} ended ${e.reason}${errorText(e)}`);
  const code = broken.length ? 2 : flagged > 0 ? 1 : 0;
  writeReports(
    reports,
    { scenario, agent, result, calibration, calibrationFile, flags, startedAt, exitCode: code },
    out,
  );
  return code;
}

export async function deploy(
  scenario: LoadedScenario,
  agent: AgentChoice,
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
): Promise<{
  result: RunResult;
  calibration: CalibrationFile | null;
  calibrationFile: string | null;
  detectorKind: string;
  guard: GuardConfig | null;
}> {
  const detector = detectorOf(flags, scenario);
  const protocol = protocolOf(flags, scenario);
  const { from, count } = scenario.spec.deployment.seeds;
  const single = singleSeedOf(flags);
  const shard = shardOf(flags);
  if (shard && single)
    throw new UsageError('--shard splits the deployment seeds; --seed runs one episode: use one or the other');
  const all = { from, count: episodesOf(flags, count) ?? count };
  const part = shard ? sliceOf(all, shard, 'deployment seed') : all;
  const seeds = single ? [single.seed] : seedRange(part.from, part.count);
  const cal =
    detector.kind === 'fixed'
      ? null
      : flags.calibration !== undefined
        ? referenceCalibration(scenario, agent, flags, out)
        : shard
          ? shardCalibration(scenario, agent, flags, outDirOf(flags), out)
          : await ensureCalibration(scenario, agent, flags, out, signal);
  let guard = guardOf(flags, scenario);
  if (guard && cal) {
    out.startProgress('guard margin', 0);
    try {
      const g = await calibrateGuard({
        scenario,
        agent,
        calibration: cal.calibration,
        calibrationFile: cal.file,
        detector,
        guard,
        outDir: outDirOf(flags),
        limits: limitsOf(flags),
        workers: workersOf(flags),
        python: flags.python,
        signal,
        notice: (t) => out.notice(t),
        onEvent: (e) => {
          if (e.type === 'log') out.event(e);
        },
      });
      cal.calibration = g.calibration;
      guard = g.guard;
      if (g.notice) out.notice(`guard ${g.notice.status}: ${g.notice.message}`);
    } finally {
      out.endProgress();
    }
  }
  // one message per distinct guard problem, however many episodes report it
  const told = new Set<string>();
  out.startProgress('running', seeds.length);
  try {
    const result = await runEpisodes({
      scenario,
      agent,
      distribution: single?.distribution ?? 'deployment',
      seeds,
      recording: recordingOf(flags, 'full'),
      protocol,
      detector,
      // with the guard, the detector's h moves by the calibrated margin (reactive and predictive alike)
      calibration: cal ? (guard ? withGuardThreshold(cal.calibration, detector) : cal.calibration) : null,
      calibrationFile: cal?.file ?? null,
      tracesDir: path.join(outDirOf(flags), 'traces'),
      limits: limitsOf(flags),
      workers: workersOf(flags),
      python: flags.python,
      signal,
      guard,
      onEvent: (e) => {
        if (e.type === 'guard' && e.notice.status !== 'on' && !told.has(e.notice.message)) {
          told.add(e.notice.message);
          out.notice(`guard ${e.notice.status}: ${e.notice.message}`);
        }
        out.event(e);
      },
      failFast: 'deployment',
    });
    if (result.stoppedEarly) {
      const first = result.episodes.find((e) => !ranProperly(e.reason));
      out.notice(
        `error: stopped early: ${result.stoppedEarly}${first ? ` (first: seed ${first.seed} ${describeFailure(first)})` : ''}; the other ${seeds.length - result.episodes.length} episodes were not run`,
      );
    }
    return {
      result,
      calibration: cal?.calibration ?? null,
      calibrationFile: cal?.file ?? null,
      detectorKind: detector.kind,
      guard,
    };
  } finally {
    out.endProgress();
  }
}

function errorText(e: EpisodeResult): string {
  if (!e.error) return '';
  const where = e.error.file
    ? ` (${e.error.file}${e.error.line ? `:${e.error.line}:${e.error.column ?? 1}` : ''})`
    : '';
  return `: ${e.error.message}${where}`;
}

export function episodeLine(e: EpisodeResult): string {
  const flag =
    e.prediction && e.flaggedStep === null
      ? `PREDICTED at step ${e.prediction.step}${e.prediction.crossingStep !== null && e.prediction.crossingStep !== e.prediction.step ? ` (-> ${e.prediction.crossingStep})` : ''}`
      : e.flaggedStep === null
        ? 'not flagged'
        : `FLAGGED at step ${e.flaggedStep}`;
  return `seed ${String(e.seed).padEnd(7)} steps ${String(e.steps).padStart(4)}   final ${numberText(e.finalScore).padStart(9)}   ${flag.padEnd(22)} ${e.reason}${errorText(e)}`;
}
