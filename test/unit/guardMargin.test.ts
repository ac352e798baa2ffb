// The guard's arithmetic: monitor copies are independent, rollout choice, and the margin rule that
// keeps reactive + predictive alarms on held-out episodes within the split-conformal budget.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createMonitor } from '../../src/core/detectors';
import { chooseRollout, copyMonitor, evaluatePath, shouldLook, verifyPrediction } from '../../src/core/guard';
import { beyond, guardThreshold } from '../../src/core/guardCalibration';
import { DEFAULT_GUARD } from '../../src/core/guardTypes';
import type { CalibrationFile, DetectorCalibration } from '../../src/core/calibrationTypes';

function cal(): CalibrationFile {
  const d = (kind: DetectorCalibration['kind'], h: number): DetectorCalibration => ({
    kind,
    params: kind === 'window' ? { window: 3 } : kind === 'cusum' ? { k: 0.5 } : {},
    model: { mean: [1, 2, 3, 4], sd: [1, 1, 1, 1] },
    h,
    k: 1,
    n: 19,
    bound: 0.05,
    guaranteed: true,
  });
  return {
    detectors: { envelope: d('envelope', -2), window: d('window', -2), cusum: d('cusum', 3) },
  } as unknown as CalibrationFile;
}

test('copyMonitor: the copy continues like the original and never changes it (every detector)', () => {
  for (const config of [
    { kind: 'envelope' as const },
    { kind: 'window' as const, window: 3 },
    { kind: 'cusum' as const, k: 0.5 },
    { kind: 'fixed' as const, threshold: -3 },
  ]) {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { maxLength: 8 }),
        (past, future) => {
          const a = createMonitor(config, cal());
          for (const u of past) a.push(u);
          const snapshot = JSON.stringify(a);
          const c = copyMonitor(a);
          const b = createMonitor(config, cal());
          for (const u of past) b.push(u);
          for (const u of future) {
            c.push(u);
            b.push(u);
          }
          assert.equal(JSON.stringify(a), snapshot, 'the original changed');
          assert.equal(c.score, b.score);
          assert.equal(c.threshold, b.threshold);
          assert.equal(c.statistic, b.statistic);
        },
      ),
    );
  }
});

test('evaluatePath and verifyPrediction: the crossing is the first step more than the margin below the threshold', () => {
  const live = createMonitor({ kind: 'fixed', threshold: -10 }, null);
  live.push(2);
  const p = evaluatePath(live, [-5, -6, -3], 1);
  assert.deepEqual(p.scores, [-3, -9, -12]);
  assert.equal(p.crossing, 2, 'S=-12 < -10 - 1; S=-9 is not below -10');
  assert.equal(p.maxShortfall, 2);
  assert.equal(live.score, 2, 'the live monitor is untouched');
  assert.equal(verifyPrediction(live, { step: 1, increments: [-5, -6, -3], crossingStep: 3, fired: true }, 1).ok, true);
  const lie = verifyPrediction(live, { step: 1, increments: [-5, -6, -3], crossingStep: 2, fired: true }, 1);
  assert.equal(lie.ok, false);
  assert.equal(verifyPrediction(live, { step: 1, increments: [1], crossingStep: null, fired: true }, 1).ok, false);
});

test('chooseRollout: worst, or the quantile of the shortfalls', () => {
  assert.equal(chooseRollout([3, 9, 1], null), 1);
  assert.equal(chooseRollout([3, 9, 1, 5], 0.5), 0);
  assert.equal(chooseRollout([3, 9, 1, 5], 1), 1);
  assert.equal(chooseRollout([3, 9, 1, 5], 0.01), 2);
});

test('shouldLook: every k steps, and only below a margin level when asked', () => {
  const m = createMonitor({ kind: 'fixed', threshold: -10 }, null);
  m.push(5); // margin 15
  assert.equal(shouldLook({ ...DEFAULT_GUARD, every: 2 }, 3, m), false);
  assert.equal(shouldLook({ ...DEFAULT_GUARD, every: 2 }, 4, m), true);
  assert.equal(shouldLook({ ...DEFAULT_GUARD, below: 10 }, 4, m), false);
  assert.equal(shouldLook({ ...DEFAULT_GUARD, below: 20 }, 4, m), true);
});

test("guardThreshold: one score per episode (the more extreme of its own and its predictions' statistic), tau its k-th most extreme", () => {
  // cusum: larger is more extreme. h = 5 = the k-th (k = 2) most extreme own statistic
  const pairs: [number, number | null][] = [
    [9, 4],
    [1, 3],
    [2, 0.5],
    [0, null],
    [5, 7],
  ];
  assert.deepEqual(guardThreshold('cusum', 5, 2, pairs), { tau: 7, margin: 2 });
  // predictions no more extreme than the episodes themselves (an exact replay): margin 0
  assert.deepEqual(
    guardThreshold('cusum', 5, 2, [
      [9, 9],
      [5, 5],
      [1, 0.5],
    ]),
    { tau: 5, margin: 0 },
  );
  // envelope: smaller is more extreme
  assert.deepEqual(
    guardThreshold('envelope', -2, 1, [
      [-2, -3],
      [0, -1],
    ]),
    { tau: -3, margin: 1 },
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.double({ min: -5, max: 5, noNaN: true }),
          fc.option(fc.double({ min: -5, max: 5, noNaN: true }), { nil: null }),
        ),
        { minLength: 1, maxLength: 40 },
      ),
      fc.integer({ min: 1, max: 10 }),
      (pairs, k0) => {
        const k = Math.min(k0, pairs.length);
        const h = pairs.map((p) => p[0]).sort((a, b) => b - a)[k - 1];
        const { tau, margin } = guardThreshold('cusum', h, k, pairs);
        assert.ok(margin >= 0 && tau >= h);
        // reactive (own statistic beyond tau) or predictive (predictions beyond tau): at most k - 1 held-out episodes
        const alarmed = pairs.filter(
          ([e, p]) => beyond('cusum', e, tau) || (p !== null && beyond('cusum', p, tau)),
        ).length;
        assert.ok(alarmed <= k - 1, `alarmed ${alarmed} > k - 1 = ${k - 1}`);
      },
    ),
  );
});
