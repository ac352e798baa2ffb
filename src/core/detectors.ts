// The monitor: turns increments u_t into the running objective S_t, the detector's native statistic
// and the running-objective level `threshold` (alarm iff S_t < threshold). One small class per
// detector kind so that each push site stays monomorphic; no allocation per step.
//
// The native statistic decides the alarm (the calibration's guarantee is about it), then the
// threshold is made to agree exactly: in the rare case where rounding makes `S < threshold`
// disagree with the native test, the threshold moves by one ulp (consistentThreshold).
// Ties never alarm: envelope/window alarm when z < h, CUSUM when C > h (strict), fixed when S < threshold.
//
// Model arrays are indexed by step t. Past their end (the longest fitted calibration episode) the
// detector extrapolates (calibrationTypes.ts StepModel): envelope's mean keeps its drift and its
// variance its growth per step; window and CUSUM use the tail of training's distribution. A model
// without those fields (an older file) reuses its last entry.
// Callers pass finite increments (the engine validates them); a NaN would never alarm.

import type { CalibrationFile, DetectorCalibration } from './calibrationTypes';
import type { DetectorConfig, DetectorKind } from './detectorConfig';

export interface Monitor {
  readonly kind: DetectorKind;
  /** index of the last pushed step; -1 before the first push (read only) */
  step: number;
  /** S_t, the running objective (read only) */
  score: number;
  /** the native statistic: z (envelope, window), C (cusum), S_t (fixed) (read only) */
  statistic: number;
  /** alarm iff score < threshold (read only) */
  threshold: number;
  /** the first alarming step, -1 until then (read only) */
  flaggedStep: number;
  /** adds u_t; true when this step alarms (every alarming step, not only the first) */
  push(u: number): boolean;
  /** push() for incs[from], ..., incs[to - 1] in order, with the state in locals (see the file's
   *  header); when `out` is given, step i's score, statistic and threshold go to out's index i.
   *  Returns the first alarming index in [from, to), or -1. */
  scan(incs: ArrayLike<number>, from: number, to: number, out: MonitorColumns | null): number;
  reset(): void;
}

/** Per-step output of scan(), index-aligned with the increments. */
export interface MonitorColumns {
  scores: Float64Array;
  statistics: Float64Array;
  thresholds: Float64Array;
}

/** Columns for scan() of n steps. */
export function scratchColumns(n: number): MonitorColumns {
  return { scores: new Float64Array(n), statistics: new Float64Array(n), thresholds: new Float64Array(n) };
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The smallest double greater than x (finite x). */
export function nextUp(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  bits[0] = x;
  const lo = LITTLE ? 0 : 1;
  const hi = 1 - lo;
  if (x > 0) {
    if (words[lo] === 0xffffffff) {
      words[lo] = 0;
      words[hi]++;
    } else words[lo]++;
  } else {
    if (words[lo] === 0) {
      words[lo] = 0xffffffff;
      words[hi]--;
    } else words[lo]--;
  }
  return bits[0];
}

/** A threshold that agrees exactly with the native alarm decision. */
export function consistentThreshold(alarm: boolean, score: number, threshold: number): number {
  if (alarm) return score < threshold ? threshold : nextUp(score);
  return score < threshold ? score : threshold;
}

/**
 * A plain array that V8 keeps as unboxed doubles (PACKED_DOUBLE_ELEMENTS) whatever the values: it starts
 * from a double literal, so whole-number values (a model's sd of 1, a ring of zeros) never make it an
 * array of small integers. The scans read the model and the window's ring through these rather than
 * through Float64Arrays: an element read in a loop costs fewer instructions (window's scan 77 -> 68 a
 * step, counted with cachegrind; docs/performance.md), and every monitor's arrays share one elements kind,
 * so a scan's call site stays monomorphic.
 */
export function doubleArray(n: number, at: (i: number) => number): number[] {
  const a = [0.5];
  a.pop();
  for (let i = 0; i < n; i++) a.push(at(i));
  return a;
}

function toArray(xs: number[], what: string): number[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`calibration model ${what} is empty; run calibrate again`);
  const a = doubleArray(xs.length, (i) => +xs[i]);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]))
      throw new Error(`calibration model ${what}[${i}] is not a finite number; run calibrate again`);
  }
  return a;
}

