// The chart's tick labels written without Intl (webview/tickText.ts) are chart.js's own, character for
// character: fixedText against Intl.NumberFormat('en-US') for any finite number and 0-20 places, and
// tickText against chart.js's Ticks.formatters.numeric (locale en-US) on tick sets like the ones
// chart.js makes and on arbitrary ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Ticks } from 'chart.js';
import { fixedText, grouped, tickText } from '../../webview/tickText';

const intl = (x: number, d: number) =>
  new Intl.NumberFormat('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }).format(x);

/** chart.js's formatter as the chart calls it: `this` is the scale (its chart's locale, its ticks' options). */
const chartJs = (value: number, ticks: { value: number }[]) =>
  (Ticks.formatters.numeric as (this: unknown, v: number, i: number, t: { value: number }[]) => string).call(
    { chart: { options: { locale: 'en-US' } }, options: { ticks: {} } },
    value,
    0,
    ticks,
  );

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
/** decimals with few digits, where rounding ties and carries happen (1.005, 999.95, -0.25) */
const decimal = fc
  .tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 12 }))
  .map(([k, m]) => k / 10 ** m);

test('fixedText writes a number as Intl en-US does, for 0-20 places', () => {
  fc.assert(
    fc.property(fc.oneof(finite, decimal), fc.integer({ min: 0, max: 20 }), (x, d) => {
      assert.equal(fixedText(x, d), intl(x, d), `${x} to ${d} places`);
    }),
    { numRuns: 20_000 },
  );
  for (const [x, d] of [
    [1.005, 2],
    [999.95, 1],
    [-0.04, 1],
    [-0, 0],
    [0, 3],
    [2.5, 0],
    [-2.5, 0],
    [1e21, 0],
    [1.5e-7, 8],
    [5e-324, 20],
    [Number.MAX_VALUE, 0],
    [-1000, 0],
    [0.5, 0],
    [0.05, 1],
    [0.0004, 3],
  ] as const)
    assert.equal(fixedText(x, d), intl(x, d), `${x} to ${d} places`);
});

test('grouped puts a comma between groups of three digits', () => {
  assert.deepEqual(['0', '12', '123', '1234', '123456', '1234567'].map(grouped), [
    '0',
    '12',
    '123',
    '1,234',
    '123,456',
    '1,234,567',
  ]);
});

test("tickText is chart.js's label for a linear axis's ticks, or null where chart.js writes scientific notation", () => {
  // ticks as chart.js's linear scale makes them: a nice spacing (1, 2, 2.5 or 5 times a power of ten)
  // from a multiple of it, each value rounded to the spacing's decimals
  const niceTicks = fc
    .tuple(
      fc.constantFrom(1, 2, 2.5, 5),
      fc.integer({ min: -8, max: 17 }),
      fc.integer({ min: -1000, max: 1000 }),
      fc.integer({ min: 2, max: 11 }),
    )
    .map(([m, e, k, n]) => {
      const spacing = m * 10 ** e;
      const factor = 10 ** Math.max(0, -e + 1);
      return Array.from({ length: n }, (_, j) => ({ value: Math.round((k + j) * spacing * factor) / factor }));
    });
  const anyTicks = fc
    .array(fc.oneof(finite, decimal), { minLength: 1, maxLength: 12 })
    .map((vs) => vs.sort((a, b) => a - b).map((value) => ({ value })));
  fc.assert(
    fc.property(fc.oneof(niceTicks, anyTicks), (ticks) => {
      for (const t of ticks) {
        const ours = tickText(t.value, ticks);
        const theirs = chartJs(t.value, ticks);
        if (ours === null) {
          const max = Math.max(Math.abs(ticks[0].value), Math.abs(ticks[ticks.length - 1].value));
          assert.ok(ticks.length > 1 && (max < 1e-4 || max > 1e15), `null for ${t.value} in ${JSON.stringify(ticks)}`);
          assert.match(theirs, /E/, 'chart.js writes these in scientific notation');
        } else assert.equal(ours, theirs, `${t.value} in ${JSON.stringify(ticks)}`);
      }
    }),
    { numRuns: 5_000 },
  );
  // a single tick, and ticks whose spacing is zero
  assert.equal(tickText(1234.5, [{ value: 1234.5 }]), chartJs(1234.5, [{ value: 1234.5 }]));
  const flat = [{ value: 3 }, { value: 3 }];
  assert.equal(tickText(3, flat), chartJs(3, flat));
});
