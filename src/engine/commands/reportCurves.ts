// `objective-monitor report <scenario> --curves [--agent M] [--alpha A] [--threshold H] [--json]`:
// trade-off curves from what is recorded — the calibration's held-out statistics and the recorded
// deployment traces under the output folder — without running anything (docs/detectors.md#trade-off-curves).
// The false-alarm rate is measured on the reference agent `aligned`'s recorded episodes; without
// them the curves are drawn against the conformal bound k/(n+1), and the output says which.
import path from 'node:path';
import { staleness } from '../../core/calibration';
import type { CalibrationFile } from '../../core/calibrationTypes';
import type { LoadedScenario } from '../../core/scenario';
import {
  alphaGrid,
  pointForAlpha,
  tradeoffCurves,
  type AgentCurves,
  type CurveSide,
  type Rate,
} from '../../core/tradeoffCurves';
import { calibrationPath, fingerprint, readCalibration } from '../calibrationStore';
import { alphaOf, num, outDirOf, type Flags } from '../cliOptions';
import type { CliOutput } from '../cliOutput';
import { divergence, recordedEpisodes, traceFiles, type AgentRecording } from '../curveEpisodes';
import { resolveAgent } from '../scenarioLoader';
import type { AgentChoice } from '../types';
import { UsageError } from '../usageError';
import { numberText } from '../../core/numberText';

const REFERENCE = 'aligned';

interface Loaded {
  agent: AgentChoice;
  file: string;
  calibration: CalibrationFile;
  rec: AgentRecording;
}

function usable(
  scenario: LoadedScenario,
  agent: AgentChoice,
  outDir: string,
  files: string[],
  command: string,
): Loaded | string {
  const file = calibrationPath(scenario, agent, outDir);
  const cal = readCalibration(file);
  if (!cal)
    return `no calibration of ${agent.name} at ${file}: run \`objective-monitor calibrate ${command} --agent ${agent.name}\` first`;
  const stale = staleness(cal, fingerprint(scenario, agent));
  if (stale)
    return `the calibration of ${agent.name} (${file}) is stale: ${stale}; run \`objective-monitor calibrate ${command} --agent ${agent.name}\` again`;
  return { agent, file, calibration: cal, rec: recordedEpisodes(scenario, agent, cal, files) };
}

function sideOf(l: Loaded): CurveSide {
  const bySeed = (m: AgentRecording['episodes']) => [...m.values()].sort((a, b) => a.header.seed - b.header.seed);
  return {
    calibration: l.calibration,
    episodes: bySeed(l.rec.episodes).map((r) => r.episode),
    guardEpisodes: bySeed(l.rec.guarded).map((r) => r.episode),
  };
}

