import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate } from '../../src/core/calibration';
import type { CalibrationFile } from '../../src/core/calibrationTypes';
import { createMonitor } from '../../src/core/detectors';
import type { DetectorConfig } from '../../src/core/detectorConfig';
import { AS_RECORDED, flagRecordedTrace, reflag, type RecordedTrace } from '../../src/core/reflag';
import { parseCalibrationFile, type CalibrationLoader } from '../../src/core/calibrationFile';
import { header as traceHeader } from '../traceFixture';
import { episode, gaussian, rng } from './random';

const g = gaussian(rng(42));
const eps = Array.from({ length: 59 }, () => episode(g, 50));
const cal: CalibrationFile = {
  version: 1,
  scenario: { name: 's', file: 'f', hash: 'h' },
  agent: { name: 'a', module: 'm', hash: 'h' },
  environmentHash: 'e',
  objectiveHash: null,
  computedAt: 'now',
  seeds: { from: 0, count: 59 },
  maxSteps: 50,
  ...calibrate({ episodes: eps, maxSteps: 50, alpha: 0.05, window: 5, k: 0.5 }),
};

test('reflag gives the same per-step columns and flag as the live monitor', () => {
  const u = episode(g, 50, 0.2, 2, 25);
  for (const cfg of [
    { kind: 'envelope' },
    { kind: 'window', window: 5 },
    { kind: 'cusum', k: 0.5 },
    { kind: 'fixed', threshold: 0 },
  ] as DetectorConfig[]) {
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

// The one flag rule every view uses (core flagRecordedTrace) and the one calibration parser.
const calFile = '/cal/s.calibration.json';
const loader: CalibrationLoader = (file) =>
  file === calFile ? { ok: true, calibration: cal } : { ok: false, message: `no file ${file}` };
function recordedTrace(u: Float64Array, stepNumbers: number[] | null = null): RecordedTrace {
  const live = reflag(u, { kind: 'envelope' }, cal);
  const header = traceHeader({
    maxSteps: 50,
    protocol: 'flag-only',
    detector: { kind: 'envelope' },
    calibration: { file: calFile, hash: 'h', alpha: 0.05, computedAt: 'now' },
  });
  return {
    header,
    steps: u.length,
    stepNumbers: stepNumbers ? Float64Array.from(stepNumbers) : null,
    increments: u,
    thresholds: live.thresholds,
    statistics: live.statistics,
    recordedFlaggedStep: live.flaggedStep,
    prediction: null,
  };
}

test('flagRecordedTrace: recorded keeps recorded flags whatever the alpha; another detector or alpha re-flags', () => {
  const u = episode(g, 50, 0.2, 2, 25);
  const t = recordedTrace(u);
  assert.notEqual(t.recordedFlaggedStep, null);
  const recorded = flagRecordedTrace(t, AS_RECORDED, loader);
  assert.equal(recorded.reflagged, false);
  assert.equal(recorded.flaggedStep, t.recordedFlaggedStep);
  assert.equal(recorded.thresholds, t.thresholds, 'the recorded columns, not a re-computation');
  // an alpha alone under `recorded` is ignored, even when it would move the flag
  assert.equal(
    flagRecordedTrace(t, { detector: null, alpha: 0.4 }, () => assert.fail('recorded loads no calibration'))
      .flaggedStep,
    t.recordedFlaggedStep,
  );
  // the trace's own detector at its own alpha: as recorded
  assert.equal(flagRecordedTrace(t, { detector: { kind: 'envelope' }, alpha: 0.05 }, loader).reflagged, false);
  for (const [settings, want] of [
    [{ detector: { kind: 'envelope' }, alpha: 0.4 }, reflag(u, { kind: 'envelope' }, cal, 0.4).flaggedStep],
    [{ detector: { kind: 'cusum', k: 0.5 }, alpha: null }, reflag(u, { kind: 'cusum', k: 0.5 }, cal).flaggedStep],
    [
      { detector: { kind: 'fixed', threshold: 0 }, alpha: 0.4 },
      reflag(u, { kind: 'fixed', threshold: 0 }, null).flaggedStep,
    ],
  ] as const) {
    const f = flagRecordedTrace(t, settings, loader);
    assert.equal(f.reflagged, true, JSON.stringify(settings));
    assert.equal(f.flaggedStep, want, JSON.stringify(settings));
    assert.equal(f.recordedFlaggedStep, t.recordedFlaggedStep);
    assert.equal(f.alpha, settings.detector.kind === 'fixed' ? null : (settings.alpha ?? 0.05));
  }
});

test('flagRecordedTrace: what cannot be re-flagged keeps the recorded flag and says why', () => {
  const u = episode(g, 50, 0.2, 2, 25);
  const gap = recordedTrace(
    u,
    [...Array(50).keys()].map((i) => (i < 10 ? i : i + 1)),
  );
  assert.match(
    flagRecordedTrace(gap, { detector: { kind: 'cusum', k: 0.5 }, alpha: null }, loader).reflagError ?? '',
    /cannot re-flag with detector cusum k=0\.5: step 10 is missing/,
  );
  const noCal = flagRecordedTrace(recordedTrace(u), { detector: { kind: 'cusum', k: 0.5 }, alpha: null }, () => ({
    ok: false,
    message: 'calibration file x could not be read (ENOENT)',
  }));
  assert.equal(noCal.flaggedStep, noCal.recordedFlaggedStep);
  assert.match(noCal.reflagError ?? '', /ENOENT/);
  const otherWindow = flagRecordedTrace(
    recordedTrace(u),
    { detector: { kind: 'window', window: 7 }, alpha: null },
    loader,
  );
  assert.equal(otherWindow.reflagged, false);
  assert.match(otherWindow.reflagError ?? '', /window 5, not 7/);
});

test('parseCalibrationFile: unknown fields are kept, damage is named with the file', () => {
  const text = JSON.stringify({ ...cal, futureField: { anything: 1 } });
  const ok = parseCalibrationFile('/c.json', text);
  assert.ok(ok.ok && ok.calibration.detectors.cusum.h === cal.detectors.cusum.h);
  const bad = (o: unknown) => {
    const r = parseCalibrationFile('/c.json', JSON.stringify(o));
    return r.ok ? '' : r.message;
  };
  assert.match(bad({ ...cal, version: 2 }), /\/c\.json: expected a version 1 calibration/);
  assert.match(
    bad({ ...cal, detectors: { ...cal.detectors, window: { h: 1 } } }),
    /\/c\.json: detectors\.window is missing or has no model/,
  );
  assert.match(bad({ ...cal, band: { p05: [] } }), /band must hold the arrays/);
  const r = parseCalibrationFile('/c.json', '{"version":1,');
  assert.ok(!r.ok && /\/c\.json is not valid JSON/.test(r.message));
});