function optionalNumber(x: unknown, what: string, ok: (v: number) => boolean, expected: string): number | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x))
    throw new Error(`calibration model ${what} must be ${expected}; run calibrate again`);
  return x;
}

class ModelArrays {
  readonly mean: number[];
  readonly sd: number[];
  readonly last: number;
  /** past the last step: envelope's drift and variance growth per step, window/CUSUM's tail */
  readonly drift: number;
  readonly growth: number;
  readonly tailMean: number;
  readonly tailSd: number;
  constructor(cal: DetectorCalibration) {
    this.mean = toArray(cal.model.mean, `${cal.kind}.mean`);
    this.sd = toArray(cal.model.sd, `${cal.kind}.sd`);
    if (this.mean.length !== this.sd.length)
      throw new Error(`calibration model ${cal.kind}: mean and sd differ in length`);
    for (let i = 0; i < this.sd.length; i++) {
      if (!(this.sd[i] > 0)) throw new Error(`calibration model ${cal.kind}.sd[${i}] must be > 0; run calibrate again`);
    }
    if (!Number.isFinite(cal.h))
      throw new Error(`calibration ${cal.kind}.h is not a finite number; run calibrate again`);
    this.last = this.mean.length - 1;
    const m = cal.model;
    this.drift = optionalNumber(m.drift, `${cal.kind}.drift`, () => true, 'a finite number') ?? 0;
    this.growth = optionalNumber(m.growth, `${cal.kind}.growth`, (v) => v >= 0, 'a finite number >= 0') ?? 0;
    this.tailMean =
      optionalNumber(m.tailMean, `${cal.kind}.tailMean`, () => true, 'a finite number') ?? this.mean[this.last];
    this.tailSd =
      optionalNumber(m.tailSd, `${cal.kind}.tailSd`, (v) => v > 0, 'a finite number > 0') ?? this.sd[this.last];
  }
}

export class EnvelopeMonitor implements Monitor {
  readonly kind = 'envelope' as const;
  step = -1;
  score = 0;
  statistic = 0;
  threshold = -Infinity;
  flaggedStep = -1;
  private readonly mean: number[];
  private readonly sd: number[];
  private readonly last: number;
  private readonly h: number;
  private readonly meanLast: number;
  private readonly sdLast: number;
  private readonly varLast: number;
  private readonly drift: number;
  private readonly growth: number;
  constructor(cal: DetectorCalibration) {
    const m = new ModelArrays(cal);
    this.mean = m.mean;
    this.sd = m.sd;
    this.last = m.last;
    this.h = cal.h;
    this.meanLast = m.mean[m.last];
    this.sdLast = m.sd[m.last];
    this.varLast = this.sdLast * this.sdLast;
    this.drift = m.drift;
    this.growth = m.growth;
  }
  // push() is scan()'s loop body on the fields, written out: a one-step scan (a loop of one, the state
  // loaded into locals and stored back) cost twice as much per step (8.5 ns against 4.4 here). The
  // property test in test/unit/detectors.test.ts holds push and scan equal bit for bit over any split.
  push(u: number): boolean {
    const t = ++this.step;
    const s = (this.score += u);
    let mean: number;
    let sd: number;
    if (t <= this.last) {
      mean = this.mean[t];
      sd = this.sd[t];
    } else {
      const d = t - this.last;
      mean = this.meanLast + this.drift * d;
      sd = this.growth > 0 ? Math.sqrt(this.varLast + this.growth * d) : this.sdLast;
    }
    const z = (this.statistic = (s - mean) / sd);
    const alarm = z < this.h;
    this.threshold = consistentThreshold(alarm, s, mean + this.h * sd);
    if (alarm && this.flaggedStep < 0) this.flaggedStep = t;
    return alarm;
  }
  scan(incs: ArrayLike<number>, from: number, to: number, out: MonitorColumns | null): number {
    const { mean: means, sd: sds, last, h, meanLast, sdLast, varLast, drift, growth } = this;
    let t = this.step;
    let s = this.score;
    let z = this.statistic;
    let threshold = this.threshold;
    let flagged = this.flaggedStep;
    let first = -1;
    let alarm = false;
    let level = 0;
    for (let i = from; i < to; i++) {
      t++;
      s += incs[i];
      let mean: number;
      let sd: number;
      if (t <= last) {
        mean = means[t];
        sd = sds[t];
      } else {
        // beyond training: S keeps its drift per step and its variance grows as it did
        const d = t - last;
        mean = meanLast + drift * d;
        sd = growth > 0 ? Math.sqrt(varLast + growth * d) : sdLast;
      }
      z = (s - mean) / sd;
      alarm = z < h;
      level = mean + h * sd;
      if (alarm) {
        if (flagged < 0) flagged = t;
        if (first < 0) first = i;
      }
      if (out !== null) {
        out.scores[i] = s;
        out.statistics[i] = z;
        out.thresholds[i] = consistentThreshold(alarm, s, level);
      }
    }
    // Without columns only the last step's threshold is kept: made once, not per step.
    if (to > from) threshold = consistentThreshold(alarm, s, level);
    this.step = t;
    this.score = s;
    this.statistic = z;
    this.threshold = threshold;
    this.flaggedStep = flagged;
    return first;
  }
  reset(): void {
    this.step = -1;
    this.score = 0;
    this.statistic = 0;
    this.threshold = -Infinity;
    this.flaggedStep = -1;
  }
}

