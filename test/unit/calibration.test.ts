import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrate,
  conformalRank,
  heldOutNeeded,
  staleness,
  withAlpha,
  type CalibrationResult,
} from '../../src/core/calibration';
import type { CalibrationFile } from '../../src/core/calibrationTypes';
import { reflag } from '../../src/core/reflag';
import type { DetectorConfig } from '../../src/core/detectorConfig';
import { episode, gaussian, rng } from './random';

const DETECTORS: DetectorConfig[] = [{ kind: 'envelope' }, { kind: 'window', window: 5 }, { kind: 'cusum', k: 0.5 }];

function asFile(r: CalibrationResult, maxSteps: number): CalibrationFile {
  return {
    version: 1,
    scenario: { name: 's', file: 'f', hash: 'sh' },
    agent: { name: 'a', module: 'm', hash: 'ah' },
    environmentHash: 'eh',
    objectiveHash: 'oh',
    computedAt: 'now',
    seeds: { from: 0, count: 2 },
    maxSteps,
    ...r,
  };
}

test('conformal rank and the number of episodes needed', () => {
  assert.equal(conformalRank(0.05, 19), 1);
  assert.equal(conformalRank(0.05, 18), 0);
  assert.equal(conformalRank(0.05, 40), 2);
  assert.equal(conformalRank(0.57, 99), 57, 'alpha (n+1) = 56.99999999999999 in floating point is still 57');
  assert.equal(heldOutNeeded(0.05), 19);
  assert.equal(heldOutNeeded(0.01), 99);
  assert.equal(heldOutNeeded(0.5), 1);
});

test('the split, h as the k-th most extreme held-out statistic, and the bound', () => {
  const g = gaussian(rng(1));
  const eps = Array.from({ length: 81 }, () => episode(g, 30));
  const r = calibrate({ episodes: eps, maxSteps: 30, alpha: 0.1, window: 5, k: 0.5 });
  assert.equal(r.fitEpisodes, 40);
  assert.equal(r.conformalEpisodes, 41);
  assert.deepEqual(r.warnings, []);
  const file = asFile(r, 30);
  for (const cfg of DETECTORS) {
    const d = r.detectors[cfg.kind as 'envelope'];
    assert.equal(d.k, 4); // floor(0.1 * 42)
    assert.equal(d.n, 41);
    assert.equal(d.bound, 4 / 42);
    assert.equal(d.guaranteed, true);
    assert.equal(d.model.mean.length, 30);
    assert.equal(d.extremes?.length, 41);
    assert.equal(d.h, d.extremes![3]);
    // held-out episodes strictly more extreme than the k-th alarm; the k-th itself does not (ties never alarm)
    const flagged = eps.slice(40).filter((u) => reflag(u, cfg, file).flaggedStep !== null).length;
    assert.equal(flagged, 3, cfg.kind);
  }
});

test('false alarms on fresh exchangeable episodes stay within the binomial bound of alpha', () => {
  const alpha = 0.05;
  const calibrations = 60;
  const fresh = 150;
  const alarms: Record<string, number> = { envelope: 0, window: 0, cusum: 0 };
  let bound = 0;
  for (let c = 0; c < calibrations; c++) {
    const g = gaussian(rng(100 + c));
    const len = 40;
    const eps = Array.from({ length: 79 }, () => episode(g, len));
    const file = asFile(calibrate({ episodes: eps, maxSteps: len, alpha, window: 5, k: 0.5 }), len);
    bound = file.detectors.envelope.bound;
    for (let i = 0; i < fresh; i++) {
      const u = episode(g, len);
      for (const cfg of DETECTORS) if (reflag(u, cfg, file).flaggedStep !== null) alarms[cfg.kind]++;
    }
  }
  assert.equal(bound, 2 / 41);
  const trials = calibrations * fresh;
  // Marginal rate is exactly k/(n+1) for continuous scores. Its spread mixes the binomial of the
  // fresh episodes with the Beta(k, n+1-k) spread of each calibration's conditional rate.
  const betaVar = (bound * (1 - bound)) / (41 + 1) / calibrations;
  const binVar = (bound * (1 - bound)) / trials;
  const tol = 4 * Math.sqrt(betaVar + binVar);
  for (const [kind, n] of Object.entries(alarms)) {
    const rate = n / trials;
    console.log(`${kind}: false-alarm rate ${rate.toFixed(4)} (bound ${bound.toFixed(4)} ± ${tol.toFixed(4)})`);
    assert.ok(rate <= bound + tol, `${kind} false-alarm rate ${rate} above ${bound} + ${tol}`);
    assert.ok(rate >= bound - tol, `${kind} false-alarm rate ${rate} far below the bound: h too conservative`);
  }
});

