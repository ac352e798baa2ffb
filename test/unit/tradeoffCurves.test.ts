// Trade-off curves from recorded episodes: hand-made calibrations and traces where every rate and
// delay is known. The envelope model is mean 0, sd 1 at every step, so its statistic is S_t itself
// and "alarm" is S_t < h.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphaGrid, guardFlag, pointForAlpha, tradeoffCurves, type CurveEpisode } from '../../src/core/tradeoffCurves';
import { createMonitor } from '../../src/core/detectors';
import type { DetectorCalibration } from '../../src/core/calibrationTypes';
import { calFile } from './calFixtures';

const flat = { mean: [0], sd: [1] };
/** n = 4 held-out episodes whose most extreme envelope statistics were -5, -3, -2, -1 */
const envelope: DetectorCalibration = {
  kind: 'envelope',
  params: {},
  model: flat,
  h: -5,
  k: 1,
  n: 4,
  bound: 0.2,
  guaranteed: true,
  extremes: [-5, -3, -2, -1],
};
const other = (kind: 'window' | 'cusum', extremes: number[]): DetectorCalibration => ({
  kind,
  params: kind === 'window' ? { window: 2 } : { k: 0.5 },
  model: flat,
  h: extremes[0],
  k: 1,
  n: 4,
  bound: 0.2,
  guaranteed: true,
  extremes,
});
const cal = calFile(
  { envelope, window: other('window', [-9, -8, -7, -6]), cusum: other('cusum', [40, 30, 20, 10]) },
  {
    alpha: 0.2,
    conformalEpisodes: 4,
    guard: {
      settings: { horizon: 3, rollouts: 1, quantile: null, every: 1, below: null, budgetMs: null },
      seeds: { from: 4, count: 4 },
      // combined scores min(e, p): -6, -3, -4, -1 -> tau = -6 at k = 1, -4 at k = 2
      detectors: {
        envelope: {
          params: {},
          pairs: [
            [-5, -6],
            [-3, null],
            [-2, -4],
            [-1, null],
          ],
          margin: 1,
        },
      },
    },
  },
);

const ep = (seed: number, increments: number[], complete: boolean, divergence: number | null): CurveEpisode => ({
  seed,
  increments,
  complete,
  divergence,
});

test('alphaGrid: one alpha per conformal rank up to 0.5, and pointForAlpha finds the rank a setting gives', () => {
  assert.deepEqual(alphaGrid(4), [0.2, 0.4]);
  assert.equal(alphaGrid(19).length, 10);
  const points = alphaGrid(19).map((alpha, i) => ({ alpha, k: i + 1 }) as never);
  assert.equal(pointForAlpha(points, 0.05, 19), 0); // k = floor(0.05 * 20) = 1
  assert.equal(pointForAlpha(points, 0.1, 19), 1);
  assert.equal(pointForAlpha(points, 0.26, 19), 4); // floor(5.2) = 5
});

