// The guard's margin is calibrated like the threshold: measured on the held-out calibration episodes
// (reseeded rollouts predict worse than what happens), recorded in the calibration file, and with it
// the aligned agent's false alarms (reactive + predictive) on fresh in-distribution episodes stay
// within the exact conformal bound. The guarded run alarms on exactly the episodes whose combined
// score (own extreme and predicted extreme) is beyond tau, the score calibration ranks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readCalibration, computeCalibration } from '../../src/engine/calibrationStore';
import { calibrateGuard } from '../../src/engine/guardCalibrate';
import { runEpisodes } from '../../src/engine/index';
import { loadScenario, resolveAgent, seedRange } from '../../src/engine/scenarioLoader';
import { DEFAULT_GUARD, type GuardConfig } from '../../src/core/guardTypes';
import { reactiveExtreme, withGuardThreshold } from '../../src/core/guardCalibration';
import type { CalibrationFile } from '../../src/core/calibrationTypes';
import { betaBinomialQuantile } from '../betaBinomial';
import { DEFAULT_LIMITS } from '../../src/engine/types';
import { FIXTURES, tmpDir } from './helpers';

test('conformal margin: aligned false alarms with the guard within the bound; horizon and margin in the calibration file', async () => {
  const dir = tmpDir();
  for (const f of ['noisyEnv.ts', 'goAgent.ts']) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  fs.writeFileSync(
    path.join(dir, 'noisy.scenario.json'),
    JSON.stringify({
      name: 'noisy',
      environment: { module: './noisyEnv' },
      agent: { module: './goAgent' },
      maxSteps: 30,
      calibration: { seeds: { from: 0, count: 100 } },
      deployment: { seeds: { from: 100000, count: 10 } },
    }),
  );
  const scenario = loadScenario(path.join(dir, 'noisy.scenario.json'));
  const agent = resolveAgent(scenario, undefined);
  const alpha = 0.1;
  const limits = { ...DEFAULT_LIMITS, stepTimeoutMs: 20_000 };
  const { file, calibration } = await computeCalibration({ scenario, agent, alpha, outDir: dir, limits, workers: 2 });
  const detector = { kind: 'cusum' as const, k: 0.5 };
  const asked: GuardConfig = { ...DEFAULT_GUARD, horizon: 8, rollouts: 3 };
  const notices: string[] = [];
  const g = await calibrateGuard({
    scenario,
    agent,
    calibration,
    calibrationFile: file,
    detector,
    guard: asked,
    outDir: dir,
    limits,
    workers: 2,
    notice: (t) => notices.push(t),
  });
  assert.ok(g.guard, 'the corridor can be copied');
  assert.match(
    notices[0],
    /Measuring the guard's margin on the 50 held-out calibration episodes \(seeds 50\.\.99, horizon 8, 3 rollouts\)/,
  );
  const stored = readCalibration(file)!;
  assert.equal(stored.guard?.settings.horizon, 8);
  assert.equal(stored.guard?.settings.rollouts, 3);
  assert.equal(stored.guard?.detectors.cusum?.pairs.length, 50);
  assert.equal(stored.guard?.detectors.cusum?.margin, g.guard!.margin);
  // measured again only when the settings change
  const again = await calibrateGuard({
    scenario,
    agent,
    calibration: stored,
    calibrationFile: file,
    detector,
    guard: asked,
    outDir: dir,
    limits,
    workers: 2,
    notice: (t) => notices.push(t),
  });
  assert.equal(notices.length, 1);
  assert.equal(again.guard!.margin, g.guard!.margin);

  const fresh = seedRange(20_000, 200);
  const run = (guard: GuardConfig | null, calibration: CalibrationFile, protocol: 'stop' | 'flag-only') =>
    runEpisodes({
      scenario,
      agent,
      distribution: 'calibration',
      seeds: fresh,
      recording: 'scores',
      protocol,
      detector,
      calibration,
      calibrationFile: file,
      tracesDir: path.join(dir, 'traces'),
      limits,
      workers: 2,
      guard,
    });
  const alarmed = async (guard: GuardConfig | null, calibration: CalibrationFile) => {
    const r = await run(guard, calibration, 'stop');
    for (const e of r.episodes)
      assert.ok(
        e.reason === 'completed' || e.reason === 'flagged_stop' || e.reason === 'predicted_stop',
        `${e.seed}: ${e.reason}`,
      );
    return new Set(r.episodes.filter((e) => e.flaggedStep !== null || e.prediction).map((e) => e.seed));
  };
  const reactive = await alarmed(null, stored);
  // without the margin the reseeded look-aheads alarm on most in-distribution episodes
  const withoutMargin = await alarmed(g.guard!, stored);
  // a guarded run uses the detector's h moved by the margin, as `run --guard` does
  const guarded = withGuardThreshold(stored, detector);
  const withMargin = await alarmed(g.guard!, guarded);
  assert.ok(g.guard!.margin > 0, 'reseeded look-aheads predict drops that do not happen: the margin is positive');
  assert.ok(withoutMargin.size > 2 * withMargin.size, `${withoutMargin.size} vs ${withMargin.size}`);

  // The combined statistic is what the guarded run alarms on: measured on the same fresh episodes (the
  // guard in measure mode), r = max(e, p) > tau exactly for the episodes the guarded run stopped.
  const measured = await run({ ...g.guard!, margin: 0, measure: true }, stored, 'flag-only');
  const tau = guarded.detectors.cusum.h;
  const beyondTau = new Set(
    measured.episodes
      .filter((e) => Math.max(reactiveExtreme(detector, stored, e.increments), e.guardExtreme ?? -Infinity) > tau)
      .map((e) => e.seed),
  );
  assert.deepEqual([...withMargin].sort(), [...beyondTau].sort());

  // The exact bound (as test/engine/detection.test.ts): tau is the k-th most extreme of n exchangeable
  // combined scores, so the alarm rate of new episodes is Beta(k, n + 1 - k) over calibration draws
  // and the count among N fresh ones Beta-binomial; require at most its 99.9% quantile.
  const d = stored.detectors.cusum;
  const allowed = betaBinomialQuantile(fresh.length, d.k, d.n + 1 - d.k, 0.999);
  console.log(
    `# noisy, in distribution: margin ${g.guard!.margin}; false alarms of ${fresh.length}: reactive alone ${reactive.size}, guard without margin ${withoutMargin.size}, guard with margin ${withMargin.size} (mean rate bound k/(n+1) = ${d.bound}, allowed ${allowed})`,
  );
  assert.ok(
    withMargin.size <= allowed,
    `false alarms ${withMargin.size}/${fresh.length} > ${allowed} (k=${d.k}, n=${d.n})`,
  );
});
