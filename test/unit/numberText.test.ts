// One number rule for every message, report, hover, notification and the panel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { numberText } from '../../src/core/numberText';
import { formatNumber } from '../../webview/format';

test('significant digits, trailing zeros dropped, integers as they are, exponents only far out', () => {
  assert.equal(numberText(-3.14159265), '-3.142');
  assert.equal(numberText(-3.14159265, 6), '-3.14159');
  assert.equal(numberText(0.0392156, 3), '0.0392');
  assert.equal(numberText(2.5), '2.5');
  assert.equal(numberText(12345), '12345');
  assert.equal(numberText(12345.678), '12350');
  assert.equal(numberText(-0), '0');
  assert.equal(numberText(2500000), '2.5e+6');
  assert.equal(numberText(0.00012346), '1.235e-4');
  assert.equal(numberText(-Infinity), '-Infinity');
  assert.equal(numberText(NaN), 'NaN');
  // the panel keeps its own signs for what is not finite, and the same text for the rest
  assert.equal(formatNumber(-Infinity), '−∞');
  assert.equal(formatNumber(NaN), '—');
  assert.equal(formatNumber(-3.14159265), '-3.142');
});

// (below 1e300: at the largest doubles, rounding up the last digit reads back as Infinity)
test('property: the text reads back within the digits asked for', () => {
  fc.assert(
    fc.property(fc.double({ min: -1e300, max: 1e300, noNaN: true }), fc.integer({ min: 2, max: 8 }), (x, d) => {
      const back = Number(numberText(x, d));
      if (x === 0) return back === 0;
      return Math.abs(back - x) <= Math.abs(x) * 10 ** (1 - d);
    }),
  );
});
