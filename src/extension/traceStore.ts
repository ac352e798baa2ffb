// Recorded traces and their flags under the current settings. Reading and re-flagging are pure
// (core's readTrace and reflag): no user code runs. Results are cached per file size and mtime, so
// a settings change re-flags from memory and a growing live trace is re-read.
import fs from 'node:fs';
import type { CalibrationFile } from '../core/calibrationTypes';
import type { DetectorConfig } from '../core/detectorConfig';
import { reflag } from '../core/reflag';
import { readTrace, type TraceReadResult } from '../core/traceReader';

export interface LoadedTrace {
  file: string;
  read: TraceReadResult;
  increments: Float64Array;
}

export interface FlagView {
  flaggedStep: number | null;
  thresholds: Float64Array;
  statistics: Float64Array;
  /** the detector these flags come from */
  detector: DetectorConfig;
  calibration: { alpha: number; file: string; computedAt: string } | null;
  /** true when the settings differ from the trace's own detector */
  reflagged: boolean;
  /** why the settings' detector could not be applied (then the recorded flags are shown) */
  note?: string;
}

interface Cached<T> { size: number; mtimeMs: number; value: T }

export class TraceStore {
  private traces = new Map<string, Cached<LoadedTrace>>();
  private calibrations = new Map<string, Cached<CalibrationFile>>();

  async load(file: string): Promise<LoadedTrace> {
    const st = await fs.promises.stat(file);
    const hit = this.traces.get(file);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.value;
    const bytes = await fs.promises.readFile(file);
    const read = readTrace(bytes);
    const increments = new Float64Array(read.steps.length);
    for (let i = 0; i < read.steps.length; i++) increments[i] = read.steps[i].increment;
    const value = { file, read, increments };
    this.traces.set(file, { size: st.size, mtimeMs: st.mtimeMs, value });
    return value;
  }

  forget(file: string): void {
    this.traces.delete(file);
  }

  clear(): void {
    this.traces.clear();
    this.calibrations.clear();
  }

  /** Flags of a trace under `detector` (null: as recorded), thresholds re-derived for `alpha`. */
  flags(trace: LoadedTrace, detector: DetectorConfig | null, alpha: number | undefined): FlagView {
    const recorded = recordedFlags(trace);
    const header = trace.read.header;
    if (!header) return { ...recorded, note: 'the trace has no header' };
    const wanted = detector ?? header.detector;
    const alphaChanged = alpha !== undefined && header.calibration !== null && Math.abs(alpha - header.calibration.alpha) > 1e-12;
    if (sameDetector(wanted, header.detector) && (!alphaChanged || wanted.kind === 'fixed')) return recorded;
    for (let i = 0; i < trace.read.steps.length; i++) {
      if (trace.read.steps[i].step !== i) return { ...recorded, note: `step ${i} is missing from the trace, so it cannot be re-flagged` };
    }
    let cal: CalibrationFile | null = null;
    if (wanted.kind !== 'fixed') {
      if (!header.calibration) return { ...recorded, note: 'the trace was recorded with a fixed threshold and names no calibration file' };
      try {
        cal = this.calibration(header.calibration.file);
      } catch (e) {
        return { ...recorded, note: `calibration ${header.calibration.file}: ${(e as Error).message}` };
      }
    }
    try {
      const r = reflag(trace.increments, wanted, cal, wanted.kind === 'fixed' ? undefined : alpha);
      return {
        flaggedStep: r.flaggedStep, thresholds: r.thresholds, statistics: r.statistics, detector: wanted,
        calibration: cal && header.calibration ? { alpha: alpha ?? cal.alpha, file: header.calibration.file, computedAt: cal.computedAt } : null,
        reflagged: true,
      };
    } catch (e) {
      return { ...recorded, note: `cannot re-flag: ${(e as Error).message}` };
    }
  }

  private calibration(file: string): CalibrationFile {
    const st = fs.statSync(file);
    const hit = this.calibrations.get(file);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.value;
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as CalibrationFile;
    if (typeof v !== 'object' || v === null || v.version !== 1 || typeof v.detectors !== 'object') {
      throw new Error('not a calibration file of version 1');
    }
    this.calibrations.set(file, { size: st.size, mtimeMs: st.mtimeMs, value: v });
    return v;
  }

  calibrationFor(trace: LoadedTrace): CalibrationFile | null {
    const f = trace.read.header?.calibration?.file;
    if (!f) return null;
    try { return this.calibration(f); } catch { return null; }
  }
}

export function recordedFlags(trace: LoadedTrace): FlagView {
  const steps = trace.read.steps;
  const thresholds = new Float64Array(steps.length);
  const statistics = new Float64Array(steps.length);
  let flaggedStep: number | null = null;
  for (let i = 0; i < steps.length; i++) {
    thresholds[i] = steps[i].threshold;
    statistics[i] = steps[i].statistic;
    if (steps[i].flag && flaggedStep === null) flaggedStep = steps[i].step;
  }
  const h = trace.read.header;
  return {
    flaggedStep: trace.read.end?.flaggedStep ?? flaggedStep,
    thresholds, statistics,
    detector: h?.detector ?? { kind: 'fixed', threshold: 0 },
    calibration: h?.calibration ? { alpha: h.calibration.alpha, file: h.calibration.file, computedAt: h.calibration.computedAt } : null,
    reflagged: false,
  };
}

export function sameDetector(a: DetectorConfig, b: DetectorConfig): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'window': return a.window === (b as typeof a).window;
    case 'cusum': return a.k === (b as typeof a).k;
    case 'fixed': return a.threshold === (b as typeof a).threshold;
    default: return true;
  }
}

export function describeDetector(d: DetectorConfig): string {
  switch (d.kind) {
    case 'window': return `window w=${d.window}`;
    case 'cusum': return `cusum k=${d.k}`;
    case 'fixed': return `fixed threshold ${d.threshold}`;
    default: return 'envelope';
  }
}
