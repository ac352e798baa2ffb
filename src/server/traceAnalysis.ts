// One trace, read once per document version: the core reader's result plus the flag under the
// current settings (core's flagRecordedTrace: the same rule as the extension's views and the CLI).
// Every handler (diagnostics, hover, lenses, hints, symbols) is a pure function of this.

import type { CalibrationLoader } from '../core/calibrationFile';
import { describeDetector } from '../core/detectorConfig';
import { flagRecordedTrace, recordedTraceOf, type TraceFlags } from '../core/reflag';
import { readTrace, type TraceReadResult } from '../core/traceReader';
export { indexOfStep as stepIndexOf } from '../core/traceReader';
import type { TraceHeader } from '../core/traceFormat';
import type { TraceServerSettings } from '../shared/lspProtocol';
import { flagSettingsOf } from '../shared/settings';

export interface TraceAnalysis {
  read: TraceReadResult;
  /** the flag under the current settings (core's one re-flag rule) */
  flag: TraceFlags;
}

/** Reads and flags a trace. Never throws: the reader does not, and re-flag failures become `reflagError`. */
export function analyzeTrace(
  data: string | Uint8Array,
  settings: TraceServerSettings,
  loadCalibration: CalibrationLoader,
): TraceAnalysis {
  const read = readTrace(data);
  return { read, ...flagTrace(read, settings, loadCalibration) };
}

export function flagTrace(
  read: TraceReadResult,
  settings: TraceServerSettings,
  loadCalibration: CalibrationLoader,
): Omit<TraceAnalysis, 'read'> {
  const flag = flagRecordedTrace(recordedTraceOf(read), flagSettingsOf(settings), loadCalibration);
  return { flag };
}

/** Index into `read.steps` of the step on `line`, or -1 (binary search: stepLines increase). */
export function stepIndexAtLine(read: TraceReadResult, line: number): number {
  const lines = read.stepLines;
  let lo = 0;
  let hi = lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (lines[mid] === line) return mid;
    if (lines[mid] < line) lo = mid + 1;
    else hi = mid - 1;
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
    if (lines[mid] < line) lo = mid + 1;
    else hi = mid;
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

export function describeFlagDetector(flag: Pick<TraceFlags, 'detector' | 'alpha'>): string {
  const d = describeDetector(flag.detector);
  return flag.alpha !== null ? `detector ${d}, alpha ${flag.alpha}` : `detector ${d}`;
}

export function episodeLabel(h: TraceHeader): string {
  return `seed ${h.seed}, agent ${h.agent.name}`;
}
