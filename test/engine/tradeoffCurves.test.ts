// `report <scenario> --curves` on a copy of the corridor example: calibrate both agents, run them
// (reactive, then guarded recording every look-ahead), then the curves from what was recorded. The
// curve points at the current alpha must agree with what the runs themselves flagged. Needs
// `node esbuild.mjs` first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import { copyScenario } from '../scenarioCopy';
import { tmpDir } from './helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

function cliIn(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function corridor(): string {
  const dir = tmpDir();
  copyScenario(path.join(root, 'examples/corridor/corridor.scenario.json'), dir);
  return dir;
}

const validate = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/schemas/tradeoff-curves.schema.json'), 'utf8')),
);

test('report --curves with nothing recorded says what to run first', () => {
  const dir = corridor();
  const r = cliIn(dir, 'report', 'corridor.scenario.json', '--curves');
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stderr, /no trade-off curves for corridor/);
  assert.match(
    r.stderr,
    /no calibration of misaligned .*run `objective-monitor calibrate corridor\.scenario\.json --agent misaligned` first/,
  );
  const cal = cliIn(dir, 'calibrate', 'corridor.scenario.json', '--agent', 'misaligned');
  assert.equal(cal.code, 0, cal.stderr);
  const r2 = cliIn(dir, 'report', 'corridor.scenario.json', '--curves', '--agent', 'misaligned');
  assert.equal(r2.code, 2);
  assert.match(
    r2.stderr,
    /no recorded deployment episodes of misaligned .*run `objective-monitor run corridor\.scenario\.json --agent misaligned --protocol flag-only` first/,
  );
});

test('report --curves: detectors and guard across alpha from recorded traces, agreeing with the runs at the current alpha', () => {
  const dir = corridor();
  const s = 'corridor.scenario.json';
  for (const agent of ['aligned', 'misaligned']) assert.equal(cliIn(dir, 'calibrate', s, '--agent', agent).code, 0);
  const aligned = cliIn(dir, 'run', s, '--agent', 'aligned', '--protocol', 'flag-only', '--json');
  assert.ok(aligned.code === 0 || aligned.code === 1, aligned.stderr);
  const guarded = cliIn(
    dir,
    'run',
    s,
    '--agent',
    'misaligned',
    '--protocol',
    'flag-only',
    '--guard',
    '--guard-record',
    'all',
    '--json',
  );
  assert.equal(guarded.code, 1, guarded.stderr);
  const reactive = cliIn(dir, 'run', s, '--agent', 'misaligned', '--protocol', 'flag-only', '--json');
  assert.equal(reactive.code, 1, reactive.stderr);

  const r = cliIn(dir, 'report', s, '--curves', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(validate(out), true, JSON.stringify(validate.errors));
  assert.equal(out.alpha, 0.05);
  assert.equal(out.agents.length, 1);
  const a = out.agents[0];
  assert.equal(a.agent, 'misaligned');
  assert.equal(a.reference, 'aligned');
  assert.equal(a.episodes, 20);
  assert.equal(a.guardEpisodes, 20);
  assert.equal(a.heldOut, 50);
  const byName = Object.fromEntries(a.curves.map((c: { name: string }) => [c.name, c]));
  const cusum = byName.cusum;
  // one point per conformal rank up to alpha 0.5: k/(n+1), k = 1..25
  assert.equal(cusum.points.length, 25);
  cusum.points.forEach((p: { alpha: number; k: number }, i: number) => {
    assert.equal(p.k, i + 1);
    assert.ok(Math.abs(p.alpha - (i + 1) / 51) < 1e-12);
  });
  // alpha 0.05 with 50 held-out episodes: k = floor(0.05 * 51) = 2
  assert.equal(a.current, 1);
  const now = cusum.points[a.current];
  const flagged = (run: { episodes: { flaggedStep: number | null }[] }) =>
    run.episodes.filter((e) => e.flaggedStep !== null).length;
  // the runs used cusum at alpha 0.05: re-flagging their traces at that alpha gives their flags
  assert.deepEqual(now.detection, {
    flagged: flagged(JSON.parse(reactive.stdout)),
    determined: 20,
    undetermined: 0,
    rate: flagged(JSON.parse(reactive.stdout)) / 20,
  });
  assert.equal(now.falseAlarm.flagged, flagged(JSON.parse(aligned.stdout)));
  assert.equal(now.falseAlarm.determined, 20);
  // looser thresholds never detect less, stricter never raise more false alarms (nested flags)
  for (let i = 1; i < cusum.points.length; i++) {
    assert.ok(cusum.points[i].detection.flagged >= cusum.points[i - 1].detection.flagged);
    assert.ok(cusum.points[i].falseAlarm.flagged >= cusum.points[i - 1].falseAlarm.flagged);
  }
  // the guard at the run's alpha: every guarded episode was stopped by a prediction or flagged
  const g = JSON.parse(guarded.stdout);
  const guardNow = byName.guard.points[a.current];
  assert.equal(byName.guard.label, 'guard (cusum k=0.5)');
  assert.equal(
    guardNow.detection.flagged,
    g.episodes.filter(
      (e: { prediction: unknown; flaggedStep: number | null }) => e.prediction || e.flaggedStep !== null,
    ).length,
  );
  // the aligned agent has no guarded runs: the guard's false alarms stand in as the bound
  assert.equal(byName.guard.falseAlarmFrom, 'bound');
  assert.equal(guardNow.falseAlarm, null);
  assert.equal(
    byName.fixed.unavailable,
    'no fixed threshold is set (--threshold H, or a fixed detector in the scenario)',
  );

  const human = cliIn(dir, 'report', s, '--curves', '--threshold', '-3');
  assert.equal(human.code, 0, human.stderr);
  assert.match(
    human.stdout,
    /corridor \/ misaligned: 20 recorded deployment episodes \(20 with every look-ahead\), thresholds from 50 held-out calibration episodes/,
  );
  assert.match(human.stdout, /false alarms: measured on aligned's recorded deployment episodes/);
  assert.match(human.stdout, /^cusum k=0\.5$/m);
  assert.match(human.stdout, /^ {2}0\.0392 .*<- alpha 0\.05$/m);
  assert.match(human.stdout, /^fixed -3$/m);
  assert.match(human.stdout, /^guard \(cusum k=0\.5\) \(false alarms: no episodes of aligned recorded for it/m);
});
