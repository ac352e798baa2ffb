// Fail fast: an agent that cannot run is reported after a few episodes, not after every seed.
// Calibration stops (3 failed in a row, or 3+ failed over 10% of those ended) with the first error,
// its file and line, and saves nothing; a deployment run stops when every episode so far failed the
// same way. Real runner children, the fixtures in test/fixtures/engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { computeCalibration } from '../../src/engine/calibrationStore';
import { runEpisodes } from '../../src/engine/index';
import { FailFast } from '../../src/engine/failFast';
import type { EpisodeResult } from '../../src/engine/types';
import { fixture, request, scenario, tmpDir } from './helpers';

const root = path.resolve(__dirname, '../..');

function copyFixtures(names: string[]): string {
  const dir = tmpDir();
  for (const n of names) fs.copyFileSync(fixture(n), path.join(dir, n));
  return dir;
}

test('calibrating an agent that throws on every episode stops after 3 episodes, names the file and line, saves nothing', async () => {
  const dir = copyFixtures(['counterEnv.ts', 'throwingAgent.ts', 'doubleObjective.ts']);
  const sc = {
    ...scenario({ calibration: { seeds: { from: 0, count: 200 } }, maxSteps: 20 }),
    dir,
    file: path.join(dir, 'fixture.scenario.json'),
  };
  const ends: number[] = [];
  const t0 = Date.now();
  await assert.rejects(
    computeCalibration({
      scenario: sc,
      agent: { name: 'throwing', module: path.join(dir, 'throwingAgent.ts'), options: { at: 0 } },
      alpha: 0.05,
      outDir: dir,
      limits: { startupTimeoutMs: 10_000, stepTimeoutMs: 2000, episodeTimeoutMs: 30_000, memoryLimitMb: 256 },
      workers: 2,
      onEvent: (e) => {
        if (e.type === 'episode_end') ends.push(e.seed);
      },
    }),
    (e: Error) => {
      assert.equal(e.name, 'UsageError');
      assert.match(e.message, /calibration stopped early: 3 calibration episodes in a row failed; nothing was saved/);
      assert.match(e.message, /crashed: agent failed on purpose at .*throwingAgent\.ts:7:\d+/);
      return true;
    },
  );
  // the 3 failures, plus per worker the episode running and the one sent ahead (ended killed_by_user)
  assert.ok(ends.length <= 3 + 2 * 2, `episodes ended: ${ends.length} (of 200 seeds)`);
  assert.ok(Date.now() - t0 < 30_000);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith('.calibration.json')),
    [],
  );
});

test('calibrating an agent that hangs stops after 3 step timeouts, not 200', async () => {
  const dir = copyFixtures(['counterEnv.ts', 'faultAgent.js', 'doubleObjective.ts']);
  const sc = {
    ...scenario({ calibration: { seeds: { from: 0, count: 200 } }, maxSteps: 20 }),
    dir,
    file: path.join(dir, 'fixture.scenario.json'),
  };
  const t0 = Date.now();
  await assert.rejects(
    computeCalibration({
      scenario: sc,
      agent: { name: 'hang', module: path.join(dir, 'faultAgent.js'), options: { at: 1, fault: 'hang' } },
      alpha: 0.05,
      outDir: dir,
      limits: { startupTimeoutMs: 10_000, stepTimeoutMs: 400, episodeTimeoutMs: 30_000, memoryLimitMb: 256 },
      workers: 1,
    }),
    /calibration stopped early: 3 calibration episodes in a row failed.*step_timeout/,
  );
  // 3 timeouts of 0.4 s plus runner start-ups; 200 would take well over a minute
  assert.ok(Date.now() - t0 < 20_000, `${Date.now() - t0} ms`);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith('.calibration.json')),
    [],
  );
});

test('a deployment run where every episode fails the same way stops after 3', async () => {
  const req = request({
    agent: 'throwingAgent.ts',
    agentOptions: { at: 2 },
    seeds: Array.from({ length: 30 }, (_, i) => i),
    workers: 1,
  });
  const r = await runEpisodes({ ...req, failFast: 'deployment' });
  // the episodes already handed to the runner behind the current one (at most two) still run
  assert.ok(r.episodes.length >= 3 && r.episodes.length <= 5, `${r.episodes.length} episodes ran`);
  assert.match(r.stoppedEarly ?? '', /all 3 episodes so far failed the same way/);
  for (const e of r.episodes) assert.equal(e.reason, 'crashed');
});

test('the rule: a run where some episodes work, or that fails in different ways, goes on; calibration stops at over 10%', async () => {
  const ff = new FailFast('deployment');
  const ep = (reason: EpisodeResult['reason'], message?: string): EpisodeResult => ({
    episodeId: 'e',
    seed: 0,
    steps: 1,
    finalScore: 0,
    flaggedStep: null,
    reason,
    trace: '',
    increments: new Float64Array(),
    ...(message ? { error: { message, file: '/a.ts', line: 3 } } : {}),
  });
  assert.equal(ff.observe(ep('crashed', 'x')), false);
  assert.equal(ff.observe(ep('completed')), false);
  assert.equal(ff.observe(ep('crashed', 'x')), false);
  assert.equal(ff.observe(ep('crashed', 'x')), false, 'one episode worked: the run goes on');
  const differing = new FailFast('deployment');
  differing.observe(ep('crashed', 'x'));
  differing.observe(ep('crashed', 'y'));
  assert.equal(differing.observe(ep('step_timeout')), false, 'failing in different ways: the run goes on');
  const cal = new FailFast('calibration');
  for (let i = 0; i < 9; i++) cal.observe(ep('completed'));
  cal.observe(ep('crashed', 'x'));
  cal.observe(ep('completed'));
  cal.observe(ep('crashed', 'x'));
  assert.equal(cal.stopped, null, '2 failures: not yet');
  cal.observe(ep('completed'));
  assert.equal(cal.observe(ep('crashed', 'y')), true, '3 of 14 failed, over 10%');
  assert.match(cal.stopped!, /3 of 14 calibration episodes failed/);
  const fine = new FailFast('calibration');
  for (let i = 0; i < 40; i++) fine.observe(ep(i % 15 === 0 ? 'crashed' : 'completed', 'x'));
  assert.equal(fine.stopped, null, '3 of 40 failed: under 10%');
});

test('CLI: calibrating a throwing agent exits 2 with the first error on stderr and writes no calibration', () => {
  const dir = tmpDir();
  fs.cpSync(path.join(root, 'examples/corridor'), dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'broken.ts'),
    'export default () => ({\n  act(): number {\n    throw new Error("no policy loaded");\n  },\n});\n',
  );
  const r = spawnSync(
    process.execPath,
    [path.join(root, 'dist/cli.js'), 'calibrate', 'corridor.scenario.json', '--agent', './broken.ts'],
    { cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /calibration stopped early: 3 calibration episodes in a row failed; nothing was saved\. First error \(seed \d+\): crashed: no policy loaded at .*broken\.ts:3:\d+/,
  );
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith('.calibration.json')),
    [],
  );
});
