// `objective-monitor reflag <trace or run folder>... [--detector K] [--alpha A] [--json]`:
// recompute the flags of recorded traces under other detector settings, from their calibration
// files, without running anything (core's flagRecordedTrace: the same rule as the extension and the
// language server). Exit 1 when a trace is flagged under the new settings.
import fs from 'node:fs';
import path from 'node:path';
import { readTrace } from '../../core/traceReader';
import { AS_RECORDED, flagRecordedTrace, recordedTraceOf, type FlagSettings } from '../../core/reflag';
import { describeDetector, type DetectorConfig } from '../../core/detectorConfig';
import { createCalibrationLoader } from '../../shared/calibrationLoader';
import { TRACE_EXTENSION } from '../../core/traceFormat';
import type { LoadedScenario } from '../../core/scenario';
import type { CliOutput } from '../cliOutput';
import { detectorOf, type Flags } from '../cliOptions';
import { UsageError } from '../usageError';

function traceFiles(args: string[]): string[] {
  const files: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    else if (p.endsWith(TRACE_EXTENSION)) files.push(p);
  };
  for (const a of args) {
    const p = path.resolve(a);
    if (!fs.existsSync(p)) throw new UsageError(`${a}: no such trace file or folder`);
    walk(p);
  }
  if (!files.length) throw new UsageError(`no ${TRACE_EXTENSION} files in ${args.join(', ')}`);
  return files;
}

export async function reflagCommand(args: string[], flags: Flags, out: CliOutput): Promise<number> {
  if (!args.length)
    throw new UsageError('reflag needs trace files or run folders: objective-monitor reflag <trace|folder>...');
  const alpha = flags.alpha === undefined ? undefined : Number(flags.alpha);
  if (alpha !== undefined && !(alpha > 0 && alpha < 1))
    throw new UsageError(`--alpha ${flags.alpha}: expected a number between 0 and 1`);
  // `--detector recorded`, or no detector option at all: as recorded, the --alpha included (the
  // VS Code setting `recorded`). --alpha alone re-flags with each trace's own detector at that alpha.
  const chosen =
    flags.detector !== 'recorded' &&
    (flags.detector !== undefined ||
      alpha !== undefined ||
      flags.threshold !== undefined ||
      flags.window !== undefined ||
      flags['cusum-k'] !== undefined);
  const loadCalibration = createCalibrationLoader();
  const rows: {
    trace: string;
    steps: number;
    recordedFlaggedStep: number | null;
    flaggedStep: number | null;
    /** the guard's predicted stop (before the action of this step), as recorded and under the settings */
    recordedPredictedStep: number | null;
    predictedStep: number | null;
    /** what the trace cannot tell about the guard's decision under the settings */
    guardNote?: string;
    detector: DetectorConfig;
    error?: string;
  }[] = [];
  for (const file of traceFiles(args)) {
    const t = readTrace(fs.readFileSync(file));
    if (!t.header) throw new UsageError(`${file}:1: not a trace (no header record)`);
    const pseudo = { spec: { detector: t.header.detector } } as unknown as LoadedScenario;
    const settings: FlagSettings = chosen ? { detector: detectorOf(flags, pseudo), alpha: alpha ?? null } : AS_RECORDED;
    const f = flagRecordedTrace(recordedTraceOf(t), settings, loadCalibration);
    const row = {
      trace: file,
      steps: t.steps.length,
      recordedFlaggedStep: f.recordedFlaggedStep,
      flaggedStep: f.flaggedStep,
      recordedPredictedStep: f.recordedPredictedStep,
      predictedStep: f.predictedStep,
      ...(f.guardNote ? { guardNote: f.guardNote } : {}),
      detector: f.detector,
    };
    rows.push(
      f.reflagError
        ? {
            ...row,
            flaggedStep: null,
            predictedStep: null,
            detector: settings.detector ?? f.detector,
            error: f.reflagError,
          }
        : row,
    );
  }
  const failed = rows.filter((r) => r.error);
  if (out.mode === 'json') out.json({ traces: rows });
  else if (out.mode === 'human') {
    for (const r of rows) {
      const was = outcome(r.recordedFlaggedStep, r.recordedPredictedStep);
      const now = r.error ? r.error : outcome(r.flaggedStep, r.predictedStep);
      out.line(
        `${path.relative(process.cwd(), r.trace) || r.trace}: recorded ${was} -> ${chosen ? describeDetector(r.detector) : 'as recorded'}${alpha ? ` alpha ${alpha}` : ''}: ${now}${r.guardNote ? ` (guard: ${r.guardNote})` : ''}`,
      );
    }
    out.line(
      `${rows.filter(alarmed).length} of ${rows.length} traces flagged ${chosen ? 'under the new settings' : 'as recorded'}`,
    );
  }
  if (failed.length) return 2;
  return rows.some(alarmed) ? 1 : 0;
}

/** A predicted stop is an alarm as much as a reactive flag (the guard's one comes first: it stops before the step). */
const alarmed = (r: { flaggedStep: number | null; predictedStep: number | null }) =>
  r.flaggedStep !== null || r.predictedStep !== null;

function outcome(flagged: number | null, predicted: number | null): string {
  const parts: string[] = [];
  if (predicted !== null) parts.push(`predicted stop before step ${predicted}`);
  if (flagged !== null) parts.push(`step ${flagged}`);
  return parts.length ? parts.join(', flag at ') : 'not flagged';
}
