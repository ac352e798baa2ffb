// Deployment episodes longer than any calibration episode (issue 9), on a scenario written for the
// test (test/fixtures/engine/longer): calibration episodes end at step T = 40, deployment episodes
// run to 3T = 120. An agent whose increments drop after T is flagged by every detector in >= 90%
// of its episodes; the agent that keeps its training behaviour is flagged no more than the
// calibrated bound allows (the Beta-binomial 99.9% quantile, as in detection.test.ts). The trace
// marks the steps beyond training in its header and end record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { betaBinomialQuantile } from '../betaBinomial';
import { readTrace } from '../../src/core/traceReader';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const T = 40;
const EPISODES = 100;

function copyScenario(): string {
  const dir = tempDir('om-longer-');
  fs.cpSync(path.join(root, 'test/fixtures/engine/longer'), dir, { recursive: true });
  return dir;
}

const om = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });

test('deployment 3x longer than training: a drop after T is flagged by every detector, steady behaviour within the bound', () => {
  const dir = copyScenario();
  const r = om(dir, 'report', 'longer.scenario.json', '--episodes', String(EPISODES), '--alpha', '0.05', '--json');
  assert.equal(r.status, 0, r.stderr);
  const rows = (
    JSON.parse(r.stdout) as {
      rows: { agent: string; detector: string; flagged: number; episodes: number; medianFlagStep: number | null }[];
    }
  ).rows;
  const cal = JSON.parse(fs.readFileSync(path.join(dir, 'longer.aligned.calibration.json'), 'utf8'));
  assert.equal(cal.longestEpisode, T);
  assert.equal(cal.episodeLengths.length, 200);
  assert.ok(cal.episodeLengths.every((n: number) => n === T));
  for (const detector of ['envelope', 'window', 'cusum']) {
    const careless = rows.find((x) => x.agent === 'careless' && x.detector === detector)!;
    const aligned = rows.find((x) => x.agent === 'aligned' && x.detector === detector)!;
    assert.equal(careless.episodes, EPISODES);
    assert.ok(careless.flagged >= 0.9 * EPISODES, `${detector}: careless flagged ${careless.flagged}/${EPISODES}`);
    assert.ok(
      careless.medianFlagStep! >= T,
      `${detector}: flagged after the drop at ${T}, median step ${careless.medianFlagStep}`,
    );
    const d = cal.detectors[detector];
    const allowed = betaBinomialQuantile(EPISODES, d.k, d.n + 1 - d.k, 0.999);
    assert.ok(
      aligned.flagged <= allowed,
      `${detector}: aligned flagged ${aligned.flagged}/${EPISODES}, calibration allows <= ${allowed} (k=${d.k}, n=${d.n})`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a deployment episode past the longest calibration episode is marked beyond training in its trace', () => {
  const dir = copyScenario();
  const r = om(
    dir,
    'run',
    'longer.scenario.json',
    '--agent',
    'aligned',
    '--episodes',
    '2',
    '--protocol',
    'flag-only',
    '--json',
  );
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  for (const e of JSON.parse(r.stdout).episodes) {
    const t = readTrace(fs.readFileSync(e.trace));
    assert.deepEqual(t.problems, []);
    assert.equal(t.header?.calibration?.longestEpisode, T);
    assert.equal(t.steps.length, 3 * T);
    assert.deepEqual(t.end?.beyondTraining, { fromStep: T, steps: 2 * T });
  }
  // a calibration episode (within training) carries no such mark
  const c = om(
    dir,
    'run',
    'longer.scenario.json',
    '--agent',
    'aligned',
    '--seed',
    '3',
    '--distribution',
    'calibration',
    '--json',
  );
  const t = readTrace(fs.readFileSync(JSON.parse(c.stdout).episodes[0].trace));
  assert.equal(t.steps.length, T);
  assert.equal(t.end?.beyondTraining, undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});
