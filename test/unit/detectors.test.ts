import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { consistentThreshold, createMonitor, nextUp, scratchColumns, type Monitor } from '../../src/core/detectors';
import type { DetectorConfig } from '../../src/core/detectorConfig';
import { calFile, detCal } from './calFixtures';

function run(m: Monitor, incs: number[]) {
  return incs.map((u) => {
    const alarm = m.push(u);
    return { alarm, step: m.step, score: m.score, statistic: m.statistic, threshold: m.threshold };
  });
}

/** A calibration with every calibrated detector fitted to `mdl` (CUSUM's h is |h|), and the four
 *  detector configs, fixed at level h. */
function everyDetector(mdl: { mean: number[]; sd: number[] }, h: number, w: number, k: number) {
  const cal = calFile({
    envelope: detCal('envelope', mdl, h),
    window: detCal('window', mdl, h, { window: w }),
    cusum: detCal('cusum', mdl, Math.abs(h), { k }),
  });
  const configs: DetectorConfig[] = [
    { kind: 'envelope' },
    { kind: 'window', window: w },
    { kind: 'cusum', k },
    { kind: 'fixed', threshold: h },
  ];
  return { cal, configs };
}

test("envelope: z = (S - mean)/sd per step, alarm when z < h, the model's last entry past its end", () => {
  const cal = calFile({ envelope: detCal('envelope', { mean: [1, 2, 3], sd: [1, 2, 0.5] }, -1) });
  const m = createMonitor({ kind: 'envelope' }, cal);
  const r = run(m, [1, 0, 0.5, -1]);
  // S = 1, 1, 1.5, 0.5; z = 0, -0.5, -3, -5
  assert.deepEqual(
    r.map((x) => x.statistic),
    [0, -0.5, -3, -5],
  );
  assert.deepEqual(
    r.map((x) => x.alarm),
    [false, false, true, true],
  );
  assert.deepEqual(
    r.map((x) => x.threshold),
    [0, 0, 2.5, 2.5],
  );
  assert.equal(m.flaggedStep, 2);
  assert.equal(m.step, 3);
});

test('window: W is the sum of the last w increments (all so far before w)', () => {
  const cal = calFile({ window: detCal('window', { mean: [1], sd: [1] }, -2, { window: 2 }) });
  const m = createMonitor({ kind: 'window', window: 2 }, cal);
  const r = run(m, [1, 1, -2, -1, 5]);
  // W = 1, 2, -1, -3, 4; z = W - 1
  assert.deepEqual(
    r.map((x) => x.statistic),
    [0, 1, -2, -4, 3],
  );
  assert.deepEqual(
    r.map((x) => x.alarm),
    [false, false, false, true, false],
  );
  // S = 1, 2, 0, -1, 4; threshold = S_{t-w} + mean + h sd = S_{t-2} - 1
  assert.deepEqual(
    r.map((x) => x.threshold),
    [-1, -1, 0, 1, -1],
  );
  assert.equal(m.flaggedStep, 3);
});

test('cusum: C = max(0, C_prev - z - k), alarm when C > h; threshold on S is the same test', () => {
  const cal = calFile({ cusum: detCal('cusum', { mean: [1], sd: [1] }, 2, { k: 0.5 }) });
  const m = createMonitor({ kind: 'cusum', k: 0.5 }, cal);
  const r = run(m, [1, 0, 0, 0, 3]);
  // z = 0, -1, -1, -1, 2; C = 0, 0.5, 1, 1.5, 0
  assert.deepEqual(
    r.map((x) => x.statistic),
    [0, 0.5, 1, 1.5, 0],
  );
  assert.deepEqual(
    r.map((x) => x.alarm),
    [false, false, false, false, false],
  );
  // threshold = S_prev + mu + sd (C_prev - k - h)
  assert.deepEqual(
    r.map((x) => x.threshold),
    [0 + 1 - 2.5, 1 + 1 - 2.5, 1 + 1 - 2, 1 + 1 - 1.5, 1 + 1 - 1],
  );
  const m2 = createMonitor({ kind: 'cusum', k: 0.5 }, cal);
  const r2 = run(m2, [0, 0, 0, 0]);
  // C = 0.5, 1, 1.5, 2: at 2 it does not exceed h (ties never alarm); one more step does
  assert.deepEqual(
    r2.map((x) => x.alarm),
    [false, false, false, false],
  );
  assert.equal(m2.push(0), true);
  assert.equal(m2.flaggedStep, 4);
});

