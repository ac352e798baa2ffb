// The episode's step columns in the webview: growable typed arrays (capacity doubles), so a live
// episode appends without copying per message and the chart decimates straight from them.

import type { StepColumns } from '../src/shared/webviewProtocol';

export class StepSeries {
  length = 0;
  increments = new Float64Array(0);
  scores = new Float64Array(0);
  thresholds = new Float64Array(0);
  statistics = new Float64Array(0);

  load(c: StepColumns): void {
    this.length = 0;
    this.increments = new Float64Array(0);
    this.scores = new Float64Array(0);
    this.thresholds = new Float64Array(0);
    this.statistics = new Float64Array(0);
    this.append(c);
  }

  /** Appends steps `c.from ..`. Steps already held are skipped (a repeated batch); a gap (from
   *  beyond the end) is refused, returning false, so the chart never joins across missing steps. */
  append(c: StepColumns): boolean {
    if (c.from > this.length) return false;
    const skip = this.length - c.from;
    const add = c.scores.length - skip;
    if (add <= 0) return true;
    this.reserve(this.length + add);
    this.increments.set(c.increments.subarray(skip), this.length);
    this.scores.set(c.scores.subarray(skip), this.length);
    this.thresholds.set(c.thresholds.subarray(skip), this.length);
    this.statistics.set(c.statistics.subarray(skip), this.length);
    this.length += add;
    return true;
  }

  /** New thresholds/statistics from a re-flag; a shorter column (sent before the last appends)
   *  replaces only the steps it covers. */
  reflag(thresholds: Float64Array, statistics: Float64Array): void {
    const n = Math.min(thresholds.length, statistics.length, this.length);
    this.thresholds.set(thresholds.subarray(0, n), 0);
    this.statistics.set(statistics.subarray(0, n), 0);
  }

  private reserve(n: number): void {
    if (n <= this.scores.length) return;
    const cap = Math.max(n, Math.min(this.scores.length * 2 || 1024, n + 4_000_000), 1024);
    const grow = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.increments = grow(this.increments);
    this.scores = grow(this.scores);
    this.thresholds = grow(this.thresholds);
    this.statistics = grow(this.statistics);
  }
}
