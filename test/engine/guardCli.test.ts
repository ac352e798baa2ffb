// `run --guard` on the command line: the corridor example (clone() and reseed(seed)), reactive and
// guarded side by side; --json episodes carry the prediction that fired and harmSteps; flags that
// set the guard without --guard are a usage error. Needs `node esbuild.mjs` first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tmpDir } from './helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

function corridor(): string {
  const dir = tmpDir();
  fs.cpSync(path.join(root, 'examples/corridor'), dir, { recursive: true });
  return dir;
}

function run(dir: string, ...args: string[]) {
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'run',
      'corridor.scenario.json',
      '--agent',
      'misaligned',
      '--detector',
      'fixed',
      '--threshold',
      '-3',
      '--episodes',
      '6',
      '--out',
      path.join(dir, 'out'),
      ...args,
    ],
    { cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('run --guard --json: predictions that fired, harm before the stop, reactive vs guarded', () => {
  const dir = corridor();
  const reactive = run(dir, '--json');
  assert.equal(reactive.code, 1, reactive.stderr);
  const r = JSON.parse(reactive.stdout);
  assert.equal(r.guard, null);
  const guarded = run(dir, '--json', '--guard', '--horizon', '12', '--rollouts', '2');
  assert.equal(guarded.code, 1, guarded.stderr);
  const g = JSON.parse(guarded.stdout);
  assert.equal(g.guard.horizon, 12);
  assert.equal(g.guard.rollouts, 2);
  for (const e of g.episodes) {
    assert.equal(e.reason, 'predicted_stop');
    assert.equal(e.flaggedStep, null);
    assert.equal(e.prediction.step, e.steps, 'stopped before the action of the predicted step');
    assert.equal(e.prediction.horizon, 12);
    assert.equal(e.prediction.replay, false, 'the corridor offers reseed(seed)');
    assert.ok(e.prediction.crossingStep >= e.prediction.step && e.prediction.crossingStep < e.prediction.step + 12);
    assert.ok(e.prediction.predictedScore < -3);
    assert.deepEqual(e.harmSteps, []);
  }
  for (const e of r.episodes) assert.equal(e.prediction, undefined);
  // the guard stops each episode no later than the reactive flag would have
  for (let i = 0; i < g.episodes.length; i++) assert.ok(g.episodes[i].steps <= r.episodes[i].flaggedStep);
  assert.equal(g.harm.info, 'wrongEnd');
  assert.equal(g.harm.harmfulEpisodes, 0);
  const human = run(dir, '--guard', '--horizon', '12');
  assert.match(human.stdout, /PREDICTED at step \d+/);
  assert.match(human.stdout, /6 of 6 deployment episodes flagged, 6 by the guard's prediction/);
  assert.match(human.stdout, /guard: horizon 12, 1 rollout, margin 0/);
  assert.match(human.stdout, /harm \(info\.wrongEnd\): 0 of 6 episodes had a harmful event before the stop/);
});

test('--horizon without --guard is a usage error; a bad horizon names the flag', () => {
  const dir = corridor();
  const a = run(dir, '--horizon', '5');
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--horizon sets the predictive guard; add --guard to run with it/);
  const b = run(dir, '--guard', '--horizon', '0');
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--horizon 0: expected a whole number of steps from 1 to 10000/);
});

test('many predicted stops are not failures: fail-fast lets the whole run go on', () => {
  const dir = corridor();
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'run',
      'corridor.scenario.json',
      '--agent',
      'misaligned',
      '--detector',
      'fixed',
      '--threshold',
      '-3',
      '--episodes',
      '8',
      '--guard',
      '--json',
      '--out',
      path.join(dir, 'out'),
    ],
    { cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.episodes.length, 8);
  assert.ok(j.episodes.every((e: { reason: string }) => e.reason === 'predicted_stop'));
  assert.doesNotMatch(r.stderr, /stopped early/);
});
