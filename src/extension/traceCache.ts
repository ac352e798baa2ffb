// Recorded traces and their flags under the current settings. Reading and re-flagging are pure
// (core's parseTraceLine and flagRecordedTrace, the language server's and the CLI's rule too): no
// user code runs. Results are cached per file size and mtime, so
// a settings change re-flags from memory and a growing live trace is re-read.
//
// A trace is kept as columns (Float64Arrays), never as step objects: a 1M-step trace as objects
// held ~350 MB in the extension host for as long as its panel was open. Per-step detail (action,
// observation, info, scene) is read back from the file on demand, one line at a time, through the
// byte offsets kept per step (traces are append-only, so the offsets stay valid while a live trace
// grows; a rewritten file changes size or mtime and is re-read).
import fs from 'node:fs';
import type { CalibrationFile } from '../core/calibrationTypes';
import { flagRecordedTrace, type FlagSettings, type TraceFlags } from '../core/reflag';
import type { TraceStep } from '../core/traceFormat';
import { parseTraceLine } from '../core/traceReader';
import { createCalibrationLoader } from '../shared/calibrationLoader';
import { readTraceColumns, type ReadProgress, type TraceColumns } from './traceColumns';

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

interface Cached<T> {
  size: number;
  mtimeMs: number;
  value: T;
}

export class TraceCache {
  private traces = new Map<string, Cached<LoadedTrace>>();
  /** reads under way: a second caller for the same file version waits for the same read */
  private reading = new Map<string, Cached<Promise<LoadedTrace>>>();
  private loadCalibration = createCalibrationLoader();

  /** The trace's columns. `preview` (see readTraceColumns) gets the first steps of a trace that
   *  takes more than one chunk, while the rest is read; a caller that joins a read under way gets none. */
  async load(file: string, preview?: (partial: LoadedTrace, progress: ReadProgress) => void): Promise<LoadedTrace> {
    const st = await fs.promises.stat(file);
    const version = { size: st.size, mtimeMs: st.mtimeMs };
    const same = (c: { size: number; mtimeMs: number } | undefined) =>
      c !== undefined && c.size === version.size && c.mtimeMs === version.mtimeMs;
    const hit = this.traces.get(file);
    if (same(hit)) return hit!.value;
    const under = this.reading.get(file);
    if (same(under)) return under!.value;
    const read = readTraceColumns(file, preview && ((c, progress) => preview({ file, ...version, ...c }, progress)))
      .then((c): LoadedTrace => {
        const value: LoadedTrace = { file, ...version, ...c };
        this.traces.set(file, { ...version, value });
        return value;
      })
      .finally(() => {
        if (this.reading.get(file)?.value === read) this.reading.delete(file);
      });
    this.reading.set(file, { ...version, value: read });
    return read;
  }

  /** Record `i` of a loaded trace, read from its line in the file. Re-reads the trace once when the
   *  file changed under the offsets; null when the record is gone. */
  async stepRecord(trace: LoadedTrace, i: number): Promise<{ trace: LoadedTrace; record: TraceStep } | null> {
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
  async sceneRecord(trace: LoadedTrace, i: number): Promise<TraceStep | null> {
    const j = trace.lastScene ? trace.lastScene[i] : -1;
    if (j < 0 || i - j >= SCENE_LOOKBACK) return null;
    const r = await this.stepRecord(trace, j);
    return r?.record.scene ? r.record : null;
  }

  /** Records `indices` of a loaded trace (null for one that is gone), read through one file handle
   *  and, when they lie close together, one read: the replay panel asks for a batch of steps at
   *  a time, and a read per step cost a file open each (seconds per batch on a busy machine).
   *  A record that no longer matches its offsets falls back to stepRecord (which re-reads). */
  async stepRecords(
    trace: LoadedTrace,
    indices: readonly number[],
  ): Promise<{ trace: LoadedTrace; records: (TraceStep | null)[] }> {
    const t = trace;
    const valid = indices.filter((i) => Number.isInteger(i) && i >= 0 && i < t.steps);
    const lines = new Map<number, TraceStep | null>();
    if (valid.length) {
      const fh = await fs.promises.open(t.file, 'r');
      try {
        const lo = Math.min(...valid.map((i) => t.lineStart[i]));
        const hi = Math.max(...valid.map((i) => t.lineStart[i] + t.lineLength[i]));
        if (hi - lo <= BATCH_READ_MAX) {
          const buf = Buffer.alloc(hi - lo);
          const { bytesRead } = await fh.read(buf, 0, hi - lo, lo);
          for (const i of valid) {
            const from = t.lineStart[i] - lo,
              to = from + t.lineLength[i];
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
    const records: (TraceStep | null)[] = [];
    for (const i of indices) {
      const r = lines.get(i);
      if (r) {
        records.push(r);
        continue;
      }
      const again = await this.stepRecord(current, i);
      if (again) current = again.trace;
      records.push(again?.record ?? null);
    }
    return { trace: current, records };
  }

  forget(file: string): void {
    this.traces.delete(file);
    this.reading.delete(file);
  }

  clear(): void {
    this.traces.clear();
    this.reading.clear();
    this.loadCalibration = createCalibrationLoader();
  }

  /** Flags of a trace under the settings: core's flagRecordedTrace, the rule every view follows. */
  flags(trace: LoadedTrace, settings: FlagSettings): TraceFlags {
    return flagRecordedTrace(
      {
        header: trace.header,
        steps: trace.steps,
        stepNumbers: trace.stepNumbers,
        increments: trace.increments,
        thresholds: trace.thresholds,
        statistics: trace.statistics,
        recordedFlaggedStep: trace.flaggedRecord,
        prediction: trace.end?.prediction ?? null,
      },
      settings,
      this.loadCalibration,
    );
  }

  calibrationFor(trace: LoadedTrace): CalibrationFile | null {
    const f = trace.header?.calibration?.file;
    if (!f) return null;
    const load = this.loadCalibration(f);
    return load.ok ? load.calibration : null;
  }
}

/** The step number of record `i`. */
export function stepAt(trace: LoadedTrace, i: number): number {
  return trace.stepNumbers ? trace.stepNumbers[i] : i;
}

/** The record index of step `n`, or -1 (binary search: steps strictly increase). */
export function recordOfStep(trace: LoadedTrace, n: number): number {
  if (!trace.stepNumbers) return Number.isInteger(n) && n >= 0 && n < trace.steps ? n : -1;
  const a = trace.stepNumbers;
  let lo = 0;
  let hi = trace.steps - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] === n) return mid;
    if (a[mid] < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Record `i`'s line, parsed; null when the file no longer holds that step there. */
async function readStepLine(t: LoadedTrace, i: number): Promise<TraceStep | null> {
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
function parseStepLine(t: LoadedTrace, i: number, buf: Buffer): TraceStep | null {
  const parsed = parseTraceLine(buf.toString('utf8'));
  if (!parsed.ok || parsed.record.type !== 'step' || parsed.record.step !== stepAt(t, i)) return null;
  return parsed.record;
}
