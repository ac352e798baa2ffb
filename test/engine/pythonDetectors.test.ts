// The Python runner's monitor (src/runner/python/omDetectors.py) against the engine's
// (src/core/detectors.ts) on the same increments: every step's alarm, score, statistic and threshold
// must agree to the bit, or `stop` would halt the Python runner at a step the engine does not flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { createMonitor } from '../../src/core/detectors';
import type { CalibrationFile, DetectorCalibration } from '../../src/core/calibrationTypes';
import type { DetectorConfig } from '../../src/core/detectorConfig';
import { fx, PYTHON } from './pythonHarness';

interface Case {
  config: DetectorConfig;
  calibration: CalibrationFile | null;
  increments: number[];
}

function calFile(det: DetectorCalibration): CalibrationFile {
  const flat = (kind: DetectorCalibration['kind']): DetectorCalibration => ({
    kind,
    params: {},
    model: { mean: [0], sd: [1] },
    h: -3,
    k: 1,
    n: 19,
    bound: 0.05,
    guaranteed: true,
  });
  return {
    version: 1,
    scenario: { name: 's', file: '/s.json', hash: 'h' },
    agent: { name: 'a', module: '/a.py', hash: 'h' },
    environmentHash: 'h',
    objectiveHash: null,
    computedAt: '2024-01-01T00:00:00Z',
    alpha: 0.05,
    seeds: { from: 0, count: 40 },
    maxSteps: 10,
    fitEpisodes: 20,
    conformalEpisodes: 20,
    band: { p05: [], p50: [], p95: [] },
    detectors: { envelope: flat('envelope'), window: flat('window'), cusum: flat('cusum'), [det.kind]: det },
    warnings: [],
  };
}

// Two value regimes: wide doubles (rounding at every scale), and small halves/integers where ties
// (S exactly on the threshold, z exactly h) are common, so the one-ulp nudge is exercised.
const wide = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const tiny = fc.integer({ min: -8, max: 8 }).map((i) => i / 2);
const positiveWide = fc.double({ min: 1e-3, max: 1e3, noNaN: true, noDefaultInfinity: true });
const positiveTiny = fc.constantFrom(0.5, 1, 2, 4);

const caseArb = fc.boolean().chain((isTiny) => {
  const v = isTiny ? tiny : wide;
  const pos = isTiny ? positiveTiny : positiveWide;
  // past the model's end (most cases: up to 60 increments on up to 25 steps) the extrapolation
  // fields decide; each present or absent (an older file), growth 0 included
  const model = fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc.record(
      {
        mean: fc.array(v, { minLength: n, maxLength: n }),
        sd: fc.array(pos, { minLength: n, maxLength: n }),
        drift: v,
        growth: fc.oneof(fc.constant(0), pos),
        tailMean: v,
        tailSd: pos,
      },
      { requiredKeys: ['mean', 'sd'] },
    ),
  );
  const incs = fc.array(v, { minLength: 1, maxLength: 60 });
  const cal = (kind: DetectorCalibration['kind'], params: DetectorCalibration['params'], h: fc.Arbitrary<number>) =>
    fc
      .record({ model, h })
      .map(({ model: m, h: hh }) =>
        calFile({ kind, params, model: m, h: hh, k: 1, n: 19, bound: 0.05, guaranteed: true }),
      );
  return fc.oneof(
    fc.record({
      config: v.map((threshold) => ({ kind: 'fixed', threshold }) as DetectorConfig),
      calibration: fc.constant(null),
      increments: incs,
    }),
    fc.record({
      config: fc.constant({ kind: 'envelope' } as DetectorConfig),
      calibration: cal('envelope', {}, v),
      increments: incs,
    }),
    fc.integer({ min: 1, max: 8 }).chain((w) =>
      fc.record({
        config: fc.constant({ kind: 'window', window: w } as DetectorConfig),
        calibration: cal('window', { window: w }, v),
        increments: incs,
      }),
    ),
    fc.constantFrom(0, 0.5, 1.25).chain((k) =>
      fc.record({
        config: fc.constant({ kind: 'cusum', k } as DetectorConfig),
        calibration: cal('cusum', { k }, isTiny ? fc.integer({ min: 0, max: 6 }).map((i) => i / 2) : positiveWide),
        increments: incs,
      }),
    ),
  );
}) as fc.Arbitrary<Case>;

const num = (x: number): number | string => (Number.isFinite(x) ? x : String(x).replace('Infinity', 'inf'));

