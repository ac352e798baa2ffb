// `objective-monitor report <run folder>...`: the report's table from recorded runs instead of new
// ones — the run folders of `run --shard I/N` gathered from N machines, or any runs of one scenario.
// Every trace is re-flagged by every detector from its recorded increments and the calibration its
// header names (core's reflag), exactly as `report <scenario>` does with the runs it makes.
import fs from 'node:fs';
import path from 'node:path';
import { reflag } from '../../core/reflag';
import { readTrace, type TraceReadResult } from '../../core/traceReader';
import { harmByKind, harmLines } from '../reports/harmByKind';
import { ranProperly, TRACE_EXTENSION } from '../../core/traceFormat';
import type { CalibrationFile } from '../../core/calibrationTypes';
import type { DetectorConfig } from '../../core/detectorConfig';
import { firstDifference, median } from '../../core/stats';
import { createCalibrationLoader } from '../../shared/calibrationLoader';
import type { CliOutput } from '../cliOutput';
import { DEFAULT_CUSUM_K, DEFAULT_WINDOW, type Flags } from '../cliOptions';
import { UsageError } from '../usageError';
import { printRateTable, type RateRow } from './reportTable';

export function isRunFolderList(args: string[]): boolean {
  return (
    args.length > 0 &&
    args.every((a) => {
      try {
        return fs.statSync(a).isDirectory();
      } catch {
        return false;
      }
    })
  );
}

interface Episode {
  file: string;
  seed: number;
  increments: Float64Array;
  calibration: CalibrationFile;
  stoppedAtFlag: boolean;
}

export async function reportRunsCommand(args: string[], flags: Flags, out: CliOutput): Promise<number> {
  if (flags.episodes !== undefined || flags.agent !== undefined)
    throw new UsageError(
      'report <run folder>... reports what the folders hold; --episodes and --agent apply to report <scenario>',
    );
  const files: string[] = [];
  const walk = (p: string) => {
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    else if (p.endsWith(TRACE_EXTENSION)) files.push(p);
  };
  for (const a of args) walk(path.resolve(a));
  if (!files.length) throw new UsageError(`no ${TRACE_EXTENSION} files in ${args.join(', ')}`);

  const load = createCalibrationLoader();
  const read: TraceReadResult[] = [];
  const agents = new Map<string, Map<number, Episode>>();
  let scenario: { name: string; hash: string; file: string } | null = null;
  let alpha: number | null = null;
  for (const file of files) {
    const t = readTrace(fs.readFileSync(file));
    const h = t.header;
    if (!h) throw new UsageError(`${file}:1: not a trace (no header record)`);
    if (!scenario) scenario = { name: h.scenario.name, hash: h.scenario.hash, file };
    else if (h.scenario.hash !== scenario.hash) {
      throw new UsageError(
        `${file} and ${scenario.file} are runs of different scenarios (${h.scenario.name} vs ${scenario.name}, or the scenario file changed between them); report one scenario at a time`,
      );
    }
    if (h.distribution !== 'deployment')
      throw new UsageError(
        `${file}: a ${h.distribution} episode; report counts deployment episodes (leave calibration/traces out)`,
      );
    if (!h.calibration)
      throw new UsageError(
        `${file}: recorded without a calibration (detector ${h.detector.kind}); report needs calibrated runs`,
      );
    const c = load(h.calibration.file);
    if (!c.ok) throw new UsageError(`${file}: its calibration cannot be read: ${c.message}`);
    if (alpha === null) alpha = c.calibration.alpha;
    if (t.end === null)
      throw new UsageError(
        `${file}: the episode has no end record (still running, or its run was killed); report needs finished runs`,
      );
    if (!ranProperly(t.end.reason)) {
      throw new UsageError(`${file}: seed ${h.seed} ended ${t.end.reason}; report needs episodes that ran properly`);
    }
    const byAgent = agents.get(h.agent.name) ?? new Map<number, Episode>();
    agents.set(h.agent.name, byAgent);
    const dup = byAgent.get(h.seed);
    if (dup)
      throw new UsageError(
        `seed ${h.seed} of agent ${h.agent.name} is in two traces: ${dup.file} and ${file}; give each run folder once (overlapping shards?)`,
      );
    byAgent.set(h.seed, {
      file,
      seed: h.seed,
      increments: Float64Array.from(t.steps, (s) => s.increment),
      calibration: c.calibration,
      stoppedAtFlag: t.end.reason === 'flagged_stop' || t.end.reason === 'predicted_stop',
    });
    read.push(t);
  }

  const detectors: DetectorConfig[] = [
    { kind: 'envelope' },
    { kind: 'window', window: DEFAULT_WINDOW },
    { kind: 'cusum', k: DEFAULT_CUSUM_K },
  ];
  const reference = agents.get('aligned');
  const rows: (RateRow & { bound: number })[] = [];
  let stopped = 0;
  for (const [agent, eps] of agents) {
    const list = [...eps.values()].sort((a, b) => a.seed - b.seed);
    stopped += list.filter((e) => e.stoppedAtFlag).length;
    for (const det of detectors) {
      const flagSteps: number[] = [];
      const delays: number[] = [];
      for (const e of list) {
        const r = reflag(e.increments, det, e.calibration);
        if (r.flaggedStep === null) continue;
        flagSteps.push(r.flaggedStep);
        const ref = reference && agent !== 'aligned' ? reference.get(e.seed) : undefined;
        if (ref) {
          const d = firstDifference(e.increments, ref.increments);
          if (d !== null && r.flaggedStep >= d) delays.push(r.flaggedStep - d);
        }
      }
      const role = agent === 'aligned' ? ('false-alarm' as const) : ('detection' as const);
      rows.push({
        agent,
        detector: det.kind,
        role,
        episodes: list.length,
        flagged: flagSteps.length,
        rate: flagSteps.length / Math.max(1, list.length),
        medianFlagStep: median(flagSteps),
        medianDelay: role === 'detection' ? median(delays) : null,
        bound: list[0].calibration.detectors[det.kind as 'envelope'].bound,
      });
    }
  }
  const seeds = [...agents.values()].reduce((n, m) => n + m.size, 0);
  const harm = harmByKind(read);
  if (out.mode === 'json') {
    out.json({
      scenario: scenario!.name,
      alpha,
      runs: args.map((a) => path.resolve(a)),
      traces: files.length,
      stoppedAtFlag: stopped,
      rows,
      ...(harm ? { harm } : {}),
    });
  } else if (out.mode === 'human') {
    out.line(
      `${scenario!.name}: ${seeds} recorded deployment episodes from ${args.length} run folder${args.length === 1 ? '' : 's'}, alpha ${alpha}`,
    );
    out.line('');
    printRateTable(out, rows);
    if (stopped) {
      out.line(
        `${stopped} episode${stopped === 1 ? '' : 's'} stopped at the recorded flag or prediction: other detectors see only the steps up to it ` +
          '(record with run --protocol flag-only for a full comparison)',
      );
    }
    if (harm) {
      out.line('');
      for (const l of harmLines(harm)) out.line(l);
    }
  }
  return 0;
}
