// The guard's margin is calibrated like the threshold: measured on the held-out calibration episodes
// (reseeded rollouts predict worse than what happens), recorded in the calibration file, and with it
// the aligned agent's false alarms (reactive + predictive) on fresh in-distribution episodes stay
// within the conformal bound.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readCalibration, computeCalibration } from '../../src/engine/calibrationStore';
import { calibrateGuard } from '../../src/engine/guardCalibrate';
import { runEpisodes } from '../../src/engine/index';
import { loadScenario, resolveAgent, seedRange } from '../../src/engine/scenarioLoader';
import { DEFAULT_GUARD, type GuardConfig } from '../../src/core/guardTypes';
import { withGuardThreshold } from '../../src/core/guardCalibration';
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
  const alarms = async (guard: GuardConfig) => {
    const run = await runEpisodes({
      scenario,
      agent,
      distribution: 'calibration',
      seeds: fresh,
      recording: 'scores',
      protocol: 'stop',
      detector,
      // a guarded run uses the detector's h moved by the margin, as `run --guard` does
      calibration: guard ? withGuardThreshold(stored, detector) : stored,
      calibrationFile: file,
      tracesDir: path.join(dir, 'traces'),
      limits,
      workers: 2,
      guard,
    });
    for (const e of run.episodes)
      assert.ok(
        e.reason === 'completed' || e.reason === 'flagged_stop' || e.reason === 'predicted_stop',
        `${e.seed}: ${e.reason}`,
      );
    return run.episodes.filter((e) => e.flaggedStep !== null || e.prediction).length / fresh.length;
  };
  const reactive = await alarms(null as unknown as GuardConfig);
  console.log(`# reactive alone: ${reactive}`);
  const withoutMargin = await alarms(null as unknown as GuardConfig).then(async () => {
    const run = await runEpisodes({
      scenario,
      agent,
      distribution: 'calibration',
      seeds: fresh,
      recording: 'scores',
      protocol: 'stop',
      detector,
      calibration: stored,
      calibrationFile: file,
      tracesDir: path.join(dir, 'traces'),
      limits,
      workers: 2,
      guard: g.guard!,
    });
    return run.episodes.filter((e) => e.flaggedStep !== null || e.prediction).length / fresh.length;
  });
  const withMargin = await alarms(g.guard!);
  console.log(`# without the calibrated margin: ${withoutMargin}`);
  assert.ok(g.guard!.margin > 0, 'reseeded look-aheads predict drops that do not happen: the margin is positive');
  const bound = stored.detectors.cusum.bound;
  console.log(
    `# noisy, in distribution: margin ${g.guard!.margin}, false-alarm rate with the guard ${withMargin} (bound ${bound})`,
  );
  // 200 fresh episodes: allow three standard deviations of sampling error above the bound
  assert.ok(
    withMargin <= bound + 3 * Math.sqrt((bound * (1 - bound)) / fresh.length),
    `false alarms ${withMargin} > bound ${bound}`,
  );
});