/** W_t = S_t - S_{t-w} (S_{-1} = 0 and earlier), from a ring of past S values: no drift from add/subtract. */
export class WindowMonitor implements Monitor {
  readonly kind = 'window' as const;
  step = -1;
  score = 0;
  statistic = 0;
  threshold = -Infinity;
  flaggedStep = -1;
  /** W_t, the window sum (read only) */
  windowSum = 0;
  private readonly mean: number[];
  private readonly sd: number[];
  private readonly last: number;
  private readonly h: number;
  private readonly tailMean: number;
  private readonly tailSd: number;
  private readonly ring: number[];
  private readonly w: number;
  private slot = 0;
  constructor(cal: DetectorCalibration, window: number) {
    if (!Number.isInteger(window) || window < 1)
      throw new Error(`window detector: window must be a positive integer, got ${window}`);
    const m = new ModelArrays(cal);
    this.mean = m.mean;
    this.sd = m.sd;
    this.last = m.last;
    this.h = cal.h;
    this.tailMean = m.tailMean;
    this.tailSd = m.tailSd;
    this.w = window;
    this.ring = doubleArray(window, () => 0);
  }
  /** scan()'s loop body on the fields (see EnvelopeMonitor.push). */
  push(u: number): boolean {
    const t = ++this.step;
    const s = (this.score += u);
    const ring = this.ring;
    const slot = this.slot;
    const base = ring[slot];
    ring[slot] = s;
    this.slot = slot + 1 === this.w ? 0 : slot + 1;
    const win = (this.windowSum = s - base);
    const beyond = t > this.last;
    const mean = beyond ? this.tailMean : this.mean[t];
    const sd = beyond ? this.tailSd : this.sd[t];
    const z = (this.statistic = (win - mean) / sd);
    const alarm = z < this.h;
    this.threshold = consistentThreshold(alarm, s, base + mean + this.h * sd);
    if (alarm && this.flaggedStep < 0) this.flaggedStep = t;
    return alarm;
  }
  scan(incs: ArrayLike<number>, from: number, to: number, out: MonitorColumns | null): number {
    const { mean: means, sd: sds, last, h, tailMean, tailSd, ring, w } = this;
    let t = this.step;
    let s = this.score;
    let z = this.statistic;
    let threshold = this.threshold;
    let flagged = this.flaggedStep;
    let win = this.windowSum;
    let slot = this.slot;
    let first = -1;
    let alarm = false;
    let base = 0;
    for (let i = from; i < to; i++) {
      t++;
      s += incs[i];
      base = ring[slot]; // S_{t-w}; the ring starts at 0 = S before the episode
      ring[slot] = s;
      slot = slot + 1 === w ? 0 : slot + 1;
      win = s - base;
      let mean = tailMean; // beyond training: the window sums' distribution from the tail of training
      let sd = tailSd;
      if (t <= last) {
        mean = means[t];
        sd = sds[t];
      }
      z = (win - mean) / sd;
      alarm = z < h;
      if (alarm) {
        if (flagged < 0) flagged = t;
        if (first < 0) first = i;
      }
      if (out !== null) {
        out.scores[i] = s;
        out.statistics[i] = z;
        out.thresholds[i] = consistentThreshold(alarm, s, base + mean + h * sd);
      }
    }
    if (to > from) {
      // the last step's level, computed once here rather than every step
      const beyond = t > last;
      const level = base + (beyond ? tailMean : means[t]) + h * (beyond ? tailSd : sds[t]);
      threshold = consistentThreshold(alarm, s, level); // see EnvelopeMonitor.scan
    }
    this.step = t;
    this.score = s;
    this.statistic = z;
    this.threshold = threshold;
    this.flaggedStep = flagged;
    this.windowSum = win;
    this.slot = slot;
    return first;
  }
  reset(): void {
    this.step = -1;
    this.score = 0;
    this.statistic = 0;
    this.threshold = -Infinity;
    this.flaggedStep = -1;
    this.windowSum = 0;
    this.ring.fill(0);
    this.slot = 0;
  }
}

