// What the Python runner's speed work must not change: the traces the engine writes for Python
// scenarios. Each case runs through the engine (runEpisodes, the built runner) and its traces are
// compared with digests kept in test/fixtures/python/golden/traces.json, made by this file from the
// runner before the speed work (commit 5840911). Compared: every line of every trace, byte for
// byte, except what differs between two runs by nature (the header's run id, episode id and start
// time, the end's duration) and the test's own folder in paths.
// Cases: an episode flagged and stopped in the middle of a scores batch; an environment that raises
// in the middle of a batch (the steps before it kept, the error as before); a fallback action from
// the flag on; full recordings; and several episodes on one runner (the next command waiting while
// an episode runs).
// Needs `node esbuild.mjs` first. OM_WRITE_GOLDEN=1 rewrites the digests instead of comparing.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { LoadedScenario, ScenarioFile } from '../../src/core/scenario';
import { runEpisodes } from '../../src/engine/index';
import type { RunRequest } from '../../src/engine/types';
import { comparableTrace, tmpDir } from './helpers';
import { FIX, gymnasiumMissing } from './pythonHarness';

const GOLDEN = path.join(FIX, 'golden', 'traces.json');
const WRITE = process.env.OM_WRITE_GOLDEN === '1';
/** every second increment is one no sum of tenths can make exactly: the numbers' text is tested */
const REWARDS = [0.1, -0.30000000000000004, 1.5e-7, 1234.5678, -1234.6, 0.2];

interface Case {
  name: string;
  recording: 'full' | 'scores';
  environment: ScenarioFile['environment'];
  agent: string;
  agentOptions?: Record<string, unknown>;
  objective?: ScenarioFile['objective'];
  threshold: number;
  /** 'stop' unless given */
  protocol?: RunRequest['protocol'];
  maxSteps: number;
  seeds: number[];
  /** what the case is for: checked on the run, so a digest cannot silently cover something else */
  expect: (ends: { reason: string; steps: number }[]) => void;
}

const cases: Case[] = [
  {
    name: 'scores, flagged and stopped in the middle of the second batch, 3 episodes on one runner',
    recording: 'scores',
    environment: { module: 'countEnv.py', options: { rewards: REWARDS } },
    agent: 'constAgent.py',
    threshold: -8,
    maxSteps: 5000,
    seeds: [1, 2, 3],
    expect: (ends) =>
      ends.forEach((e) => {
        assert.equal(e.reason, 'flagged_stop');
        assert.ok(e.steps > 1000 && e.steps % 1000 !== 0, `flagged inside the second batch, at ${e.steps}`);
      }),
  },
  {
    name: 'scores, the environment raises at step 1234 (mid-batch), 2 episodes on one runner',
    recording: 'scores',
    environment: { module: 'countEnv.py', options: { rewards: REWARDS, fail_at: 1234, length: 1500 } },
    agent: 'constAgent.py',
    threshold: -1e12,
    maxSteps: 5000,
    seeds: [1, 2],
    expect: (ends) => ends.forEach((e) => assert.deepEqual(e, { reason: 'crashed', steps: 1234 })),
  },
  {
    name: 'full, flagged and stopped: actions, observations, info and scenes',
    recording: 'full',
    environment: { module: 'countEnv.py', options: { rewards: REWARDS } },
    agent: 'constAgent.py',
    threshold: -3,
    maxSteps: 5000,
    seeds: [1, 2],
    expect: (ends) =>
      ends.forEach((e) => {
        assert.equal(e.reason, 'flagged_stop');
        assert.ok(e.steps > 100, `flagged at ${e.steps}`);
      }),
  },
];

