// fork (issue 14) through the command-line tool: real runner children (Node and Python), real traces.
// The cliff fixture: pushing reaches the edge at step 4 and is flagged at step 8; stepping back never is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readTrace } from '../../src/core/traceReader';
import { copy, om, parentTrace } from './forkHarness';

const read = (file: string) => readTrace(fs.readFileSync(file));

test('fork re-creates the state at step N by replay, then the other agent avoids the flag (TypeScript)', () => {
  const dir = copy('cliff.scenario.json');
  const parent = parentTrace(dir, 'cliff.scenario.json');
  const r = om(dir, 'fork', parent, '--step', '4', '--agent', 'back', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.forkOf, { trace: parent, step: 4 });
  assert.equal(out.flaggedStep, null);
  assert.equal(out.reason, 'completed');
  assert.equal(out.firstDifferentAction, 4);
  assert.equal(out.agent, 'back');
  const p = read(parent);
  const f = read(out.trace);
  assert.deepEqual(f.problems, []);
  assert.deepEqual(f.header!.forkOf, { trace: parent, step: 4 });
  assert.equal(f.header!.agent.name, 'back');
  assert.equal(f.header!.seed, p.header!.seed);
  assert.notEqual(path.dirname(out.trace), path.dirname(parent), 'a fork is a run folder of its own');
  // replayed: the parent's actions and observations exactly; then the fork's agent
  for (let i = 0; i < 4; i++) {
    assert.equal(f.steps[i].action, 'push');
    assert.deepEqual(f.steps[i].observation, p.steps[i].observation);
  }
  assert.deepEqual(f.steps[3].observation, { t: 4, d: 4, doomed: false });
  assert.equal(f.steps[4].action, 'back');
  assert.equal(f.steps.length, 20);
  assert.equal(f.end!.flaggedStep, null);
});

test('fork one step later cannot avoid the flag: exit 1, flagged where the parent was', () => {
  const dir = copy('cliff.scenario.json');
  const parent = parentTrace(dir, 'cliff.scenario.json');
  const r = om(dir, 'fork', parent, '--step', '5', '--agent', 'back');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /fork of .* at step 5: agent back took over after 5 replayed steps/);
  assert.match(r.stdout, /FLAGGED at step 8/);
  assert.match(r.stdout, /first action differing from the parent's: step 5/);
});

test('fork reports a scenario that is not deterministic per seed, naming the step', () => {
  const dir = copy('cliff.scenario.json', (s) => {
    s.environment.options.noisy = true;
  });
  const parent = parentTrace(dir, 'cliff.scenario.json');
  const r = om(dir, 'fork', parent, '--step', '3', '--agent', 'back', '--json');
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /not deterministic at step 0: replaying action "push" gave observation \{"d":1,"doomed":false,"noise":[0-9.e-]+,"t":1\}, the parent recorded/,
  );
  assert.equal(r.stdout, '');
});

test("fork is monitored with the parent's calibration and detector", () => {
  const dir = copy('cliff.scenario.json', (s) => {
    delete s.detector;
  });
  const parent = parentTrace(dir, 'cliff.scenario.json', '--detector', 'envelope');
  const r = om(dir, 'fork', parent, '--step', '2', '--agent', 'back', '--json');
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const p = read(parent).header!;
  const f = read(JSON.parse(r.stdout).trace).header!;
  assert.ok(p.calibration);
  assert.deepEqual(f.calibration, p.calibration);
  assert.deepEqual(f.detector, p.detector);
  assert.equal(f.calibration!.agent, 'push');
});

test('fork: bad input is named', () => {
  const dir = copy('cliff.scenario.json');
  const parent = parentTrace(dir, 'cliff.scenario.json');
  let r = om(dir, 'fork', parent, '--step', '9', '--agent', 'back');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--step 9: expected a step of seed-1\.trace\.jsonl, 0\.\.8/);
  r = om(dir, 'fork', parent, '--step', '2');
  assert.match(r.stderr, /fork needs --agent M/);
  r = om(dir, 'fork', parent, '--step', '2', '--agent', 'nobody');
  assert.match(r.stderr, /--agent nobody: not an agent of scenario "cliff" \(push, back\)/);
  const scores = om(
    dir,
    'run',
    'cliff.scenario.json',
    '--agent',
    'push',
    '--seed',
    '1',
    '--recording',
    'scores',
    '--json',
  );
  r = om(dir, 'fork', JSON.parse(scores.stdout).episodes[0].trace, '--step', '2', '--agent', 'back');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /recorded scores only/);
});

test('fork replays through the Python runner too', () => {
  const dir = copy('cliffpy.scenario.json');
  const parent = parentTrace(dir, 'cliffpy.scenario.json');
  let r = om(dir, 'fork', parent, '--step', '4', '--agent', 'back', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.flaggedStep, null);
  assert.equal(out.firstDifferentAction, 4);
  const f = read(out.trace);
  assert.deepEqual(
    f.steps.slice(0, 4).map((s) => s.action),
    ['push', 'push', 'push', 'push'],
  );
  assert.deepEqual(f.steps[3].observation, { t: 4, d: 4, doomed: false });
  r = om(dir, 'fork', parent, '--step', '5', '--agent', 'back', '--json');
  assert.equal(r.code, 1, r.stderr);
  assert.equal(JSON.parse(r.stdout).flaggedStep, 8);
});

test('blame finds the known point of no return by forks, and lists them', () => {
  const dir = copy('cliff.scenario.json');
  const parent = parentTrace(dir, 'cliff.scenario.json');
  const r = om(dir, 'blame', parent, '--agent', 'back', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.flaggedStep, 8);
  assert.equal(out.pointOfNoReturn, 4);
  assert.equal(out.monotone, true);
  const byStep = new Map(out.forks.map((f: { step: number; avoided: boolean }) => [f.step, f.avoided]));
  assert.equal(byStep.get(4), true);
  assert.equal(byStep.get(5), false);
  assert.ok(out.forks.length <= 6, `${out.forks.length} forks`);
  for (const f of out.forks) {
    assert.equal(read(f.trace).header!.forkOf!.step, f.step);
    assert.equal(f.avoided, f.flaggedStep === null);
  }
});

test('blame says when the outcome is not monotone and still finds the latest saving step', () => {
  // stepping back at step 1 is a trap: hand-overs at 0 and 1 fail, 2..4 avoid the flag, 5.. fail
  const dir = copy('cliff.scenario.json', (s) => {
    s.environment.options.trapAt = 1;
  });
  const parent = parentTrace(dir, 'cliff.scenario.json');
  const r = om(dir, 'blame', parent, '--agent', 'back');
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /point of no return: step 4 — agent back taking over at step 4 avoids the flag \(step 8\); from step 5 on it cannot/,
  );
  assert.match(r.stdout, /not monotone/);
  assert.match(r.stderr, /fork at step +0: flagged at step/);
});
