// One trace, read once per document version: the core reader's result plus the flag under the
// current settings (re-flagged when the settings ask for another detector than the recorded one).
// Every handler (diagnostics, hover, lenses, hints, symbols) is a pure function of this.

import type { CalibrationFile } from '../core/calibrationTypes';
import type { DetectorConfig } from '../core/detectorConfig';
import { readTrace, type TraceReadResult } from '../core/traceReader';
export { indexOfStep as stepIndexOf } from '../core/traceReader';
import type { TraceHeader, TraceStep } from '../core/traceFormat';
import type { TraceServerSettings } from '../shared/lspProtocol';
import { reflagSteps } from './reflagSteps';
import { describeDetector, requestedDetector, sameDetector } from './settings';

export type CalibrationLoad = { ok: true; calibration: CalibrationFile } | { ok: false; message: string };
/** Loads a calibration file by absolute path; must not throw. */
export type CalibrationLoader = (file: string) => CalibrationLoad;

/** The flag the user sees. Per-step arrays are index-aligned with `read.steps`. */
export interface FlagView {
  detector: DetectorConfig;
  /** the alpha the threshold was set for; null for a fixed threshold or when unknown */
  alpha: number | null;
  /** true when these values come from re-evaluating the trace with the current settings */
  reflagged: boolean;
  /** step number (not index) of the first alarm, or null */
  flaggedStep: number | null;
  thresholds: ArrayLike<number>;
  statistics: ArrayLike<number>;
  /** why the settings' detector could not be applied (the recorded flag is shown instead) */
  reflagError: string | null;
}

export interface TraceAnalysis {
  read: TraceReadResult;
  flag: FlagView;
  recordedFlaggedStep: number | null;
}

/** Reads and flags a trace. Never throws: the reader does not, and re-flag failures become `reflagError`. */
export function analyzeTrace(data: string | Uint8Array, settings: TraceServerSettings, loadCalibration: CalibrationLoader): TraceAnalysis {
  const read = readTrace(data);
  return { read, ...flagTrace(read, settings, loadCalibration) };
}

export function flagTrace(read: TraceReadResult, settings: TraceServerSettings, loadCalibration: CalibrationLoader): Omit<TraceAnalysis, 'read'> {
  const recordedFlaggedStep = recordedFlag(read);
  const recorded = recordedView(read, recordedFlaggedStep);
  const header = read.header;
  // Kind 'recorded' (the default) shows traces exactly as recorded, whatever the alpha setting
  // (the extension's settings contract: the alpha applies to the detector the user chose).
  const wanted = requestedDetector(settings);
  if (!header || !wanted) return { recordedFlaggedStep, flag: recorded };
  const alphaChange = settings.detector.alpha !== null && wanted.kind !== 'fixed' && settings.detector.alpha !== header.calibration?.alpha;
  if (sameDetector(wanted, header.detector) && !alphaChange) return { recordedFlaggedStep, flag: recorded };
  try {
    const r = reflagSteps(read.steps, header, wanted, settings.detector.alpha, loadCalibration);
    if (!r.ok) return { recordedFlaggedStep, flag: { ...recorded, reflagError: `cannot re-flag with detector ${describeDetector(wanted)}: ${r.message}` } };
    return {
      recordedFlaggedStep,
      flag: { detector: wanted, alpha: r.alpha, reflagged: true, flaggedStep: r.flaggedStep, thresholds: r.thresholds, statistics: r.statistics, reflagError: null },
    };
  } catch (e) {
    return { recordedFlaggedStep, flag: { ...recorded, reflagError: `cannot re-flag with detector ${describeDetector(wanted)}: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

function recordedFlag(read: TraceReadResult): number | null {
  for (const s of read.steps) if (s.flag) return s.step;
  return null;
}

function recordedView(read: TraceReadResult, flaggedStep: number | null): FlagView {
  const steps = read.steps;
  const header = read.header;
  return {
    detector: header?.detector ?? { kind: 'envelope' },
    alpha: header?.detector.kind === 'fixed' ? null : header?.calibration?.alpha ?? null,
    reflagged: false,
    flaggedStep,
    thresholds: column(steps, 'threshold'),
    statistics: column(steps, 'statistic'),
    reflagError: null,
  };
}

function column(steps: TraceStep[], key: 'threshold' | 'statistic'): Float64Array {
  const out = new Float64Array(steps.length);
  for (let i = 0; i < steps.length; i++) out[i] = steps[i][key];
  return out;
}

/** Index into `read.steps` of the step on `line`, or -1 (binary search: stepLines increase). */
export function stepIndexAtLine(read: TraceReadResult, line: number): number {
  const lines = read.stepLines;
  let lo = 0;
  let hi = lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (lines[mid] === line) return mid;
    if (lines[mid] < line) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

/** First index into `read.steps` whose line is >= `line`. */
export function firstStepIndexFrom(read: TraceReadResult, line: number): number {
  const lines = read.stepLines;
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lines[mid] < line) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Length of a line in the units of the input (UTF-16 units for documents: LSP characters). */
export function lineLength(read: TraceReadResult, line: number): number {
  const l = read.lines;
  return line >= 0 && line < l.starts.length ? l.ends[line] - l.starts[line] : 0;
}

export function lastLine(read: TraceReadResult): number {
  return Math.max(0, read.lines.starts.length - 1);
}

export function describeFlagDetector(flag: FlagView): string {
  const d = describeDetector(flag.detector);
  return flag.alpha !== null ? `detector ${d}, alpha ${flag.alpha}` : `detector ${d}`;
}

export function episodeLabel(h: TraceHeader): string {
  return `seed ${h.seed}, agent ${h.agent.name}`;
}