test('Python and TypeScript monitors agree to the bit on every step of 600 random episodes', () => {
  const cases = fc.sample(caseArb, { numRuns: 600, seed: 20240605 });
  const r = spawnSync(PYTHON, [fx('detectorsCheck.py')], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  const py = JSON.parse(r.stdout) as Array<{
    rows?: Array<[boolean, number, number | string, number | string, number | string]>;
    flagged?: number;
    error?: string;
  }>;
  assert.equal(py.length, cases.length);
  let alarms = 0;
  let ties = 0;
  cases.forEach((c, i) => {
    const m = createMonitor(c.config, c.calibration);
    const rows = c.increments.map((u) => {
      const alarm = m.push(u);
      if (alarm) alarms++;
      if (m.score === m.threshold || m.statistic === c.calibration?.detectors[c.config.kind as 'envelope']?.h) ties++;
      return [alarm, m.step, num(m.score), num(m.statistic), num(m.threshold)];
    });
    assert.equal(py[i].error, undefined, `case ${i}: ${py[i].error}`);
    assert.deepEqual(py[i].rows, rows, `case ${i}: ${JSON.stringify(c).slice(0, 400)}`);
    assert.equal(py[i].flagged, m.flaggedStep, `case ${i}`);
  });
  // the sample must exercise both outcomes and the tie handling, or agreement would prove little
  assert.ok(alarms > 500, `alarming steps: ${alarms}`);
  assert.ok(ties > 20, `steps on a tie: ${ties}`);
});

test('the Python monitor refuses what the TypeScript one refuses, with the same words', () => {
  const cal = calFile({
    kind: 'window',
    params: { window: 3 },
    model: { mean: [1], sd: [1] },
    h: -1,
    k: 1,
    n: 19,
    bound: 0.05,
    guaranteed: true,
  });
  const bad: Case[] = [
    { config: { kind: 'envelope' }, calibration: null, increments: [] },
    { config: { kind: 'window', window: 4 }, calibration: cal, increments: [] },
    {
      config: { kind: 'cusum', k: 0.5 },
      calibration: calFile({
        kind: 'cusum',
        params: {},
        model: { mean: [1], sd: [0] },
        h: 1,
        k: 1,
        n: 19,
        bound: 0.05,
        guaranteed: true,
      }),
      increments: [],
    },
    {
      config: { kind: 'envelope' },
      calibration: calFile({
        kind: 'envelope',
        params: {},
        model: { mean: [1], sd: [1], growth: -1 },
        h: 1,
        k: 1,
        n: 19,
        bound: 0.05,
        guaranteed: true,
      }),
      increments: [],
    },
    {
      config: { kind: 'cusum', k: 0.5 },
      calibration: calFile({
        kind: 'cusum',
        params: {},
        model: { mean: [1], sd: [1], tailSd: 0 },
        h: 1,
        k: 1,
        n: 19,
        bound: 0.05,
        guaranteed: true,
      }),
      increments: [],
    },
  ];
  const r = spawnSync(PYTHON, [fx('detectorsCheck.py')], { input: JSON.stringify(bad), encoding: 'utf8' });
  const py = JSON.parse(r.stdout) as Array<{ error?: string }>;
  bad.forEach((c, i) => {
    assert.throws(
      () => createMonitor(c.config, c.calibration),
      (e: Error) => e.message === py[i].error,
    );
  });
});

test('a refused model stays refused after a valid one like it was cached', () => {
  const envelope = (model: DetectorCalibration['model']): Case => ({
    config: { kind: 'envelope' },
    calibration: calFile({ kind: 'envelope', params: {}, model, h: -1, k: 1, n: 19, bound: 0.05, guaranteed: true }),
    increments: [],
  });
  const cases = [
    envelope({ mean: [1, 2], sd: [1, 1] }),
    envelope({ mean: [1, 2], sd: [1, 0] }),
    envelope({ mean: [1, 2], sd: [1, 1], growth: 0.5 }),
    envelope({ mean: [1, 2], sd: [1, 1], growth: -0.5 }),
    envelope({ mean: [1, 2], sd: [1, 1] }),
  ];
  const r = spawnSync(PYTHON, [fx('detectorsCheck.py')], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const py = JSON.parse(r.stdout) as Array<{ error?: string }>;
  const ts = cases.map((c) => {
    try {
      createMonitor(c.config, c.calibration);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  });
  assert.deepEqual(
    py.map((p) => p.error),
    ts,
  );
  assert.deepEqual(
    ts.map((e) => e !== undefined),
    [false, true, false, true, false],
  );
});