export function reportCurvesCommand(args: string[], scenario: LoadedScenario, flags: Flags, out: CliOutput): number {
  const outDir = outDirOf(flags);
  const tracesDir = path.join(outDir, 'traces');
  const files = traceFiles(tracesDir);
  const alpha = alphaOf(flags, scenario);
  const fixed = num('threshold', flags.threshold, () => true, 'a number') ?? fixedOfScenario(scenario);
  const named = Object.keys(scenario.spec.agents ?? {});
  const asked = flags.agent ? flags.agent.split(',') : null;
  const subjects = (asked ?? (named.length ? named.filter((n) => n !== REFERENCE) : [undefined])).map((n) =>
    resolveAgent(scenario, n),
  );
  if (!subjects.length) subjects.push(resolveAgent(scenario, REFERENCE));
  const command = args[0];
  const runHint = (a: string) =>
    `run \`objective-monitor run ${command} --agent ${a} --protocol flag-only\` first (add --guard --guard-record all for the guard's curve)`;

  let reference: Loaded | null = null;
  const referenceNotes: string[] = [];
  if (named.includes(REFERENCE)) {
    const r = usable(scenario, resolveAgent(scenario, REFERENCE), outDir, files, command);
    if (typeof r === 'string') referenceNotes.push(`no false-alarm rates measured: ${r}`);
    else if (!r.rec.episodes.size)
      referenceNotes.push(
        `no false-alarm rates measured: no recorded deployment episodes of ${REFERENCE} in ${tracesDir}; ${runHint(REFERENCE)}`,
      );
    else reference = r;
  }

  const results: AgentCurves[] = [];
  const skipped: string[] = [];
  for (const agent of subjects) {
    const l = usable(scenario, agent, outDir, files, command);
    if (typeof l === 'string') {
      skipped.push(l);
      continue;
    }
    if (!l.rec.episodes.size) {
      skipped.push(
        `no recorded deployment episodes of ${agent.name} for the scenario as it is now in ${tracesDir}${l.rec.otherVersions ? ` (${l.rec.otherVersions} of an earlier version of the scenario, agent or environment)` : ''}; ${runHint(agent.name)}`,
      );
      continue;
    }
    const ref = reference && reference.agent.name !== agent.name ? reference : null;
    const subject = sideOf(l);
    const refSide = ref ? sideOf(ref) : null;
    if (refSide) {
      for (const e of [...subject.episodes, ...subject.guardEpisodes]) {
        const other = ref!.rec.episodes.get(e.seed)?.episode;
        e.divergence = other ? divergence(e, other) : null;
      }
    }
    const notes = [...(ref ? [] : referenceNotes)];
    if (l.rec.otherVersions)
      notes.push(
        `${l.rec.otherVersions} trace(s) of an earlier version of the scenario, agent or environment left out`,
      );
    if (l.rec.unfinished) notes.push(`${l.rec.unfinished} trace(s) left out: unfinished, or ended by an error`);
    let guard: { detector: 'envelope' | 'window' | 'cusum' } | { unavailable: string };
    if (l.rec.guardDetector && l.rec.guarded.size) guard = { detector: l.rec.guardDetector };
    else if (l.rec.guardProblems.size) guard = { unavailable: [...l.rec.guardProblems].join('; ') };
    else
      guard = {
        unavailable: `no guarded runs of ${agent.name} recorded: run with --guard --guard-record all --protocol flag-only`,
      };
    if ('detector' in guard && l.rec.guardProblems.size) notes.push(...l.rec.guardProblems);
    const n = l.calibration.conformalEpisodes;
    const curves = tradeoffCurves({ alphas: alphaGrid(n), subject, reference: refSide, fixed, guard });
    const points = curves.find((c) => c.name === 'cusum')!.points;
    results.push({
      agent: agent.name,
      reference: ref ? ref.agent.name : null,
      falseAlarmFrom: ref ? 'reference' : 'bound',
      calibration: l.file,
      heldOut: n,
      episodes: subject.episodes.length,
      guardEpisodes: subject.guardEpisodes.length,
      current: pointForAlpha(points, alpha, n),
      notes,
      curves,
    });
  }
  if (!results.length) {
    throw new UsageError(
      `no trade-off curves for ${scenario.spec.name}: nothing recorded to compute them from.\n${skipped.map((s) => `  ${s}`).join('\n')}`,
    );
  }
  if (asked && skipped.length) throw new UsageError(skipped.join('\n'));

  if (out.mode === 'json') {
    out.json({ scenario: scenario.spec.name, alpha, tracesDir, agents: results });
    return 0;
  }
  if (out.mode !== 'human') return 0;
  for (const s of skipped) out.line(`(${s})`);
  for (const r of results) printAgent(scenario.spec.name, alpha, r, out);
  return 0;
}

function fixedOfScenario(scenario: LoadedScenario): number | null {
  const d = scenario.spec.detector;
  return d && d.kind === 'fixed' ? d.threshold : null;
}

function pct(r: Rate | null): string {
  if (!r) return '-';
  const base = r.rate === null ? `-` : `${(r.rate * 100).toFixed(1)}%`;
  return `${base} (${r.flagged}/${r.determined}${r.undetermined ? `, ${r.undetermined} undecided` : ''})`;
}

function fmt(x: number | null): string {
  return x === null ? '-' : numberText(x, 3);
}

function printAgent(name: string, alpha: number, r: AgentCurves, out: CliOutput): void {
  out.line(
    `${name} / ${r.agent}: ${r.episodes} recorded deployment episode${r.episodes === 1 ? '' : 's'} (${r.guardEpisodes} with every look-ahead), thresholds from ${r.heldOut} held-out calibration episodes`,
  );
  out.line(
    r.reference
      ? `false alarms: measured on ${r.reference}'s recorded deployment episodes, each with its own calibration at the same alpha`
      : 'false alarms: the conformal bound k/(n+1) (no reference episodes measured)',
  );
  for (const note of r.notes) out.line(`note: ${note}`);
  for (const c of r.curves) {
    out.line('');
    if (c.unavailable) {
      out.line(`${c.label}: no curve — ${c.unavailable}`);
      continue;
    }
    out.line(
      c.falseAlarmFrom === 'reference' || !r.reference
        ? c.label
        : `${c.label} (false alarms: no episodes of ${r.reference} recorded for it; the bound k/(n+1) is alpha)`,
    );
    out.line('  alpha    threshold   false alarms            detected                median delay');
    c.points.forEach((p, i) => {
      const mark = c.name !== 'fixed' && i === r.current ? `  <- alpha ${alpha}` : '';
      out.line(
        `  ${fmt(p.alpha).padEnd(8)} ${fmt(p.threshold).padStart(9)}   ${pct(p.falseAlarm).padEnd(22)}  ${pct(p.detection).padEnd(22)}  ${fmt(p.medianDelay).padStart(12)}${mark}`,
      );
    });
  }
  out.line('');
  out.line(
    "delay = flagged step minus the first step whose increment differs from the reference agent's on the same seed; undecided = the recording stops before the flag at that threshold would fall",
  );
}
