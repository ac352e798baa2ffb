// A runner is sent the run's calibration once, with the first episode command that needs it; later
// commands name it by its id (core/wire.ts `heldCalibration`), since parsing ~100-200 KB of model
// numbers cost the Python runner 1.5-3 ms an episode. Under `stop` a runner's own monitor decides
// where it stops, in every episode: on one runner (--workers 1) every episode after the first stops at
// its flag only if the runner used the calibration it kept (without it the monitor cannot be made and
// the episode fails). A runner asked for a calibration it was never sent exits with a message that
// says so rather than running unmonitored.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { copyScenario } from '../scenarioCopy';
import { tmpDir } from './helpers';
import { episode, gymnasiumMissing, PyRunner, PYTHON, ROOT, within } from './pythonHarness';

interface CliEpisode {
  seed: number;
  steps: number;
  flaggedStep: number | null;
  reason: string;
}

/** `run --workers 1 --protocol stop --detector envelope` of `episodes` episodes of agent `agent`: the
 *  CLI calibrates the agent first (no calibration is stored in the copy), then runs them. */
function runCalibrated(scenarioFile: string, agent: string, episodes: number): CliEpisode[] {
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'dist/cli.js'),
      'run',
      scenarioFile,
      '--agent',
      agent,
      '--detector',
      'envelope',
      '--protocol',
      'stop',
      '--episodes',
      String(episodes),
      '--workers',
      '1',
      '--recording',
      'scores',
      '--python',
      PYTHON,
      '--out',
      tmpDir(),
      '--json',
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { episodes: CliEpisode[] }).episodes;
}

function assertEveryEpisodeMonitored(episodes: CliEpisode[], count: number): void {
  assert.equal(episodes.length, count);
  for (const e of episodes) {
    assert.ok(e.reason === 'flagged_stop' || e.reason === 'completed', `seed ${e.seed}: ${e.reason}`);
    // the runner stopped itself at the flag: the flagged step is the last one run
    if (e.reason === 'flagged_stop') assert.equal(e.steps, e.flaggedStep! + 1, `seed ${e.seed}`);
  }
  const laterFlagged = episodes.slice(1).filter((e) => e.reason === 'flagged_stop').length;
  assert.ok(laterFlagged >= 2, `episodes after the first stopped at a flag: ${laterFlagged}`);
}

test('Node runner: every episode of a calibrated run on one runner stops at its flag', () => {
  const file = copyScenario(path.join(ROOT, 'test/fixtures/engine/longer/longer.scenario.json'), tmpDir());
  assertEveryEpisodeMonitored(runCalibrated(file, 'careless', 6), 6);
});

test(
  'Python runner: every episode of a calibrated run on one runner stops at its flag',
  { skip: gymnasiumMissing() },
  () => {
    const file = copyScenario(path.join(ROOT, 'examples/gymnasium/cartpole/cartpole.scenario.json'), tmpDir());
    assertEveryEpisodeMonitored(runCalibrated(file, 'misaligned', 6), 6);
  },
);

const unsent = episode({
  episodeId: 'e1',
  recording: 'scores',
  protocol: 'stop',
  detector: { kind: 'envelope' },
  calibration: null,
  heldCalibration: 'c0ffee',
});

test('Python runner: a command naming a calibration it was not sent ends the runner with a message', async () => {
  const r = new PyRunner();
  r.send(unsent);
  const exit = await within(r.exited, 20_000);
  assert.equal(exit?.code, 65, r.stderr);
  assert.match(r.stderr, /names calibration "c0ffee", which this runner was not sent/);
  assert.ok(!r.records.some((x) => x.t === 'reset'), 'no episode started');
});

test('Node runner: a command naming a calibration it was not sent ends the runner with a message', async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/runner.js')], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let records = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  (child.stdio[3] as Readable).on('data', (d: Buffer) => (records += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  (child.stdio[4] as Writable).write(JSON.stringify(unsent) + '\n');
  const code = await within(exited, 20_000);
  if (code === undefined) child.kill('SIGKILL');
  assert.equal(code, 65, stderr);
  assert.match(stderr, /names calibration "c0ffee", which this runner was not sent/);
  assert.doesNotMatch(records, /"t":"reset"/);
});
