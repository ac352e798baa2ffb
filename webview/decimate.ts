// Decimation before chart.js: chart.js only ever sees a few points per pixel column, built
// straight from the typed arrays. Per column we keep the first, min, max and last sample (in step
// order), so the drawn line covers exactly the same vertical extent as the raw data: the global
// min/max and every spike survive (TensorBoard-style sampling can drop the flagged step).

export interface XY {
  x: number;
  y: number;
}

/** Points of values[from..to] (inclusive) for `buckets` pixel columns. Non-finite values are gaps:
 *  a NaN point is emitted where one starts, so the line breaks there. `keep` indices inside the
 *  range are always present with their exact value (the flagged step). */
export function decimateMinMax(
  values: ArrayLike<number>,
  from: number,
  to: number,
  buckets: number,
  keep: readonly number[] = [],
): XY[] {
  const out: XY[] = [];
  if (to < from || buckets < 1) return out;
  const span = to - from + 1;
  if (span <= buckets * 4) {
    for (let i = from; i <= to; i++) {
      const v = values[i];
      out.push({ x: i, y: Number.isFinite(v) ? v : NaN });
    }
    return out;
  }
  const idx: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const lo = from + Math.floor((b * span) / buckets);
    const hi = from + Math.floor(((b + 1) * span) / buckets) - 1;
    let first = -1,
      last = -1,
      minI = -1,
      maxI = -1,
      gap = -1;
    let min = Infinity,
      max = -Infinity;
    for (let i = lo; i <= hi; i++) {
      const v = values[i];
      if (v === v && v !== Infinity && v !== -Infinity) {
        if (first < 0) first = i;
        last = i;
        if (v < min) {
          min = v;
          minI = i;
        }
        if (v > max) {
          max = v;
          maxI = i;
        }
      } else if (gap < 0) gap = i;
    }
    idx.length = 0;
    if (first >= 0) idx.push(first, minI, maxI, last);
    if (gap >= 0) idx.push(gap);
    idx.sort((a, c) => a - c);
    let prev = -1;
    for (const i of idx) {
      if (i === prev) continue;
      prev = i;
      out.push({ x: i, y: i === gap ? NaN : values[i] });
    }
  }
  for (const k of keep) insertKept(out, values, k, from, to);
  return out;
}

function insertKept(out: XY[], values: ArrayLike<number>, k: number, from: number, to: number): void {
  if (!Number.isInteger(k) || k < from || k > to) return;
  let lo = 0,
    hi = out.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (out[mid].x < k) lo = mid + 1;
    else hi = mid;
  }
  if (lo < out.length && out[lo].x === k) return;
  const v = values[k];
  out.splice(lo, 0, { x: k, y: Number.isFinite(v) ? v : NaN });
}

/** One point per column holding the column's min ('min') or max ('max'): the outer edge of a
 *  band, so the shaded area never looks narrower than the data. Non-finite values are skipped. */
export function decimateEnvelope(
  values: ArrayLike<number>,
  from: number,
  to: number,
  buckets: number,
  side: 'min' | 'max',
): XY[] {
  const out: XY[] = [];
  to = Math.min(to, values.length - 1);
  if (to < from || buckets < 1) return out;
  const span = to - from + 1;
  const n = Math.min(buckets, span);
  for (let b = 0; b < n; b++) {
    const lo = from + Math.floor((b * span) / n);
    const hi = from + Math.floor(((b + 1) * span) / n) - 1;
    let best = side === 'min' ? Infinity : -Infinity;
    for (let i = lo; i <= hi; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (side === 'min' ? v < best : v > best) best = v;
    }
    out.push({ x: b === n - 1 ? hi : lo, y: Number.isFinite(best) ? best : NaN });
  }
  return out;
}

/** Finite y extent of several point lists, or null when none has a finite value. */
export function extentOf(series: readonly XY[][]): { min: number; max: number } | null {
  let min = Infinity,
    max = -Infinity;
  for (const s of series)
    for (const p of s) {
      if (p.y < min) min = p.y;
      if (p.y > max) max = p.y;
    }
  return Number.isFinite(min) && Number.isFinite(max) ? { min, max } : null;
}

/** Round an extent out to "nice" tick values (1, 2, 2.5, 5 x 10^k) so a fixed scale's end labels
 *  read well (chart.js labels an explicit min/max as it is). */
export function niceRange(min: number, max: number, ticks = 6): { min: number; max: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { min: -1, max: 1 };
  // a span below the numbers' own precision cannot be ticked: widen it around the value
  if (max - min <= Math.max(Math.abs(min), Math.abs(max), 1e-100) * 1e-9) {
    const d = Math.max(Math.abs(max) * 0.1, 1);
    min -= d;
    max += d;
  }
  const raw = (max - min) / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  let lo = Math.floor(min / step) * step,
    hi = Math.ceil(max / step) * step;
  // floating point (denormals, huge magnitudes) can round a bound past the data
  if (lo > min) lo -= step;
  if (hi < max) hi += step;
  return { min: lo, max: hi };
}
