// The engine writes a scores-only line's numbers itself (src/engine/numberBytes.ts) instead of calling
// String(): its bytes must be exactly String()'s text for every finite double, since the trace's
// readers and the tests that compare traces rely on the engine writing numbers one way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NUMBER_BYTES, putNumber } from '../../src/engine/numberBytes';

const buf = Buffer.alloc(2 * NUMBER_BYTES);

function text(x: number): string {
  buf.fill(0x7e);
  const end = putNumber(buf, 3, x);
  assert.ok(end - 3 <= NUMBER_BYTES, `${x}: ${end - 3} bytes`);
  assert.equal(buf[end], 0x7e, `${x}: wrote past the end it returned`);
  return buf.toString('latin1', 3, end);
}

function same(x: number): void {
  assert.equal(text(x), String(x));
}

/** the double `steps` ulps away from x (same sign, same binade or the next) */
function neighbour(x: number, steps: number): number {
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] += BigInt(steps);
  return f[0];
}

test('any finite double: the text String() writes', () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => same(x)),
    { numRuns: 200_000 },
  );
});

test('scores as they come: running sums, short decimals, whole numbers, the magnitudes the fast path takes', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { maxLength: 200 }), (xs) => {
      let s = 0;
      for (const u of xs) {
        same(u);
        same((s += u));
      }
    }),
    { numRuns: 2_000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 15 }), (m, k) => same(m / 10 ** k)),
    { numRuns: 50_000 },
  );
  fc.assert(
    fc.property(fc.double({ min: 1e-7, max: 2e15, noNaN: true }), fc.boolean(), (x, neg) => same(neg ? -x : x)),
    { numRuns: 200_000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 17 }), fc.double({ min: 1e-7, max: 2e15, noNaN: true }), (p, x) =>
      same(Number(x.toPrecision(p))),
    ),
    { numRuns: 100_000 },
  );
});

test('edges: zeros, powers of ten and of two and their neighbours, the ends of the fast range, 2^53', () => {
  for (const x of [0, -0, 1, -1, 0.1, 0.2, 0.30000000000000004, 1e-6, 1e-7, 1e15, 1e21, 1e22, 2 ** 53, 2 ** 53 + 2])
    same(x);
  same(Number.MAX_VALUE);
  same(Number.MIN_VALUE);
  same(Number.EPSILON);
  for (let e = -30; e <= 30; e++) {
    const p = Number(`1e${e}`);
    for (let d = -40; d <= 40; d++) {
      same(neighbour(p, d));
      same(-neighbour(p, d));
    }
  }
  for (let e = -60; e <= 70; e++) {
    for (let d = -3; d <= 3; d++) {
      same(neighbour(2 ** e, d));
      same(neighbour(3 * 2 ** e, d));
    }
  }
  for (const edge of [1e-6, 1e15, 2 ** 52, 2 ** 53]) for (let d = -100; d <= 100; d++) same(neighbour(edge, d));
});