test('a shifted episode is flagged after the shift, by every detector', () => {
  const g = gaussian(rng(7));
  const eps = Array.from({ length: 79 }, () => episode(g, 60));
  const file = asFile(calibrate({ episodes: eps, maxSteps: 60, alpha: 0.05, window: 5, k: 0.5 }), 60);
  const afterShift: Record<string, number> = { envelope: 0, window: 0, cusum: 0 };
  const trials = 40;
  for (let trial = 0; trial < trials; trial++) {
    const u = episode(g, 60, 0.2, 2.5, 30);
    for (const cfg of DETECTORS) {
      const f = reflag(u, cfg, file).flaggedStep;
      assert.ok(f !== null && f < 45, `${cfg.kind} flagged at ${f}`);
      if (f >= 30) afterShift[cfg.kind]++;
    }
  }
  // an alarm before the shift is a false alarm, allowed at rate alpha
  for (const [kind, n] of Object.entries(afterShift))
    assert.ok(n >= trials * 0.8, `${kind}: ${n} of ${trials} flagged after the shift`);
});

test('too few held-out episodes: k = 1, not guaranteed, and a warning in plain words', () => {
  const g = gaussian(rng(3));
  const eps = Array.from({ length: 20 }, () => episode(g, 10));
  const r = calibrate({ episodes: eps, maxSteps: 10, alpha: 0.05 });
  assert.equal(r.conformalEpisodes, 10);
  assert.deepEqual(r.warnings, [
    'need at least 19 held-out episodes (37 calibration episodes) for alpha 0.05; have 10 — the false-alarm bound is 1/11 = 0.091',
  ]);
  for (const d of Object.values(r.detectors)) {
    assert.equal(d.k, 1);
    assert.equal(d.guaranteed, false);
    assert.equal(d.bound, 1 / 11);
  }
  assert.throws(() => calibrate({ episodes: eps.slice(0, 1), maxSteps: 10, alpha: 0.05 }), /at least 2 episodes/);
  assert.throws(() => calibrate({ episodes: eps, maxSteps: 10, alpha: 1 }), /alpha must be between 0 and 1/);
});

test('deterministic episodes: the sd floor keeps z finite; the same episode passes, a lower one is flagged', () => {
  const u = Float64Array.from({ length: 12 }, (_, t) => (t % 3) - 0.5);
  const file = asFile(
    calibrate({ episodes: Array.from({ length: 40 }, () => u), maxSteps: 12, alpha: 0.05, window: 4 }),
    12,
  );
  for (const cfg of [
    { kind: 'envelope' },
    { kind: 'window', window: 4 },
    { kind: 'cusum', k: 0.5 },
  ] as DetectorConfig[]) {
    const d = file.detectors[cfg.kind as 'envelope'];
    assert.ok(d.model.sd.every((s) => s > 0 && Number.isFinite(s)));
    assert.ok(Number.isFinite(d.h));
    const same = reflag(u, cfg, file);
    assert.equal(same.flaggedStep, null, cfg.kind);
    assert.ok(same.statistics.every(Number.isFinite));
    const lower = Float64Array.from(u);
    lower[5] -= 0.01;
    assert.equal(reflag(lower, cfg, file).flaggedStep, cfg.kind === 'cusum' ? 5 : 5, cfg.kind);
  }
});

test('ended episodes are not "no progress": the model at step t is fitted on the episodes still running at t', () => {
  const eps = [new Float64Array([1, 1]), new Float64Array([2]), new Float64Array([1, 1, 1]), new Float64Array([0, 0])];
  const r = calibrate({ episodes: eps, maxSteps: 5, alpha: 0.2, window: 2 });
  // fit episodes: [1, 1] and [2]; the model runs to the longest of them (2 steps)
  assert.deepEqual(r.detectors.envelope.model.mean, [1.5, 2]);
  assert.deepEqual(
    r.detectors.cusum.model.mean,
    [1.5, 1],
    'step 1: only the episode still running counts, not a padded 0',
  );
  assert.equal(r.detectors.envelope.model.sd.length, 2);
  // the band, over the episodes running at t, runs to maxSteps and holds past the longest episode:
  // S per episode: [1,2] [2] [1,2,3] [0,0]
  assert.equal(r.band.p50.length, 5);
  assert.deepEqual(r.band.p50, [1, 2, 3, 3, 3]);
  assert.deepEqual(r.episodeLengths, [2, 1, 3, 2]);
  assert.equal(r.longestEpisode, 3);
  // extrapolation past step 1: envelope drift over the tail (2 - 1.5 per step), variance shrank: no growth
  assert.equal(r.detectors.envelope.model.drift, 0.5);
  assert.equal(r.detectors.envelope.model.growth, 0);
  // CUSUM's tail: the increments of the last half of the model (step 1: the one running episode's 1)
  assert.equal(r.detectors.cusum.model.tailMean, 1);
  assert.ok(r.detectors.cusum.model.tailSd! > 0);
  // from step 1 only one of the two fitted episodes ran: the warning says so
  assert.deepEqual(r.sparse, { fromStep: 1, need: 2 });
  assert.ok(
    r.warnings.some((w) =>
      /from step 1 on, fewer than 2 of the 2 fitted calibration episodes were still running/.test(w),
    ),
    r.warnings.join('; '),
  );
});