/** Page's CUSUM for a downward shift: C_t = max(0, C_{t-1} - z_t - k), z_t the standardized increment. */
export class CusumMonitor implements Monitor {
  readonly kind = 'cusum' as const;
  step = -1;
  score = 0;
  statistic = 0;
  threshold = -Infinity;
  flaggedStep = -1;
  private readonly mean: number[];
  private readonly sd: number[];
  private readonly last: number;
  private readonly h: number;
  private readonly k: number;
  private readonly tailMean: number;
  private readonly tailSd: number;
  constructor(cal: DetectorCalibration, k: number) {
    if (!Number.isFinite(k) || k < 0) throw new Error(`cusum detector: k must be a finite number >= 0, got ${k}`);
    const m = new ModelArrays(cal);
    this.mean = m.mean;
    this.sd = m.sd;
    this.last = m.last;
    this.h = cal.h;
    this.tailMean = m.tailMean;
    this.tailSd = m.tailSd;
    this.k = k;
  }
  /** scan()'s loop body on the fields (see EnvelopeMonitor.push). */
  push(u: number): boolean {
    const t = ++this.step;
    const prevS = this.score;
    const prevC = this.statistic;
    const s = (this.score = prevS + u);
    const beyond = t > this.last;
    const mu = beyond ? this.tailMean : this.mean[t];
    const sd = beyond ? this.tailSd : this.sd[t];
    const z = (u - mu) / sd;
    const x = prevC - z - this.k;
    const c = (this.statistic = x > 0 ? x : 0);
    const alarm = c > this.h;
    this.threshold = consistentThreshold(alarm, s, prevS + mu + sd * (prevC - this.k - this.h));
    if (alarm && this.flaggedStep < 0) this.flaggedStep = t;
    return alarm;
  }
  scan(incs: ArrayLike<number>, from: number, to: number, out: MonitorColumns | null): number {
    const { mean: means, sd: sds, last, h, k, tailMean, tailSd } = this;
    let t = this.step;
    let s = this.score;
    let c = this.statistic;
    let threshold = this.threshold;
    let flagged = this.flaggedStep;
    let first = -1;
    let alarm = false;
    let prevS = s;
    let prevC = c;
    for (let i = from; i < to; i++) {
      t++;
      const u = incs[i];
      prevS = s;
      prevC = c;
      s = prevS + u;
      let mu = tailMean; // beyond training: the increments' distribution from the tail of training
      let sd = tailSd;
      if (t <= last) {
        mu = means[t];
        sd = sds[t];
      }
      const z = (u - mu) / sd;
      const x = prevC - z - k;
      c = x > 0 ? x : 0;
      alarm = c > h;
      // C_t > h (h >= 0)  <=>  u_t < mu + sd (C_{t-1} - k - h)  <=>  S_t < S_{t-1} + mu + sd (C_{t-1} - k - h)
      if (alarm) {
        if (flagged < 0) flagged = t;
        if (first < 0) first = i;
      }
      if (out !== null) {
        out.scores[i] = s;
        out.statistics[i] = c;
        out.thresholds[i] = consistentThreshold(alarm, s, prevS + mu + sd * (prevC - k - h));
      }
    }
    if (to > from) {
      // the last step's level, made once here rather than every step (see EnvelopeMonitor.scan)
      const beyond = t > last;
      const mu = beyond ? tailMean : means[t];
      const sd = beyond ? tailSd : sds[t];
      threshold = consistentThreshold(alarm, s, prevS + mu + sd * (prevC - k - h));
    }
    this.step = t;
    this.score = s;
    this.statistic = c;
    this.threshold = threshold;
    this.flaggedStep = flagged;
    return first;
  }
  reset(): void {
    this.step = -1;
    this.score = 0;
    this.statistic = 0;
    this.threshold = -Infinity;
    this.flaggedStep = -1;
  }
}