test('fixed: alarm when S < threshold, no calibration needed; -Infinity never alarms', () => {
  const m = createMonitor({ kind: 'fixed', threshold: -2 }, null);
  assert.deepEqual(
    run(m, [-1, -1, -1, 5]).map((x) => [x.statistic, x.threshold, x.alarm]),
    [
      [-1, -2, false],
      [-2, -2, false],
      [-3, -2, true],
      [2, -2, false],
    ],
  );
  assert.equal(m.flaggedStep, 2);
  const never = createMonitor({ kind: 'fixed', threshold: -Infinity }, null);
  assert.deepEqual(
    run(never, [-1e300, -1e300]).map((x) => x.alarm),
    [false, false],
  );
});

test('calibrated detectors without a calibration, or fitted for other parameters, fail with clear errors', () => {
  assert.throws(
    () => createMonitor({ kind: 'envelope' }, null),
    /envelope detector needs a calibration; run calibrate first/,
  );
  assert.throws(() => createMonitor({ kind: 'window', window: 5 }, calFile({})), /fitted for window 3, not 5/);
  assert.throws(() => createMonitor({ kind: 'cusum', k: 1 }, calFile({})), /fitted for cusum k 0.5, not 1/);
  assert.throws(
    () => createMonitor({ kind: 'envelope' }, calFile({ envelope: detCal('envelope', { mean: [0], sd: [0] }, -3) })),
    /sd\[0\] must be > 0/,
  );
  assert.throws(
    () => createMonitor({ kind: 'envelope' }, calFile({ envelope: detCal('envelope', { mean: [], sd: [] }, -3) })),
    /empty/,
  );
});

test('reset starts the episode over', () => {
  for (const cfg of [
    { kind: 'envelope' },
    { kind: 'window', window: 3 },
    { kind: 'cusum', k: 0.5 },
    { kind: 'fixed', threshold: -1 },
  ] as DetectorConfig[]) {
    const m = createMonitor(cfg, calFile({}));
    const incs = [-1, -2, 0.5, -3, 1, -4];
    const a = run(m, incs);
    m.reset();
    assert.equal(m.step, -1);
    assert.equal(m.flaggedStep, -1);
    assert.deepEqual(run(m, incs), a, cfg.kind);
  }
});

test('nextUp is the next double up; consistentThreshold agrees with the alarm', () => {
  assert.equal(nextUp(1), 1 + Number.EPSILON);
  assert.equal(nextUp(0), Number.MIN_VALUE);
  assert.equal(nextUp(-Number.MIN_VALUE), -0);
  assert.ok(nextUp(-1) > -1 && nextUp(-1) - -1 === Number.EPSILON / 2);
  assert.equal(nextUp(Number.MAX_VALUE), Infinity);
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const y = nextUp(x);
      if (y === Infinity) return x === Number.MAX_VALUE;
      const mid = x / 2 + y / 2; // no double lies strictly between x and y
      return y > x && (mid === x || mid === y);
    }),
  );
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.double({ noNaN: true }),
      (alarm, s, thr) => s < consistentThreshold(alarm, s, thr) === alarm,
    ),
  );
});

const model = fc
  .record({
    mean: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 }),
    sd: fc.array(fc.double({ min: 1e-3, max: 50, noNaN: true }), { minLength: 8, maxLength: 8 }),
  })
  .map(({ mean, sd }) => ({ mean, sd: sd.slice(0, mean.length) }));
const incs = fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 40 });

test('property: every detector alarms exactly when score < threshold, and the native test decides', () => {
  fc.assert(
    fc.property(
      model,
      fc.double({ min: -5, max: 5, noNaN: true }),
      fc.integer({ min: 1, max: 6 }),
      fc.double({ min: 0, max: 2, noNaN: true }),
      incs,
      (mdl, h, w, k, us) => {
        const { cal, configs } = everyDetector(mdl, h, w, k);
        for (const cfg of configs) {
          const m = createMonitor(cfg, cal);
          let first = -1;
          let s = 0;
          for (let t = 0; t < us.length; t++) {
            const alarm = m.push(us[t]);
            s += us[t];
            assert.equal(m.score, s);
            assert.equal(alarm, m.score < m.threshold, `${cfg.kind} step ${t}`);
            const native = cfg.kind === 'cusum' ? m.statistic > Math.abs(h) : m.statistic < h;
            assert.equal(alarm, native, `${cfg.kind} step ${t}: native statistic ${m.statistic} vs h ${h}`);
            if (alarm && first < 0) first = t;
          }
          assert.equal(m.flaggedStep, first);
        }
      },
    ),
    { numRuns: 400 },
  );
});

