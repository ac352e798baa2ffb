// The guard in the Python runner, with real Gymnasium: CliffWalking-v1 copied with copy.deepcopy and
// reseeded through its np_random; an environment deepcopy cannot copy says the guard is unavailable.
// Needs gymnasium + numpy for the interpreter and `node esbuild.mjs` first.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_GUARD } from '../../src/core/guardTypes';
import type { ScenarioFile } from '../../src/core/scenario';
import { runEpisodes } from '../../src/engine/index';
import type { RunRequest } from '../../src/engine/types';
import { tmpDir, trace } from './helpers';
import { FIX, gymnasiumMissing, PYTHON } from './pythonHarness';

function req(spec: Partial<ScenarioFile>, guard = true, recording: 'full' | 'scores' = 'full'): RunRequest {
  const full: ScenarioFile = {
    name: 'pyguard',
    environment: { gymnasium: 'CliffWalking-v1' },
    agent: { module: 'rightAgent.py' },
    maxSteps: 30,
    calibration: { seeds: { from: 0, count: 4 } },
    deployment: { seeds: { from: 100, count: 4 } },
    harm: { info: 'fell' },
    ...spec,
  };
  return {
    scenario: {
      file: path.join(FIX, 'pyguard.scenario.json'),
      dir: FIX,
      hash: 'f'.repeat(64),
      spec: full,
      builtin: false,
    },
    agent: { name: 'right', module: path.join(FIX, 'rightAgent.py'), options: {} },
    distribution: 'deployment',
    seeds: [7],
    recording,
    protocol: 'stop',
    detector: { kind: 'fixed', threshold: -50 },
    calibration: null,
    calibrationFile: null,
    tracesDir: tmpDir(),
    limits: { startupTimeoutMs: 20_000, stepTimeoutMs: 10_000, episodeTimeoutMs: 60_000, memoryLimitMb: 1024 },
    workers: 1,
    python: PYTHON,
    guard: guard ? { ...DEFAULT_GUARD, horizon: 2 } : null,
  };
}

test('reactive: CliffWalking flags the fall after it happened', { skip: gymnasiumMissing() }, async () => {
  const ep = (
    await runEpisodes({
      ...req({}, false),
      scenario: { ...req({}).scenario, spec: { ...req({}).scenario.spec, harm: undefined } },
    })
  ).episodes[0];
  assert.equal(ep.reason, 'flagged_stop');
  assert.equal(ep.flaggedStep, 0);
});

for (const recording of ['full', 'scores'] as const) {
  test(
    `${recording}: Gymnasium CliffWalking through copy.deepcopy: stopped before the step that falls`,
    { skip: gymnasiumMissing() },
    async () => {
      const spec = { objective: undefined, harm: undefined };
      const ep = (await runEpisodes(req(spec, true, recording))).episodes[0];
      assert.equal(ep.reason, 'predicted_stop', ep.error?.message);
      assert.equal(ep.steps, 0);
      assert.equal(ep.prediction?.step, 0);
      assert.equal(ep.prediction?.crossingStep, 0);
      assert.deepEqual(ep.prediction?.increments, [-100]);
      // a raw Gymnasium environment gets fresh randomness through its np_random: not a replay
      assert.equal(ep.prediction?.replay, false);
      assert.equal(ep.guard?.status, 'on');
      assert.equal(ep.guard?.copies?.agent, 'factory');
      const t = trace(ep.trace);
      assert.equal(t.end?.reason, 'predicted_stop');
      assert.equal(t.steps.length, 0);
    },
  );
}

test(
  'an environment copy.deepcopy cannot copy: the guard is unavailable, the run reactive; harm counted',
  { skip: gymnasiumMissing() },
  async () => {
    for (const recording of ['full', 'scores'] as const) {
      const ep = (await runEpisodes(req({ environment: { module: 'lockedEnv.py' } }, true, recording))).episodes[0];
      assert.equal(ep.guard?.status, 'unavailable');
      assert.match(
        ep.guard?.message ?? '',
        /lockedEnv\.py: the environment cannot be copied \(copy\.deepcopy raised TypeError: cannot pickle '_thread\.lock' object\)/,
      );
      assert.equal(ep.reason, 'flagged_stop');
      assert.equal(ep.flaggedStep, 2);
      assert.deepEqual(ep.harmSteps, [2], recording);
    }
  },
);
