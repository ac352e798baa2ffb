// The Python runner through the engine (runEpisodes, dist/runner/python): the fault rows of
// docs/reliability.md for Python user code, and the trace a user reads afterwards.
// Needs `node esbuild.mjs` first (the engine spawns the built runner).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { LoadedScenario, ScenarioFile } from '../../src/core/scenario';
import { runEpisodes } from '../../src/engine/index';
import type { RunRequest } from '../../src/engine/types';
import { alive, problems, rssMb, tmpDir, trace } from './helpers';
import { FIX, fx } from './pythonHarness';

const STEP_TIMEOUT = 600;

function pyRequest(
  o: {
    agentOptions?: Record<string, unknown>;
    recording?: 'full' | 'scores';
    limits?: Partial<RunRequest['limits']>;
    spec?: Partial<ScenarioFile>;
    seeds?: number[];
    agent?: string;
  } = {},
): RunRequest {
  const spec: ScenarioFile = {
    name: 'python-fixture',
    environment: { module: 'countEnv', options: {} },
    agent: { module: 'faultAgent' },
    maxSteps: 2000,
    calibration: { seeds: { from: 0, count: 4 } },
    deployment: { seeds: { from: 100, count: 4 } },
    ...o.spec,
  };
  const scenario: LoadedScenario = {
    file: path.join(FIX, 'fixture.scenario.json'),
    dir: FIX,
    hash: 'f'.repeat(64),
    spec,
    builtin: false,
  };
  return {
    scenario,
    agent: { name: 'fault', module: fx(o.agent ?? 'faultAgent.py'), options: o.agentOptions ?? {} },
    distribution: 'deployment',
    seeds: o.seeds ?? [1],
    recording: o.recording ?? 'full',
    protocol: 'stop',
    detector: { kind: 'fixed', threshold: -1e9 },
    calibration: null,
    calibrationFile: null,
    tracesDir: tmpDir(),
    limits: {
      startupTimeoutMs: 15_000,
      stepTimeoutMs: STEP_TIMEOUT,
      episodeTimeoutMs: 60_000,
      memoryLimitMb: 400,
      ...o.limits,
    },
    workers: 1,
  };
}

for (const recording of ['full', 'scores'] as const) {
  test(`python, ${recording}: a hang at step K ends step_timeout with steps 0..K-1 kept, killed within timeout + 2 s`, async () => {
    const K = 300;
    const markFile = path.join(tmpDir(), 'mark');
    const pidFile = path.join(tmpDir(), 'pid');
    const res = await runEpisodes(pyRequest({ recording, agentOptions: { mode: 'hang', at: K, markFile, pidFile } }));
    const resolvedAt = Date.now();
    const [ep] = res.episodes;
    const t = trace(ep.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(ep.reason, 'step_timeout');
    assert.equal(t.steps.length, K);
    assert.deepEqual(
      t.steps.map((s) => s.step),
      [...Array(K).keys()],
    );
    assert.equal(alive(Number(fs.readFileSync(pidFile, 'utf8'))), false);
    const hangToDead = resolvedAt - Number(fs.readFileSync(markFile, 'utf8'));
    assert.ok(hangToDead <= STEP_TIMEOUT + 2000, `killed ${hangToDead} ms after the hang began`);
    console.log(`# python hang (${recording}): hang start -> runner dead <= ${hangToDead} ms`);
  });
}

test('python: an exception at step K ends crashed with the error, its file and line, steps 0..K-1 kept', async () => {
  const res = await runEpisodes(pyRequest({ agentOptions: { mode: 'raise', at: 5 }, seeds: [1, 2] }));
  for (const ep of res.episodes) {
    const t = trace(ep.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(ep.reason, 'crashed');
    assert.equal(t.steps.length, 5);
    assert.equal(t.end?.error?.message, 'RuntimeError: agent broke at step 5');
    assert.equal(t.end?.error?.file, fx('faultAgent.py'));
    assert.equal(t.end?.error?.phase, 'act');
    assert.ok(typeof t.end?.error?.line === 'number' && t.end.error.line > 0);
  }
});

for (const [mode, recording] of [
  ['sys_exit', 'full'],
  ['sys_exit', 'scores'],
  ['os_exit', 'full'],
  ['os_exit', 'scores'],
  ['kill', 'full'],
] as const) {
  test(`python, ${recording}: ${mode} at step K keeps exactly steps 0..K-1 and one episode_end`, async () => {
    const trials = [3, 117, 999];
    for (const K of trials) {
      const res = await runEpisodes(pyRequest({ recording, agentOptions: { mode, at: K, code: 0 } }));
      const [ep] = res.episodes;
      const t = trace(ep.trace);
      assert.deepEqual(problems(t), []);
      assert.equal(ep.reason, 'crashed', `${mode} K=${K}`);
      assert.deepEqual(
        t.steps.map((s) => s.step),
        [...Array(K).keys()],
        `${mode} K=${K}`,
      );
      assert.ok(t.end, 'one episode_end');
      if (mode !== 'kill')
        assert.match(t.end!.error?.message ?? '', mode === 'sys_exit' ? /sys\.exit\(0\)/ : /os\._exit\(0\)/);
    }
  });
}

test('python: a memory blow-up ends oom within 5 s of crossing the cap; the host stays small', async () => {
  const before = rssMb();
  const markFile = path.join(tmpDir(), 'mark');
  const res = await runEpisodes(
    pyRequest({
      recording: 'scores',
      agentOptions: { mode: 'oom', at: 10, markFile },
      limits: { memoryLimitMb: 300, stepTimeoutMs: 20_000 },
    }),
  );
  const took = Date.now() - Number(fs.readFileSync(markFile, 'utf8'));
  const [ep] = res.episodes;
  assert.equal(ep.reason, 'oom');
  assert.equal(trace(ep.trace).steps.length, 10);
  assert.ok(took < 5000, `oom after ${took} ms`);
  assert.ok(rssMb() - before < 100, `host grew ${rssMb() - before} MB`);
});

test('python: a stdout flood is cut off; the host stays small', async () => {
  const before = rssMb();
  const res = await runEpisodes(
    pyRequest({ agentOptions: { mode: 'flood', at: 4 }, limits: { stepTimeoutMs: 20_000 } }),
  );
  const [ep] = res.episodes;
  const t = trace(ep.trace);
  assert.deepEqual(problems(t), []);
  assert.notEqual(ep.reason, 'completed');
  assert.equal(t.steps.length, 4);
  assert.ok(rssMb() - before < 100, `host grew ${rssMb() - before} MB`);
  console.log(`# python flood: reason ${ep.reason}, detail ${JSON.stringify(t.end?.detail).slice(0, 160)}`);
});