export class FixedMonitor implements Monitor {
  readonly kind = 'fixed' as const;
  step = -1;
  score = 0;
  statistic = 0;
  flaggedStep = -1;
  threshold: number;
  constructor(private readonly level: number) {
    if (Number.isNaN(level)) throw new Error('fixed detector: threshold must be a number');
    this.threshold = level;
  }
  /** scan()'s loop body on the fields (see EnvelopeMonitor.push). */
  push(u: number): boolean {
    const t = ++this.step;
    const s = (this.score += u);
    this.statistic = s;
    const alarm = s < this.level;
    if (alarm && this.flaggedStep < 0) this.flaggedStep = t;
    return alarm;
  }
  scan(incs: ArrayLike<number>, from: number, to: number, out: MonitorColumns | null): number {
    const level = this.level;
    let t = this.step;
    let s = this.score;
    let flagged = this.flaggedStep;
    let first = -1;
    for (let i = from; i < to; i++) {
      t++;
      s += incs[i];
      if (s < level) {
        if (flagged < 0) flagged = t;
        if (first < 0) first = i;
      }
      if (out !== null) {
        out.scores[i] = s;
        out.statistics[i] = s;
        out.thresholds[i] = level;
      }
    }
    this.step = t;
    this.score = s;
    this.statistic = s;
    this.flaggedStep = flagged;
    return first;
  }
  reset(): void {
    this.step = -1;
    this.score = 0;
    this.statistic = 0;
    this.flaggedStep = -1;
  }
}

/** A monitor for the detector; calibrated kinds read their fitted model and h from the calibration. */
export function createMonitor(config: DetectorConfig, calibration: CalibrationFile | null): Monitor {
  if (config.kind === 'fixed') return new FixedMonitor(config.threshold);
  if (calibration === null) {
    throw new Error(`the ${config.kind} detector needs a calibration; run calibrate first or use a fixed threshold`);
  }
  const cal = calibration.detectors?.[config.kind];
  if (!cal) throw new Error(`the calibration file has no model for the ${config.kind} detector; run calibrate again`);
  switch (config.kind) {
    case 'envelope':
      return new EnvelopeMonitor(cal);
    case 'window': {
      const fitted = cal.params.window;
      if (fitted !== undefined && fitted !== config.window) {
        throw new Error(
          `the calibration was fitted for window ${fitted}, not ${config.window}; run calibrate again with window ${config.window}`,
        );
      }
      return new WindowMonitor(cal, config.window);
    }
    case 'cusum': {
      const fitted = cal.params.k;
      if (fitted !== undefined && fitted !== config.k) {
        throw new Error(
          `the calibration was fitted for cusum k ${fitted}, not ${config.k}; run calibrate again with k ${config.k}`,
        );
      }
      return new CusumMonitor(cal, config.k);
    }
  }
}
