// Recorded traces and their flags under the current settings. Reading and re-flagging are pure
// (core's parseTraceLine and reflag): no user code runs. Results are cached per file size and mtime, so
// a settings change re-flags from memory and a growing live trace is re-read.
//
// A trace is kept as columns (Float64Arrays), never as step objects: a 1M-step trace as objects
// held ~350 MB in the extension host for as long as its panel was open. Per-step detail (action,
// observation, info, scene) is read back from the file on demand, one line at a time, through the
// byte offsets kept per step (traces are append-only, so the offsets stay valid while a live trace
// grows; a rewritten file changes size or mtime and is re-read).
import fs from 'node:fs';
import type { CalibrationFile } from '../core/calibrationTypes';
import type { DetectorConfig } from '../core/detectorConfig';
import { reflag } from '../core/reflag';
import type { TraceStep } from '../core/traceFormat';
import { parseTraceLine } from '../core/traceReader';
import { readTraceColumns, type TraceColumns } from './traceColumns';

/** the most bytes stepRecords reads in one go (a batch of nearby steps); farther apart, a read each */
const BATCH_READ_MAX = 4 * 1024 * 1024;
/** how far back a step without a scene of its own looks for the last one */
export const SCENE_LOOKBACK = 1000;

/** A trace as the extension keeps it: the columns of traceColumns.ts, and which file version they are of. */
export interface LoadedTrace extends TraceColumns {
  file: string;
  size: number;
  mtimeMs: number;
}

/** One step's full record, read back from the file. */
export type StepRecord = TraceStep;

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
    const value: LoadedTrace = { file, size: st.size, mtimeMs: st.mtimeMs, ...await readTraceColumns(file) };
    this.traces.set(file, { size: st.size, mtimeMs: st.mtimeMs, value });
    return value;
  }

  /** Record `i` of a loaded trace, read from its line in the file. Re-reads the trace once when the
   *  file changed under the offsets; null when the record is gone. */
  async stepRecord(trace: LoadedTrace, i: number): Promise<{ trace: LoadedTrace; record: StepRecord } | null> {
    let t = trace;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (i < 0 || i >= t.steps) return null;
      const record = await readStepLine(t, i);
      if (record) return { trace: t, record };
      this.forget(t.file);
      t = await this.load(t.file);
    }
    return null;
  }

  /** The scene shown at record `i`: its own, else the last one within SCENE_LOOKBACK records before it. */
  async sceneRecord(trace: LoadedTrace, i: number): Promise<StepRecord | null> {
    const j = trace.lastScene ? trace.lastScene[i] : -1;
    if (j < 0 || i - j >= SCENE_LOOKBACK) return null;
    const r = await this.stepRecord(trace, j);
    return r?.record.scene ? r.record : null;
  }

  /** Records `indices` of a loaded trace (null for one that is gone), read through one file handle
   *  and, when they lie close together, one read: the replay panel asks for a batch of steps at
   *  a time, and a read per step cost a file open each (seconds per batch on a busy machine).
   *  A record that no longer matches its offsets falls back to stepRecord (which re-reads). */
  async stepRecords(trace: LoadedTrace, indices: readonly number[]): Promise<{ trace: LoadedTrace; records: (StepRecord | null)[] }> {
    const t = trace;
    const valid = indices.filter((i) => Number.isInteger(i) && i >= 0 && i < t.steps);
    const lines = new Map<number, StepRecord | null>();
    if (valid.length) {
      const fh = await fs.promises.open(t.file, 'r');
      try {
        const lo = Math.min(...valid.map((i) => t.lineStart[i]));
        const hi = Math.max(...valid.map((i) => t.lineStart[i] + t.lineLength[i]));
        if (hi - lo <= BATCH_READ_MAX) {
          const buf = Buffer.alloc(hi - lo);
          const { bytesRead } = await fh.read(buf, 0, hi - lo, lo);
          for (const i of valid) {
            const from = t.lineStart[i] - lo, to = from + t.lineLength[i];
            lines.set(i, to <= bytesRead ? parseStepLine(t, i, buf.subarray(from, to)) : null);
          }
        } else {
          for (const i of valid) {
            const buf = Buffer.alloc(t.lineLength[i]);
            const { bytesRead } = await fh.read(buf, 0, buf.length, t.lineStart[i]);
            lines.set(i, bytesRead === buf.length ? parseStepLine(t, i, buf) : null);
          }
        }
      } finally {
        await fh.close();
      }
    }
    let current = t;
    const records: (StepRecord | null)[] = [];
    for (const i of indices) {
      const r = lines.get(i);
      if (r) { records.push(r); continue; }
      const again = await this.stepRecord(current, i);
      if (again) current = again.trace;
      records.push(again?.record ?? null);
    }
    return { trace: current, records };
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
    const header = trace.header;
    if (!header) return { ...recorded, note: 'the trace has no header' };
    const wanted = detector ?? header.detector;
    const alphaChanged = alpha !== undefined && header.calibration !== null && Math.abs(alpha - header.calibration.alpha) > 1e-12;
    if (sameDetector(wanted, header.detector) && (!alphaChanged || wanted.kind === 'fixed')) return recorded;
    if (trace.stepNumbers) {
      for (let i = 0; i < trace.steps; i++) {
        if (trace.stepNumbers[i] !== i) return { ...recorded, note: `step ${i} is missing from the trace, so it cannot be re-flagged` };
      }
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
    const f = trace.header?.calibration?.file;
    if (!f) return null;
    try { return this.calibration(f); } catch { return null; }
  }
}

export function recordedFlags(trace: LoadedTrace): FlagView {
  const h = trace.header;
  return {
    flaggedStep: trace.end?.flaggedStep ?? trace.flaggedRecord,
    thresholds: trace.thresholds, statistics: trace.statistics,
    detector: h?.detector ?? { kind: 'fixed', threshold: 0 },
    calibration: h?.calibration ? { alpha: h.calibration.alpha, file: h.calibration.file, computedAt: h.calibration.computedAt } : null,
    reflagged: false,
  };
}

/** The step number of record `i`. */
export function stepAt(trace: LoadedTrace, i: number): number {
  return trace.stepNumbers ? trace.stepNumbers[i] : i;
}

/** The record index of step `n`, or -1 (binary search: steps strictly increase). */
export function recordOfStep(trace: LoadedTrace, n: number): number {
  if (!trace.stepNumbers) return Number.isInteger(n) && n >= 0 && n < trace.steps ? n : -1;
  const a = trace.stepNumbers;
  let lo = 0; let hi = trace.steps - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] === n) return mid;
    if (a[mid] < n) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

/** Record `i`'s line, parsed; null when the file no longer holds that step there. */
async function readStepLine(t: LoadedTrace, i: number): Promise<StepRecord | null> {
  const len = t.lineLength[i];
  const buf = Buffer.alloc(len);
  const fh = await fs.promises.open(t.file, 'r');
  try {
    const { bytesRead } = await fh.read(buf, 0, len, t.lineStart[i]);
    if (bytesRead !== len) return null;
  } finally {
    await fh.close();
  }
  return parseStepLine(t, i, buf);
}

/** Record `i` parsed from its line's bytes; null when they are not that step's record. */
function parseStepLine(t: LoadedTrace, i: number, buf: Buffer): StepRecord | null {
  const parsed = parseTraceLine(buf.toString('utf8'));
  if (!parsed.ok || parsed.record.type !== 'step' || parsed.record.step !== stepAt(t, i)) return null;
  return parsed.record;
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