test('detector curves: thresholds from the held-out extremes at each alpha, rates and median delays by hand', () => {
  const curves = tradeoffCurves({
    alphas: alphaGrid(4),
    subject: {
      calibration: cal,
      episodes: [
        ep(1, [0, -4, 0, 0], true, 1), // S -4 from step 1: flagged at h=-3 (step 1), not at h=-5
        ep(2, [-1, -1, -1, -1, -1, -1], true, 0), // S -1..-6: flagged at step 5 (h=-5), step 3 (h=-3)
        ep(3, [0, 0], true, 0), // never
        ep(4, [-1, -1], false, 0), // stopped before anything alarms: not decided by the recording
      ],
      guardEpisodes: [],
    },
    reference: {
      calibration: cal,
      episodes: [ep(1, [-3.5], true, null), ep(2, [0], true, null)],
      guardEpisodes: [],
    },
    fixed: -2.5,
    guard: { unavailable: 'no guarded runs' },
  });
  assert.deepEqual(
    curves.map((c) => c.name),
    ['envelope', 'window', 'cusum', 'fixed', 'guard'],
  );
  const env = curves[0];
  assert.equal(env.label, 'envelope');
  assert.equal(env.falseAlarmFrom, 'reference');
  assert.equal(curves[4].falseAlarmFrom, 'bound');
  assert.deepEqual(
    env.points.map((p) => [p.alpha, p.k, p.threshold, p.bound]),
    [
      [0.2, 1, -5, 0.2],
      [0.4, 2, -3, 0.4],
    ],
  );
  const [strict, loose] = env.points;
  assert.deepEqual(strict.detection, { flagged: 1, determined: 3, undetermined: 1, rate: 1 / 3 });
  assert.equal(strict.medianDelay, 5);
  assert.deepEqual(strict.falseAlarm, { flagged: 0, determined: 2, undetermined: 0, rate: 0 });
  assert.deepEqual(loose.detection, { flagged: 2, determined: 3, undetermined: 1, rate: 2 / 3 });
  assert.equal(loose.medianDelay, 1.5); // delays 0 and 3
  assert.deepEqual(loose.falseAlarm, { flagged: 1, determined: 2, undetermined: 0, rate: 0.5 });
  assert.equal(curves[2].label, 'cusum k=0.5');
  assert.deepEqual(
    curves[2].points.map((p) => p.threshold),
    [40, 30],
  );
  // a fixed threshold is one point without alpha: S < -2.5 flags episodes 1 (step 1) and 2 (step 2)
  const fixed = curves[3];
  assert.equal(fixed.points.length, 1);
  assert.equal(fixed.points[0].alpha, null);
  assert.deepEqual(fixed.points[0].detection, { flagged: 2, determined: 3, undetermined: 1, rate: 2 / 3 });
  assert.equal(fixed.points[0].medianDelay, 1); // delays 0 and 2
  assert.deepEqual(fixed.points[0].falseAlarm, { flagged: 1, determined: 2, undetermined: 0, rate: 0.5 });
  assert.deepEqual(curves[4].points, []);
  assert.equal(curves[4].unavailable, 'no guarded runs');
});

test("guard curve: tau from the recorded pairs, the recorded look-aheads re-judged at each tau, the fired one's truncated path", () => {
  const g: CurveEpisode = {
    ...ep(7, [0, 0, 0, 0], true, 0),
    guard: {
      lookaheads: [
        { step: 1, increments: [-5, 0] }, // predicts S = -5: crosses tau = -4, not tau = -6
        { step: 2, increments: [-7] }, // predicts S = -7: crosses both
      ],
      knownBefore: Infinity,
      fired: null,
    },
  };
  const h: CurveEpisode = {
    ...ep(8, [0, 0, 0], true, 0),
    // fired before step 1 (flag-only: the episode went on); nothing was predicted after it
    guard: { lookaheads: [], knownBefore: 1, fired: { step: 1, increments: [-4.5] } },
  };
  const curves = tradeoffCurves({
    alphas: alphaGrid(4),
    subject: { calibration: cal, episodes: [], guardEpisodes: [g, h] },
    reference: null,
    fixed: null,
    guard: { detector: 'envelope' },
  });
  const guard = curves[4];
  assert.equal(guard.label, 'guard (envelope)');
  assert.equal(curves[3].unavailable?.includes('no fixed threshold'), true);
  const [strict, loose] = guard.points;
  assert.deepEqual([strict.threshold, loose.threshold], [-6, -4]);
  // tau -6: g flagged at 2; h's fired path (S -4.5) no longer crosses and nothing after it was recorded
  assert.deepEqual(strict.detection, { flagged: 1, determined: 1, undetermined: 1, rate: 1 });
  assert.equal(strict.medianDelay, 2);
  assert.equal(strict.falseAlarm, null); // no reference: the chart uses the bound
  // tau -4: g flagged at 1, h at 1
  assert.deepEqual(loose.detection, { flagged: 2, determined: 2, undetermined: 0, rate: 1 });
  assert.equal(loose.medianDelay, 1);
});

test('guardFlag: a reactive alarm before any predicted one wins; look-aheads missing past knownBefore leave it undecided', () => {
  const at = (h: number) =>
    createMonitor(
      { kind: 'envelope' },
      { ...cal, detectors: { ...cal.detectors, envelope: { ...cal.detectors.envelope, h } } },
    );
  const e: CurveEpisode = {
    ...ep(9, [-4, 0, 0], false, 0),
    guard: { lookaheads: [{ step: 2, increments: [-9] }], knownBefore: 3, fired: null },
  };
  assert.deepEqual(guardFlag(e, at(-3)), { flagged: 0 });
  assert.deepEqual(guardFlag(e, at(-6)), { flagged: 2 });
  assert.deepEqual(guardFlag(e, at(-20)), { undetermined: true });
});
