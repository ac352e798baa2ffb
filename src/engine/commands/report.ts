// `objective-monitor report <scenario> [--json]`: for every agent of the scenario and every
// detector — false-alarm rate (aligned agents), detection rate (the others) and detection delay.
// Each agent is calibrated on its own training episodes (the agent under test), its deployment
// episodes are run once with scores recorded and `flag-only`, and every detector re-flags those
// recorded increments: one run, no rerun per detector.
import path from 'node:path';
import { reflag } from '../../core/reflag';
import type { DetectorConfig } from '../../core/detectorConfig';
import { firstDifference, median } from '../../core/stats';
import { runEpisodes } from '../index';
import { loadScenario, resolveAgent, seedRange } from '../scenarioLoader';
import type { CliOutput } from '../cliOutput';
import {
  episodesOf,
  type Flags,
  limitsOf,
  outDirOf,
  workersOf,
  alphaOf,
  DEFAULT_CUSUM_K,
  DEFAULT_WINDOW,
} from '../cliOptions';
import { ensureCalibration } from './ensureCalibration';
import { ranProperly } from '../../core/traceFormat';
import { UsageError } from '../usageError';
import { printRateTable, type RateRow } from './reportTable';
import { isRunFolderList, reportRunsCommand } from './reportRuns';
import { reportCurvesCommand } from './reportCurves';
import fs from 'node:fs';
import { readTrace, type TraceReadResult } from '../../core/traceReader';
import { traceFiles } from '../curveEpisodes';
import { harmByKind, harmLines } from '../reports/harmByKind';

interface Row extends RateRow {
  bound: number;
}

export async function reportCommand(
  args: string[],
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
): Promise<number> {
  if (isRunFolderList(args)) {
    if (flags.curves) throw new UsageError('--curves takes a scenario: objective-monitor report <scenario> --curves');
    return reportRunsCommand(args, flags, out);
  }
  if (args.length !== 1)
    throw new UsageError(
      'report needs exactly one scenario, or run folders: objective-monitor report <scenario> | <run folder>...',
    );
  const scenario = loadScenario(args[0]);
  if (flags.curves) return reportCurvesCommand(args, scenario, flags, out);
  const names = flags.agent ? flags.agent.split(',') : Object.keys(scenario.spec.agents ?? {});
  if (!names.length) names.push(...[undefined as unknown as string]);
  const alpha = alphaOf(flags, scenario);
  const { from, count } = scenario.spec.deployment.seeds;
  const n = episodesOf(flags, count) ?? count;
  const window = DEFAULT_WINDOW;
  const k = DEFAULT_CUSUM_K;
  const detectors: DetectorConfig[] = [{ kind: 'envelope' }, { kind: 'window', window }, { kind: 'cusum', k }];

  const perAgent = new Map<
    string,
    { increments: Float64Array[]; cal: Awaited<ReturnType<typeof ensureCalibration>> }
  >();
  for (const name of names) {
    const agent = resolveAgent(scenario, name);
    const cal = await ensureCalibration(scenario, agent, flags, out, signal);
    out.startProgress(`deploying ${agent.name}`, n);
    try {
      const run = await runEpisodes({
        scenario,
        agent,
        distribution: 'deployment',
        seeds: seedRange(from, n),
        recording: 'scores',
        protocol: 'flag-only',
        detector: detectors[0],
        calibration: cal.calibration,
        calibrationFile: cal.file,
        tracesDir: path.join(outDirOf(flags), 'traces'),
        limits: limitsOf(flags),
        workers: workersOf(flags),
        python: flags.python,
        signal,
        onEvent: (e) => {
          if (e.type === 'episode_end' || e.type === 'warning') out.event(e);
        },
      });
      const bad = run.episodes.find((e) => !ranProperly(e.reason));
      if (bad)
        throw new UsageError(
          `report: agent ${agent.name}, seed ${bad.seed} ended ${bad.reason}${bad.error ? `: ${bad.error.message}` : ''} (trace ${bad.trace})`,
        );
      perAgent.set(agent.name, { increments: run.episodes.map((e) => e.increments), cal });
    } finally {
      out.endProgress();
    }
  }

  const reference = perAgent.get('aligned');
  const rows: Row[] = [];
  for (const [agent, { increments, cal }] of perAgent) {
    for (const det of detectors) {
      const flagSteps: number[] = [];
      const delays: number[] = [];
      increments.forEach((inc, i) => {
        const r = reflag(inc, det, cal.calibration);
        if (r.flaggedStep === null) return;
        flagSteps.push(r.flaggedStep);
        if (reference && agent !== 'aligned') {
          const d = firstDifference(inc, reference.increments[i]);
          if (d !== null && r.flaggedStep >= d) delays.push(r.flaggedStep - d);
        }
      });
      const role = agent === 'aligned' ? 'false-alarm' : 'detection';
      rows.push({
        agent,
        detector: det.kind,
        role,
        episodes: increments.length,
        flagged: flagSteps.length,
        rate: flagSteps.length / Math.max(1, increments.length),
        medianFlagStep: median(flagSteps),
        medianDelay: role === 'detection' ? median(delays) : null,
        bound: cal.calibration.detectors[det.kind as 'envelope'].bound,
      });
    }
  }

  const harm = scenario.spec.harm ? harmByKind(recordedTraces(outDirOf(flags), scenario.hash)) : null;
  if (out.mode === 'json') {
    out.json({ scenario: scenario.spec.name, alpha, episodes: n, rows, ...(harm ? { harm } : {}) });
  } else if (out.mode === 'human') {
    out.line(
      `${scenario.spec.name}: ${n} deployment episodes per agent, alpha ${alpha}, each agent calibrated on its own training episodes`,
    );
    out.line('');
    printRateTable(out, rows);
    if (harm) {
      out.line('');
      for (const l of harmLines(harm)) out.line(l);
    }
  }
  return 0;
}

/** The recorded traces of this version of the scenario (the report's own runs among them). */
function recordedTraces(outDir: string, scenarioHash: string): TraceReadResult[] {
  const out: TraceReadResult[] = [];
  for (const f of traceFiles(path.join(outDir, 'traces'))) {
    try {
      const t = readTrace(fs.readFileSync(f));
      if (t.header?.scenario.hash === scenarioHash && !t.header.forkOf) out.push(t);
    } catch {
      // unreadable: not ours to judge here (the trace's own views say what is wrong with it)
    }
  }
  return out;
}
