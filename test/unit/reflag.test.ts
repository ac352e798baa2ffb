import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate } from '../../src/core/calibration';
import type { CalibrationFile } from '../../src/core/calibrationTypes';
import { createMonitor } from '../../src/core/detectors';
import type { DetectorConfig } from '../../src/core/detectorConfig';
import { reflag } from '../../src/core/reflag';
import { episode, gaussian, rng } from './random';

const g = gaussian(rng(42));
const eps = Array.from({ length: 59 }, () => episode(g, 50));
const cal: CalibrationFile = {
  version: 1, scenario: { name: 's', file: 'f', hash: 'h' }, agent: { name: 'a', module: 'm', hash: 'h' },
  environmentHash: 'e', objectiveHash: null, computedAt: 'now', seeds: { from: 0, count: 59 }, maxSteps: 50,
  ...calibrate({ episodes: eps, maxSteps: 50, alpha: 0.05, window: 5, k: 0.5 }),
};

test('reflag gives the same per-step columns and flag as the live monitor', () => {
  const u = episode(g, 50, 0.2, 2, 25);
  for (const cfg of [{ kind: 'envelope' }, { kind: 'window', window: 5 }, { kind: 'cusum', k: 0.5 }, { kind: 'fixed', threshold: 0 }] as DetectorConfig[]) {
    const r = reflag(u, cfg, cfg.kind === 'fixed' ? null : cal);
    const m = createMonitor(cfg, cfg.kind === 'fixed' ? null : cal);
    let first: number | null = null;
    for (let t = 0; t < u.length; t++) {
      const alarm = m.push(u[t]);
      if (alarm && first === null) first = t;
      assert.equal(r.scores[t], m.score);
      assert.equal(r.statistics[t], m.statistic);
      assert.equal(r.thresholds[t], m.threshold);
      assert.equal(r.scores[t] < r.thresholds[t], alarm);
    }
    assert.equal(r.flaggedStep, first, cfg.kind);
    assert.notEqual(r.flaggedStep, null, `${cfg.kind} should flag the drop`);
  }
});

test('changing the detector or threshold moves the flag without touching the increments', () => {
  const u = Float64Array.from([1, 1, -1, -1, -1, -1]);
  const copy = Float64Array.from(u);
  assert.equal(reflag(u, { kind: 'fixed', threshold: 0 }, null).flaggedStep, 4);
  assert.equal(reflag(u, { kind: 'fixed', threshold: 1 }, null).flaggedStep, 3);
  assert.equal(reflag(u, { kind: 'fixed', threshold: -5 }, null).flaggedStep, null);
  assert.deepEqual(u, copy);
  assert.deepEqual(Array.from(reflag(u, { kind: 'fixed', threshold: 0 }, null).scores), [1, 2, 1, 0, -1, -2]);
});

test('a looser alpha flags at least as early, re-derived from the calibration file alone', () => {
  let earlier = 0;
  for (let i = 0; i < 30; i++) {
    const u = episode(g, 50, 0.2, 1, 20);
    const strict = reflag(u, { kind: 'envelope' }, cal).flaggedStep ?? Infinity;
    const loose = reflag(u, { kind: 'envelope' }, cal, 0.3).flaggedStep ?? Infinity;
    assert.ok(loose <= strict);
    if (loose < strict) earlier++;
  }
  assert.ok(earlier > 0, 'alpha 0.3 never flagged earlier than 0.05');
  assert.equal(reflag([], { kind: 'cusum', k: 0.5 }, cal).flaggedStep, null);
  assert.throws(() => reflag([1], { kind: 'cusum', k: 0.5 }, null), /needs a calibration/);
});
