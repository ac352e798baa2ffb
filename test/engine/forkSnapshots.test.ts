// Fork snapshots (issue 14, docs/forks.md): a blame keeps one runner across its forks, its first
// replay keeps copies of the state every K steps, and later forks restore the nearest one. What a
// user gets must not change: a restored fork's trace is byte for byte the trace of the same fork
// replayed from reset (`fork`, which always replays), except the header's run id, episode id and
// start time and the end's duration; the point of no return is the same; modules that cannot be
// copied fall back to replay and the blame says so; a clone() sharing state is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { copyScenario } from '../scenarioCopy';
import { copy, om, parentTrace, type EditableSpec } from './forkHarness';
import { comparableTrace } from './helpers';
import { gymnasiumMissing, ROOT } from './pythonHarness';
import { tempDir } from '../tempDirs';

interface BlameJson {
  pointOfNoReturn: number | null;
  snapshots: { every: number | null; restoredSteps: number; replayedSteps: number; problem?: string };
  forks: { step: number; restoredFrom: number | null; trace: string; avoided: boolean }[];
}

/** A cliff long enough for snapshots to matter: the edge at 20, the flag about 20 steps later. */
const longCliff =
  (clone?: string) =>
  (s: EditableSpec): void => {
    Object.assign(s.environment.options, { edge: 20, length: 60, ...(clone ? { clone } : {}) });
    s.maxSteps = 60;
  };

function blame(dir: string, parent: string, agent: string): BlameJson {
  const r = om(dir, 'blame', parent, '--agent', agent, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as BlameJson;
}

/** Every restored fork of the blame against `fork` of the same step, which replays from reset. */
function assertRestoredEqualsReplayed(dir: string, parent: string, agent: string, out: BlameJson): void {
  const restored = out.forks.filter((f) => f.restoredFrom !== null);
  assert.ok(restored.length >= 2, `restored forks: ${JSON.stringify(out.forks)}`);
  // the first, a middle and the last restored fork (each comparison runs one more fork)
  const picked = [...new Set([restored[0], restored[restored.length >> 1], restored[restored.length - 1]])];
  for (const f of picked) {
    assert.ok(f.restoredFrom! < f.step, 'a fork restores a snapshot strictly before its step');
    const r = om(dir, 'fork', parent, '--step', String(f.step), '--agent', agent, '--json');
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const replayed = JSON.parse(r.stdout).trace as string;
    assert.deepEqual(comparableTrace(f.trace), comparableTrace(replayed), `fork at step ${f.step}`);
  }
}

test('blame restores snapshots (TypeScript): same point of no return, and each restored trace equals the replayed one', () => {
  const dir = copy('cliff.scenario.json', longCliff('good'));
  const parent = parentTrace(dir, 'cliff.scenario.json');
  const out = blame(dir, parent, 'back');
  assert.equal(out.pointOfNoReturn, 19);
  assert.equal(out.snapshots.problem, undefined);
  assert.equal(out.snapshots.every, 2, 'the first fork (at the flag, step 39) keeps at most 32 snapshots');
  assert.ok(out.snapshots.restoredSteps > out.snapshots.replayedSteps, JSON.stringify(out.snapshots));
  assert.equal(out.forks[0].restoredFrom, null, 'the first fork replays and keeps the snapshots');
  assertRestoredEqualsReplayed(dir, parent, 'back', out);
  const human = om(dir, 'blame', parent, '--agent', 'back');
  assert.match(human.stdout, /snapshots every 2 steps: \d+ steps restored from snapshots, \d+ replayed/);
});

test('blame without clone() replays every fork from reset, says so, and finds the same point', () => {
  const dir = copy('cliff.scenario.json', longCliff());
  const parent = parentTrace(dir, 'cliff.scenario.json');
  const out = blame(dir, parent, 'back');
  assert.equal(out.pointOfNoReturn, 19);
  assert.match(out.snapshots.problem ?? '', /the environment has no clone\(\) method/);
  assert.equal(out.snapshots.restoredSteps, 0);
  assert.equal(
    out.snapshots.replayedSteps,
    out.forks.reduce((n, f) => n + f.step, 0),
  );
  assert.ok(out.forks.every((f) => f.restoredFrom === null));
  const human = om(dir, 'blame', parent, '--agent', 'back');
  assert.match(
    human.stdout,
    /no snapshots \(the environment has no clone\(\) method\): every fork replayed from reset, \d+ steps replayed/,
  );
});

test('a clone() that shares state with the original is caught: not deterministic, naming the snapshot', () => {
  const dir = copy('cliff.scenario.json', longCliff('shared'));
  const parent = parentTrace(dir, 'cliff.scenario.json');
  const r = om(dir, 'blame', parent, '--agent', 'back');
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /not deterministic at step (\d+): replaying action "push" gave observation .*, the parent recorded .* \(restored from the snapshot kept before step \1: a clone\(\) that shares state with the original/,
  );
});

test('Python: copy.deepcopy makes the snapshots; one it cannot copy falls back to replay', () => {
  const dir = copy('cliffpy.scenario.json', longCliff());
  const parent = parentTrace(dir, 'cliffpy.scenario.json');
  const out = blame(dir, parent, 'back');
  assert.equal(out.pointOfNoReturn, 19);
  assert.ok(out.snapshots.restoredSteps > 0, JSON.stringify(out.snapshots));
  assertRestoredEqualsReplayed(dir, parent, 'back', out);

  const locked = copy('cliffpy.scenario.json', (s) => {
    longCliff()(s);
    s.environment.options.uncopyable = true;
  });
  const p2 = parentTrace(locked, 'cliffpy.scenario.json');
  const out2 = blame(locked, p2, 'back');
  assert.equal(out2.pointOfNoReturn, 19);
  assert.match(
    out2.snapshots.problem ?? '',
    /the state cannot be copied \(TypeError: cannot pickle '_thread.lock' object\)/,
  );
  assert.equal(out2.snapshots.restoredSteps, 0);
});

test(
  'Gymnasium (CliffWalking with gusts and ice): restored forks equal replayed ones, random generator included',
  { skip: gymnasiumMissing() },
  () => {
    const dir = tempDir('om-snap-gym-');
    const file = copyScenario(path.join(ROOT, 'examples/gymnasium/cliffwalking/cliffwalking.scenario.json'), dir);
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    // a fixed threshold (no calibration to run): flagged at the walker's second fall off the icy ledge
    spec.detector = { kind: 'fixed', threshold: -150 };
    spec.deployment.environment.ice = 0.25;
    fs.writeFileSync(file, JSON.stringify(spec));
    const run = om(
      dir,
      'run',
      path.basename(file),
      '--agent',
      'misaligned',
      '--seed',
      '1',
      '--distribution',
      'deployment',
      '--json',
    );
    assert.equal(run.code, 1, run.stderr);
    const parent = JSON.parse(run.stdout).episodes[0].trace as string;
    const out = blame(dir, parent, 'aligned');
    assert.equal(out.snapshots.problem, undefined);
    assert.ok(out.snapshots.restoredSteps > 0, JSON.stringify(out.snapshots));
    assertRestoredEqualsReplayed(dir, parent, 'aligned', out);
  },
);
