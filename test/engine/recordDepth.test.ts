// The nesting limit of runner records (src/engine/recordValidate.ts): a record with few brackets skips
// the char-by-char depth scan, so the verdict must still be exactly "deeper than MAX_DEPTH levels"
// around the limit, with brackets inside strings (which do not nest) and with many shallow brackets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkRecordLine, MAX_DEPTH } from '../../src/engine/recordValidate';

/** Nesting depth of a parsed JSON value (the record object itself is level 1). */
function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const kids = Array.isArray(v) ? v : Object.values(v as object);
  return 1 + kids.reduce((m: number, k) => Math.max(m, depth(k)), 0);
}

/** A value nested `levels` deep, alternating arrays and objects, with `wide` shallow siblings. */
const valueArb = fc
  .record({
    levels: fc.integer({ min: 0, max: MAX_DEPTH + 3 }),
    wide: fc.integer({ min: 0, max: 80 }),
    text: fc.string({ unit: fc.constantFrom('[', '{', ']', '}', '"', '\\', 'a') }),
  })
  .map(({ levels, wide, text }) => {
    let v: unknown = text;
    for (let i = 0; i < levels; i++) v = i % 2 ? { k: v } : [v];
    return { deep: v, shallow: Array.from({ length: wide }, () => [{}]) };
  });

test('the depth verdict is exact around the limit, with brackets in strings and many shallow ones', () => {
  fc.assert(
    fc.property(valueArb, (info) => {
      const line = JSON.stringify({
        t: 'step',
        step: 0,
        increment: 1,
        reward: 1,
        terminated: false,
        truncated: false,
        info,
      });
      const r = checkRecordLine(line);
      const tooDeep = depth(JSON.parse(line)) > MAX_DEPTH;
      if (tooDeep) assert.ok(!r.ok && /nests deeper than 64/.test(r.message), line.slice(0, 200));
      else assert.ok(r.ok, `${line.slice(0, 200)}: ${r.ok ? '' : r.message}`);
    }),
    { numRuns: 400 },
  );
});