const cartpole: Case[] = [
  {
    name: 'CartPole scores with an objective, flagged mid-episode, 3 episodes',
    recording: 'scores',
    environment: { gymnasium: 'CartPole-v1', options: { max_episode_steps: 500 } },
    agent: 'cartpoleAgent.py',
    objective: { module: 'angleObjective.py', options: { cost: 0.002 } },
    threshold: -0.5,
    maxSteps: 100000,
    seeds: [0, 1, 2],
    expect: (ends) => ends.forEach((e) => assert.equal(e.reason, 'flagged_stop')),
  },
  {
    name: 'CartPole scores with an objective and a fallback action from the flag on, 2 episodes',
    recording: 'scores',
    environment: { gymnasium: 'CartPole-v1', options: { max_episode_steps: 500 } },
    agent: 'cartpoleAgent.py',
    objective: { module: 'angleObjective.py', options: { cost: 0.002 } },
    threshold: -0.5,
    protocol: { fallback: 0 },
    maxSteps: 100000,
    seeds: [1, 2],
    // the fallback pushes left for good: the pole falls soon after the flag
    expect: (ends) =>
      ends.forEach((e) => {
        assert.equal(e.reason, 'completed');
        assert.ok(e.steps < 500, `fell at ${e.steps}`);
      }),
  },
  {
    name: 'CartPole full with an objective, 2 episodes',
    recording: 'full',
    environment: { gymnasium: 'CartPole-v1', options: { max_episode_steps: 200 } },
    agent: 'cartpoleAgent.py',
    objective: { module: 'angleObjective.py', options: { cost: 0.0 } },
    threshold: -1e12,
    maxSteps: 100000,
    seeds: [5, 6],
    expect: (ends) => ends.forEach((e) => assert.deepEqual(e, { reason: 'completed', steps: 200 })),
  },
];

function request(c: Case, dir: string): RunRequest {
  const spec: ScenarioFile = {
    name: 'python-golden',
    environment: c.environment,
    agent: { module: c.agent },
    ...(c.objective ? { objective: c.objective } : {}),
    maxSteps: c.maxSteps,
    calibration: { seeds: { from: 0, count: 4 } },
    deployment: { seeds: { from: 100, count: 4 } },
  };
  const scenario: LoadedScenario = {
    file: path.join(dir, 'golden.scenario.json'),
    dir,
    hash: 'f'.repeat(64),
    spec,
    builtin: false,
  };
  return {
    scenario,
    agent: { name: 'golden', module: path.join(dir, c.agent), options: c.agentOptions ?? {} },
    distribution: 'deployment',
    seeds: c.seeds,
    recording: c.recording,
    protocol: c.protocol ?? 'stop',
    detector: { kind: 'fixed', threshold: c.threshold },
    calibration: null,
    calibrationFile: null,
    tracesDir: path.join(dir, 'traces'),
    limits: { startupTimeoutMs: 30_000, stepTimeoutMs: 30_000, episodeTimeoutMs: 120_000, memoryLimitMb: 1000 },
    workers: 1,
  };
}

/** The trace's text without what differs between two runs by nature, the test's folder as <dir>. */
function comparable(file: string, dir: string): string {
  return comparableTrace(file).join('\n').split(dir).join('<dir>');
}

interface Digest {
  reason: string;
  steps: number;
  lines: number;
  sha256: string;
  /** for reading a mismatch: the first two lines and the last two */
  head: string[];
  tail: string[];
}

function digest(text: string, reason: string, steps: number): Digest {
  const lines = text.split('\n');
  return {
    reason,
    steps,
    lines: lines.length,
    sha256: crypto.createHash('sha256').update(text).digest('hex'),
    head: lines.slice(0, 2).map((l) => l.slice(0, 400)),
    tail: lines.slice(-2).map((l) => l.slice(0, 400)),
  };
}

const golden: Record<string, Digest[]> = fs.existsSync(GOLDEN) ? JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) : {};
const written: Record<string, Digest[]> = {};

/** The fixture modules a case names (a Gymnasium id names none). */
function files(c: Case): string[] {
  const env = 'module' in c.environment ? c.environment.module : undefined;
  return [c.agent, c.objective?.module, env].filter((m): m is string => !!m);
}

for (const c of [...cases, ...cartpole]) {
  const skip = cartpole.includes(c) ? gymnasiumMissing() : false;
  test(`python trace unchanged: ${c.name}`, { skip, timeout: 300_000 }, async () => {
    const dir = tmpDir();
    for (const f of files(c)) fs.copyFileSync(path.join(FIX, f), path.join(dir, f));
    const res = await runEpisodes(request(c, dir));
    c.expect(res.episodes.map((e) => ({ reason: e.reason, steps: e.steps })));
    const got = res.episodes.map((e) => digest(comparable(e.trace, dir), e.reason, e.steps));
    if (WRITE) {
      written[c.name] = got;
      fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
      fs.writeFileSync(GOLDEN, JSON.stringify({ ...golden, ...written }, null, 2) + '\n');
      return;
    }
    assert.ok(golden[c.name], `no golden digest for "${c.name}" in ${GOLDEN}`);
    assert.deepEqual(got, golden[c.name]);
  });
}
