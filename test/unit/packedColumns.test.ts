// A load's columns packed for the trip to the webview (src/shared/packedColumns.ts): unpacking gives
// back the host's columns bit for bit (-0, NaN and -Infinity kept) whatever they hold, an engine-like
// trace under a fixed threshold packs to its increments alone, and the packed load passes the
// webview's guard while a broken packed column does not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { packColumns, unpackColumns } from '../../src/shared/packedColumns';
import { isPackedColumns, parseHostMessage, type StepColumns } from '../../src/shared/webviewProtocol';

const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** A trace's columns as the engine writes them: S_t = 0 + u_0 + ... + u_t summed left to right. */
function engineColumns(u: number[], threshold: (s: number, i: number) => number, statistic: 'score' | 'other') {
  const increments = Float64Array.from(u);
  const scores = new Float64Array(u.length);
  let s = 0;
  for (let i = 0; i < u.length; i++) scores[i] = s += u[i];
  return {
    from: 0,
    increments,
    scores,
    thresholds: Float64Array.from(scores, threshold),
    statistics: statistic === 'score' ? scores.slice() : Float64Array.from(scores, (x) => x / 3),
  };
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const anyNumber = fc.oneof(finite, fc.constantFrom(NaN, -Infinity, Infinity, -0, 0));

test('unpack(pack(columns)) is the columns, bit for bit', () => {
  fc.assert(
    fc.property(
      fc.array(finite, { minLength: 0, maxLength: 60 }),
      fc.array(anyNumber, { minLength: 60, maxLength: 60 }),
      fc.constantFrom('column', 'constant', 'score'),
      fc.boolean(),
      (u, other, kind, engine) => {
        const c: StepColumns = engine
          ? engineColumns(u, () => -50, 'score')
          : {
              from: 0,
              increments: Float64Array.from(u),
              scores: Float64Array.from(u, (x, i) => x * 2 + i),
              thresholds: Float64Array.from(u, (_, i) => other[i]),
              statistics: Float64Array.from(u, (_, i) => other[59 - i]),
            };
        if (kind === 'constant') c.thresholds.fill(other[0]);
        if (kind === 'score') c.statistics = c.scores.slice();
        const back = unpackColumns(packColumns(c));
        assert.ok(back);
        for (const k of ['increments', 'scores', 'thresholds', 'statistics'] as const)
          assert.ok(sameBits(back[k], c[k]), `${k}: ${back[k].join(',')} vs ${c[k].join(',')}`);
      },
    ),
  );
});

test('an engine trace under a fixed threshold travels as its increments (8 bytes a step, not 32)', () => {
  const u = Array.from({ length: 10_000 }, (_, i) => Math.round(Math.sin(i / 50) * 1000) / 1000 + (i % 7 ? 0.1 : -0.3));
  const p = packColumns(engineColumns(u, () => -50, 'score'));
  assert.deepEqual(p.scores, { runningSum: true });
  assert.deepEqual(p.statistics, { sameAs: 'scores' });
  assert.ok(!ArrayBuffer.isView(p.thresholds) && 'repeat' in p.thresholds && p.thresholds.repeat[0] === -50);
  assert.ok(isPackedColumns(p));
  // the envelope detector: thresholds and statistics change per step, and go whole
  const env = packColumns(engineColumns(u, (s, i) => i * 0.5 - 3, 'other'));
  assert.deepEqual(env.scores, { runningSum: true });
  assert.ok(ArrayBuffer.isView(env.thresholds) && ArrayBuffer.isView(env.statistics));
  // a score that is not the running sum at one step keeps the scores whole
  const c = engineColumns(u, () => -50, 'score');
  c.scores[5000] += 1e-9;
  assert.ok(ArrayBuffer.isView(packColumns(c).scores));
});

test('the webview refuses a broken packed load', () => {
  const c = engineColumns([1, 2, 3, -4], () => -50, 'score');
  const meta = {
    runId: 'r1',
    episodeId: 'e1',
    scenario: 'bench',
    agent: 'a',
    environment: 'env.ts',
    seed: 1,
    distribution: 'deployment',
    maxSteps: 4,
    recording: 'scores',
    protocol: 'flag-only',
    detector: { kind: 'fixed', threshold: -50 },
    calibration: null,
    startedAt: '2025-01-01',
    hasScene: false,
  };
  const load = (steps: unknown) => ({
    method: 'replay/load',
    params: { meta, steps, flaggedStep: null, end: null, band: null },
  });
  const good = packColumns(c);
  assert.ok(parseHostMessage(load(good)));
  assert.equal(parseHostMessage(load({ ...good, thresholds: { repeat: new Float64Array(2) } })), undefined);
  assert.equal(parseHostMessage(load({ ...good, statistics: { sameAs: 'increments' } })), undefined);
  assert.equal(parseHostMessage(load({ ...good, scores: { runningSum: 'yes' } })), undefined);
  assert.equal(parseHostMessage(load({ ...good, increments: Float64Array.of(1, NaN, 2, 3) })), undefined);
  assert.equal(parseHostMessage(load({ ...good, thresholds: new Float64Array(3) })), undefined, 'short column');
  // a running sum that overflows is refused when unpacked
  assert.equal(unpackColumns({ ...good, increments: Float64Array.of(1e308, 1e308) }), null);
});