test("extrapolation past training learns the tail: drift and variance growth of S, the increments' distribution", () => {
  // increments ~ N(1, 0.5^2): S_t has mean (t+1) and variance 0.25 (t+1)
  const g = gaussian(rng(5));
  const eps = Array.from({ length: 400 }, () => Float64Array.from({ length: 40 }, () => 1 + 0.5 * g()));
  const r = calibrate({ episodes: eps, maxSteps: 120, alpha: 0.05, window: 5 });
  const env = r.detectors.envelope.model;
  assert.equal(env.mean.length, 40);
  assert.ok(Math.abs(env.drift! - 1) < 0.05, `drift ${env.drift}`);
  assert.ok(Math.abs(env.growth! - 0.25) < 0.1, `growth ${env.growth}`);
  const cus = r.detectors.cusum.model;
  assert.ok(Math.abs(cus.tailMean! - 1) < 0.02 && Math.abs(cus.tailSd! - 0.5) < 0.02, `${cus.tailMean} ${cus.tailSd}`);
  const win = r.detectors.window.model;
  assert.ok(
    Math.abs(win.tailMean! - 5) < 0.1 && Math.abs(win.tailSd! - 0.5 * Math.sqrt(5)) < 0.1,
    `${win.tailMean} ${win.tailSd}`,
  );
  assert.equal(r.sparse, null);
  assert.equal(r.longestEpisode, 40);
});

test('withAlpha re-derives h, k and the bound from the stored held-out statistics', () => {
  const g = gaussian(rng(11));
  const eps = Array.from({ length: 60 }, () => episode(g, 20));
  const a05 = asFile(calibrate({ episodes: eps, maxSteps: 20, alpha: 0.05 }), 20);
  const a20 = calibrate({ episodes: eps, maxSteps: 20, alpha: 0.2 });
  const moved = withAlpha(a05, 0.2);
  for (const kind of ['envelope', 'window', 'cusum'] as const) {
    assert.equal(moved.detectors[kind].h, a20.detectors[kind].h);
    assert.equal(moved.detectors[kind].k, a20.detectors[kind].k);
    assert.equal(moved.detectors[kind].bound, a20.detectors[kind].bound);
  }
  assert.equal(withAlpha(a05, 0.01).warnings.length, 1);
  const old = { ...a05, detectors: { ...a05.detectors, envelope: { ...a05.detectors.envelope, extremes: undefined } } };
  assert.throws(() => withAlpha(old, 0.2), /run calibrate again with alpha 0.2/);
});

test('staleness names what changed', () => {
  const g = gaussian(rng(5));
  const cal = asFile(calibrate({ episodes: [episode(g, 3), episode(g, 3)], maxSteps: 3, alpha: 0.5 }), 3);
  const now = {
    scenarioHash: 'sh',
    agentHash: 'ah',
    environmentHash: 'eh',
    objectiveHash: 'oh' as string | null,
    maxSteps: 3,
    seeds: { from: 0, count: 2 },
  };
  assert.equal(staleness(cal, now), null);
  assert.match(staleness(cal, { ...now, scenarioHash: 'x' })!, /scenario file changed/);
  assert.match(staleness(cal, { ...now, agentHash: 'x' })!, /agent module \(m\) changed/);
  assert.match(staleness(cal, { ...now, environmentHash: 'x' })!, /environment module changed/);
  assert.match(staleness(cal, { ...now, objectiveHash: 'x' })!, /objective module changed/);
  assert.match(staleness(cal, { ...now, objectiveHash: null })!, /no longer names an objective/);
  assert.match(staleness(cal, { ...now, maxSteps: 4 })!, /maxSteps is now 4; it was calibrated with 3/);
  assert.match(staleness(cal, { ...now, seeds: { from: 0, count: 9 } })!, /seeds are now 9 from 0/);
});
