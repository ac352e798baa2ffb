// Decimation before chart.js: per pixel column the drawn points keep the exact extremes, the
// flagged step's own value, and gaps; a million steps decimate in milliseconds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decimateEnvelope, decimateMinMax, extentOf, niceRange } from '../../webview/decimate';

function walk(n: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = 0,
    x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    s += (x / 2 ** 32 - 0.5) * 2;
    a[i] = s;
  }
  return a;
}

test('min/max per column keeps the exact global min and max, in step order', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20_000 }),
      fc.integer({ min: 1, max: 900 }),
      fc.integer(),
      (n, buckets, seed) => {
        const v = walk(n, seed);
        const pts = decimateMinMax(v, 0, n - 1, buckets);
        let min = Infinity,
          max = -Infinity;
        for (const x of v) {
          min = Math.min(min, x);
          max = Math.max(max, x);
        }
        const ext = extentOf([pts])!;
        assert.equal(ext.min, min);
        assert.equal(ext.max, max);
        for (let i = 1; i < pts.length; i++) assert.ok(pts[i].x > pts[i - 1].x, 'strictly increasing steps');
        for (const p of pts) assert.equal(p.y, v[p.x], 'every point is a real sample');
        assert.equal(pts[0].x, 0);
        assert.equal(pts[pts.length - 1].x, n - 1);
        assert.ok(pts.length <= Math.max(n, 0) && pts.length <= Math.max(4 * buckets, n <= 4 * buckets ? n : 0) + 1);
      },
    ),
    { numRuns: 200 },
  );
});

test('the flagged step is kept with its exact value even when it is no extreme of its column', () => {
  const n = 1_000_000;
  const v = walk(n, 7);
  const flag = 612_345;
  v[flag] = (v[flag - 1] + v[flag + 1]) / 2; // a dull value: neither min nor max of its column
  const pts = decimateMinMax(v, 0, n - 1, 800, [flag]);
  const p = pts.find((q) => q.x === flag);
  assert.ok(p, 'flagged step present');
  assert.equal(p!.y, v[flag]);
  assert.ok(pts.length <= 4 * 800 + 1);
});

test('a spike of one step in a million survives decimation (TensorBoard-style sampling loses it)', () => {
  const n = 1_000_000;
  const v = new Float64Array(n).fill(1);
  v[777_777] = -500;
  const pts = decimateMinMax(v, 0, n - 1, 640);
  assert.equal(extentOf([pts])!.min, -500);
  assert.ok(pts.some((p) => p.x === 777_777));
});

test('a sub-range (zoom) decimates only that range', () => {
  const v = walk(50_000, 3);
  const pts = decimateMinMax(v, 10_000, 19_999, 100);
  assert.equal(pts[0].x, 10_000);
  assert.equal(pts[pts.length - 1].x, 19_999);
  assert.ok(pts.every((p) => p.x >= 10_000 && p.x <= 19_999));
  let min = Infinity;
  for (let i = 10_000; i < 20_000; i++) min = Math.min(min, v[i]);
  assert.equal(extentOf([pts])!.min, min);
});

test('few points are passed through unchanged', () => {
  const v = Float64Array.from([3, 1, 4, 1, 5]);
  assert.deepEqual(
    decimateMinMax(v, 0, 4, 800).map((p) => p.y),
    [3, 1, 4, 1, 5],
  );
  assert.deepEqual(decimateMinMax(v, 3, 2, 800), []);
});

test('non-finite thresholds become gaps (NaN points), never extremes', () => {
  const n = 100_000;
  const v = walk(n, 5);
  for (let i = 0; i < 1000; i++) v[i] = NaN;
  v[50_000] = -Infinity;
  const pts = decimateMinMax(v, 0, n - 1, 200);
  assert.ok(Number.isNaN(pts[0].y), 'the leading gap starts with a NaN point');
  assert.ok(pts.some((p) => p.x === 50_000 && Number.isNaN(p.y)));
  const ext = extentOf([pts])!;
  assert.ok(Number.isFinite(ext.min) && Number.isFinite(ext.max));
});

test('the band envelope takes the min of p05 and the max of p95 per column', () => {
  const lo = Float64Array.from({ length: 10_000 }, (_, i) => -i);
  const hi = Float64Array.from({ length: 10_000 }, (_, i) => i);
  const a = decimateEnvelope(lo, 0, 9_999, 100, 'min');
  const b = decimateEnvelope(hi, 0, 9_999, 100, 'max');
  assert.equal(a.length, 100);
  assert.equal(a[a.length - 1].x, 9_999);
  assert.equal(extentOf([a])!.min, -9_999);
  assert.equal(extentOf([b])!.max, 9_999);
  assert.deepEqual(decimateEnvelope(lo, 20_000, 30_000, 100, 'min'), [], 'a band shorter than the range ends early');
});

test('nice ranges contain the data and end on round values', () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      (a, d) => {
        const r = niceRange(a, a + d);
        assert.ok(r.min <= a && r.max >= a + d && r.max > r.min);
      },
    ),
  );
  assert.deepEqual(niceRange(-85.6, 666.09), { min: -200, max: 800 });
  const tiny = niceRange(1e6, 1e6 + 1e-10);
  assert.ok(tiny.min <= 1e6 && tiny.max >= 1e6 + 1e-10 && tiny.max > tiny.min);
});