test('property: thresholds follow the stated algebra (up to rounding)', () => {
  fc.assert(
    fc.property(
      model,
      fc.double({ min: -5, max: 5, noNaN: true }),
      fc.integer({ min: 1, max: 6 }),
      fc.double({ min: 0, max: 2, noNaN: true }),
      incs,
      (mdl, h, w, k, us) => {
        const hc = Math.abs(h);
        const cal = calFile({
          envelope: detCal('envelope', mdl, h),
          window: detCal('window', mdl, h, { window: w }),
          cusum: detCal('cusum', mdl, hc, { k }),
        });
        const env = createMonitor({ kind: 'envelope' }, cal);
        const win = createMonitor({ kind: 'window', window: w }, cal);
        const cus = createMonitor({ kind: 'cusum', k }, cal);
        const S: number[] = [];
        let c = 0;
        const at = (a: number[], t: number) => a[Math.min(t, a.length - 1)];
        const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-9 * (1 + scale);
        for (let t = 0; t < us.length; t++) {
          const prevS = t > 0 ? S[t - 1] : 0;
          S.push(prevS + us[t]);
          const mean = at(mdl.mean, t);
          const sd = at(mdl.sd, t);
          env.push(us[t]);
          win.push(us[t]);
          const scale = Math.abs(S[t]) + Math.abs(mean) + Math.abs(h * sd) + 100;
          assert.ok(close(env.threshold, mean + h * sd, scale));
          const W = S[t] - (t >= w ? S[t - w] : 0);
          assert.ok(close(win.threshold, S[t] - W + mean + h * sd, scale));
          assert.ok(close(win.statistic, (W - mean) / sd, scale));
          const prevC = c;
          c = Math.max(0, prevC - (us[t] - mean) / sd - k);
          cus.push(us[t]);
          assert.ok(close(cus.statistic, c, scale));
          assert.ok(close(cus.threshold, prevS + mean + sd * (prevC - k - hc), scale + Math.abs(sd * prevC)));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('property: scan() over any split of the steps is push() step by step, bit for bit', () => {
  fc.assert(
    fc.property(
      model,
      fc.double({ min: -5, max: 5, noNaN: true }),
      fc.integer({ min: 1, max: 6 }),
      fc.double({ min: 0, max: 2, noNaN: true }),
      incs,
      fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 20 }),
      (mdl, h, w, k, us, cuts) => {
        const { cal, configs } = everyDetector(mdl, h, w, k);
        for (const cfg of configs) {
          const pushed = createMonitor(cfg, cal);
          const expected = run(pushed, us);
          const scanned = createMonitor(cfg, cal);
          const n = us.length;
          const cols = scratchColumns(n);
          const firsts: number[] = [];
          // the steps split into consecutive chunks of the drawn lengths (0 = an empty scan), the rest in one
          let from = 0;
          for (const len of cuts) {
            const to = Math.min(n, from + len);
            firsts.push(scanned.scan(us, from, to, cols));
            from = to;
          }
          firsts.push(scanned.scan(us, from, n, cols));
          for (let t = 0; t < n; t++) {
            const e = expected[t];
            assert.ok(Object.is(cols.scores[t], e.score), `${cfg.kind} step ${t}: score`);
            assert.ok(Object.is(cols.statistics[t], e.statistic), `${cfg.kind} step ${t}: statistic`);
            assert.ok(Object.is(cols.thresholds[t], e.threshold), `${cfg.kind} step ${t}: threshold`);
          }
          // each scan returns its first alarming index, as push() returned true there first
          from = 0;
          for (const [i, len] of [...cuts, n].entries()) {
            const to = Math.min(n, from + len);
            const first = expected.slice(from, to).findIndex((e) => e.alarm);
            assert.equal(firsts[i], first < 0 ? -1 : from + first, `${cfg.kind} chunk ${i}`);
            from = to;
          }
          for (const key of ['step', 'score', 'statistic', 'threshold', 'flaggedStep'] as const) {
            assert.ok(Object.is(scanned[key], pushed[key]), `${cfg.kind}: ${key} after the last scan`);
          }
          // without columns (the scan keeps only the last step's threshold): the same state after every chunk
          const bare = createMonitor(cfg, cal);
          from = 0;
          for (const len of [...cuts, n]) {
            const to = Math.min(n, from + len);
            bare.scan(us, from, to, null);
            from = to;
            if (to === 0) continue;
            const e = expected[to - 1];
            const flagged = expected.slice(0, to).findIndex((x) => x.alarm);
            for (const [key, want] of [
              ['step', e.step],
              ['score', e.score],
              ['statistic', e.statistic],
              ['threshold', e.threshold],
              ['flaggedStep', flagged],
            ] as const)
              assert.ok(Object.is(bare[key], want), `${cfg.kind}: ${key} after a scan to ${to} without columns`);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("past the model's end: envelope extrapolates drift and spread, window and CUSUM use the tail; older models reuse the last entry", () => {
  const env = createMonitor(
    { kind: 'envelope' },
    calFile({ envelope: detCal('envelope', { mean: [1, 2], sd: [1, 1], drift: 1, growth: 3 }, -2) }),
  );
  for (const u of [1, 1, 1, 1]) env.push(u);
  // step 3 is 2 steps past the last (step 1): mean 2 + 2 * 1 = 4, sd sqrt(1 + 2 * 3) = sqrt(7)
  assert.equal(env.score, 4);
  assert.equal(env.statistic, 0);
  assert.ok(Math.abs(env.threshold - (4 - 2 * Math.sqrt(7))) < 1e-12);
  const win = createMonitor(
    { kind: 'window', window: 2 },
    calFile({ window: detCal('window', { mean: [1, 2], sd: [1, 1], tailMean: 10, tailSd: 2 }, -3, { window: 2 }) }),
  );
  for (const u of [1, 1, 1]) win.push(u);
  assert.equal(win.statistic, (2 - 10) / 2, 'step 2: the window sum 2 against the tail mean 10, sd 2');
  const cus = createMonitor(
    { kind: 'cusum', k: 0 },
    calFile({ cusum: detCal('cusum', { mean: [1], sd: [1], tailMean: 3, tailSd: 1 }, 100, { k: 0 }) }),
  );
  cus.push(1);
  assert.equal(cus.statistic, 0);
  cus.push(1);
  assert.equal(cus.statistic, 2, 'step 1: z = (1 - 3) / 1 against the tail');
  const old = createMonitor(
    { kind: 'envelope' },
    calFile({ envelope: detCal('envelope', { mean: [1, 2], sd: [1, 1] }, -2) }),
  );
  for (const u of [1, 1, 1, 1]) old.push(u);
  assert.equal(old.statistic, 4 - 2, 'no extrapolation fields: the last entry');
  assert.throws(
    () =>
      createMonitor(
        { kind: 'envelope' },
        calFile({ envelope: detCal('envelope', { mean: [1], sd: [1], growth: -1 }, -2) }),
      ),
    /envelope\.growth must be a finite number >= 0/,
  );
  assert.throws(
    () =>
      createMonitor(
        { kind: 'cusum', k: 0.5 },
        calFile({ cusum: detCal('cusum', { mean: [1], sd: [1], tailSd: 0 }, 2, { k: 0.5 }) }),
      ),
    /cusum\.tailSd must be a finite number > 0/,
  );
});

test("doubleArray keeps V8's unboxed-double elements whatever the values, and the values exactly", () => {
  // The scans' instruction count depends on the model and ring arrays being unboxed doubles; whole
  // numbers would otherwise make an array of small integers (another elements kind, another map).
  const src = `
    const { doubleArray } = require('./src/core/detectors.ts');
    const vals = [[1, 2, 3], [0, 0], [-0, 1.5, Number.MAX_VALUE]];
    const out = vals.map((v) => { const a = doubleArray(v.length, (i) => v[i]);
      return { double: %HasDoubleElements(a), packed: !%HasHoleyElements(a), same: a.every((x, i) => Object.is(x, v[i])) }; });
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '-e', src], {
    cwd: path.join(__dirname, '..', '..'),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  for (const x of JSON.parse(r.stdout)) assert.deepEqual(x, { double: true, packed: true, same: true });
});
