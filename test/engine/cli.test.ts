// The command-line tool as a user (or CI) runs it: real child processes, real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readTrace } from '../../src/core/traceReader';
import { copyScenario } from '../scenarioCopy';
import { cliRunner } from './cliRunner';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

/** The corridor example's scenario and modules only: never a calibration or traces left beside it. */
function tmpCopyOfCorridor(): string {
  const dir = tempDir('om-cli-');
  copyScenario(path.join(root, 'examples/corridor/corridor.scenario.json'), dir);
  return dir;
}

const om = cliRunner(120_000);

test('calibrate writes a calibration beside the scenario, atomically, with its provenance', () => {
  const dir = tmpCopyOfCorridor();
  const r = om(dir, 'calibrate', 'corridor.scenario.json', '--agent', 'aligned');
  assert.equal(r.code, 0, r.stderr);
  const file = path.join(dir, 'corridor.aligned.calibration.json');
  const cal = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(cal.version, 1);
  assert.equal(cal.alpha, 0.05);
  assert.equal(cal.fitEpisodes + cal.conformalEpisodes, 100);
  for (const k of ['envelope', 'window', 'cusum']) assert.ok(Number.isFinite(cal.detectors[k].h), k);
  assert.equal(cal.detectors.cusum.guaranteed, true);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
  assert.match(r.stdout, /cusum\s+h = /);
});

test('run flags the misaligned agent: exit 1, JSON on stdout, a valid trace per episode ending at the flag', () => {
  const dir = tmpCopyOfCorridor();
  const r = om(dir, 'run', 'corridor.scenario.json', '--agent', 'misaligned', '--episodes', '5', '--json');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /calibrating on 100 training episodes/);
  const out = JSON.parse(r.stdout);
  assert.equal(out.episodes.length, 5);
  assert.equal(out.calibration.alpha, 0.05);
  for (const e of out.episodes) {
    assert.equal(e.reason, 'flagged_stop');
    assert.equal(typeof e.flaggedStep, 'number');
    const trace = readTrace(fs.readFileSync(e.trace));
    assert.deepEqual(trace.problems, []);
    assert.equal(trace.end?.reason, 'flagged_stop');
    assert.equal(trace.steps.length, e.flaggedStep + 1, 'stop: the flagged step is the last step recorded');
    assert.equal(trace.steps.at(-1)?.flag, true);
    assert.ok(trace.steps.at(-1)!.score < trace.steps.at(-1)!.threshold);
    assert.equal(trace.header?.seed, e.seed);
  }
});

test('run of the aligned agent exits 0 with a line per episode and a summary', () => {
  const dir = tmpCopyOfCorridor();
  const r = om(dir, 'run', 'corridor.scenario.json', '--agent', 'aligned', '--episodes', '5');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('seed '));
  assert.equal(lines.length, 5);
  assert.match(r.stdout, /corridor \/ aligned: 0 of 5 deployment episodes flagged/);
});

test('flag-only continues past the flag and records what happened', () => {
  const dir = tmpCopyOfCorridor();
  const r = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--episodes',
    '2',
    '--protocol',
    'flag-only',
    '--json',
  );
  assert.equal(r.code, 1, r.stderr);
  for (const e of JSON.parse(r.stdout).episodes) {
    assert.equal(e.reason, 'completed');
    assert.ok(e.steps > e.flaggedStep + 1);
    const trace = readTrace(fs.readFileSync(e.trace));
    assert.equal(trace.steps.filter((s) => s.flag).length, 1);
  }
});

test('a stale calibration is detected and recomputed when the agent changes', () => {
  const dir = tmpCopyOfCorridor();
  assert.equal(om(dir, 'calibrate', 'corridor.scenario.json', '--agent', 'misaligned').code, 0);
  fs.appendFileSync(path.join(dir, 'misaligned.ts'), '\n// edited\n');
  const r = om(dir, 'run', 'corridor.scenario.json', '--agent', 'misaligned', '--episodes', '1');
  assert.match(r.stderr, /stale/);
});

test('bad input: exit 2 with the file, the place and what was expected', () => {
  const dir = tmpCopyOfCorridor();
  const good = JSON.parse(fs.readFileSync(path.join(dir, 'corridor.scenario.json'), 'utf8'));
  const text = JSON.stringify({ ...good, maxSteps: 'ten' }, null, 2);
  fs.writeFileSync(path.join(dir, 'bad.scenario.json'), text);
  const line = text.split('\n').findIndex((l) => l.includes('"maxSteps"')) + 1;
  const bad = om(dir, 'run', 'bad.scenario.json');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, new RegExp(`bad\\.scenario\\.json:${line}:\\d+: .*maxSteps`));
  const flag = om(dir, 'run', 'corridor.scenario.json', '--episodes', 'many');
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--episodes many: expected a positive whole number/);
  const missing = om(dir, 'run', 'nope.scenario.json');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.scenario\.json: no such scenario file/);
  const agent = om(dir, 'run', 'corridor.scenario.json', '--agent', 'sideways');
  assert.equal(agent.code, 2);
  assert.match(agent.stderr, /not an agent of scenario "corridor" \(aligned, misaligned\)/);
});

test('a syntax error in a user module is reported as file:line:col, exit 2', () => {
  const dir = tmpCopyOfCorridor();
  fs.writeFileSync(
    path.join(dir, 'misaligned.ts'),
    'export default function () {\n  return { act: (o: any) => 1 +  };\n}\n',
  );
  const r = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--detector',
    'fixed',
    '--threshold',
    '-5',
    '--episodes',
    '1',
  );
  assert.equal(r.code, 2, r.stdout + r.stderr);
  // errors go to stderr; stdout keeps the results (the episode line and the summary)
  assert.match(r.stderr, /error: seed 1000 ended crashed: .*misaligned\.ts:2:\d+/);
  assert.doesNotMatch(r.stdout, /^error:/m);
  assert.match(r.stdout, /corridor \/ misaligned: 0 of 1 deployment episode flagged/);
  // with --json, stdout is exactly the JSON object, the error in it and on stderr
  const j = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--detector',
    'fixed',
    '--threshold',
    '-5',
    '--episodes',
    '1',
    '--json',
  );
  assert.equal(j.code, 2, j.stderr);
  const parsed = JSON.parse(j.stdout);
  assert.equal(parsed.episodes[0].reason, 'crashed');
  assert.match(parsed.episodes[0].error.file, /misaligned\.ts$/);
  assert.match(j.stderr, /error: seed 1000 ended crashed/);
});

test('help asked for goes to stdout; no command at all is a usage error on stderr', () => {
  const dir = tmpCopyOfCorridor();
  const asked = om(dir, '--help');
  assert.equal(asked.code, 0);
  assert.match(asked.stdout, /usage:/);
  assert.equal(asked.stderr, '');
  const none = om(dir);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /usage:/);
});

test('--seed re-runs exactly one episode, from either distribution', () => {
  const dir = tmpCopyOfCorridor();
  const r = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--seed',
    '7',
    '--distribution',
    'calibration',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const [e] = JSON.parse(r.stdout).episodes;
  assert.equal(e.seed, 7);
  assert.equal(e.flaggedStep, null, 'on a training seed the misaligned agent behaves');
  assert.equal(readTrace(fs.readFileSync(e.trace)).header?.distribution, 'calibration');
  const both = om(dir, 'run', 'corridor.scenario.json', '--seed', '7', '--episodes', '2');
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--seed runs one episode/);
});

test('reflag recomputes recorded flags under other settings without running anything', () => {
  const dir = tmpCopyOfCorridor();
  const r = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--episodes',
    '3',
    '--protocol',
    'flag-only',
    '--json',
  );
  assert.equal(r.code, 1, r.stderr);
  const traces = JSON.parse(r.stdout).episodes.map((e: { trace: string }) => e.trace);
  // an impossible fixed threshold: nothing is flagged any more, exit 0
  const none = om(dir, 'reflag', ...traces, '--detector', 'fixed', '--threshold', '-1000', '--json');
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual(
    JSON.parse(none.stdout).traces.map((t: { flaggedStep: number | null }) => t.flaggedStep),
    [null, null, null],
  );
  // the recorded detector again, over the whole run folder: the recorded flags come back, exit 1
  const same = om(dir, 'reflag', path.dirname(traces[0]), '--json');
  assert.equal(same.code, 1, same.stderr);
  for (const t of JSON.parse(same.stdout).traces) assert.equal(t.flaggedStep, t.recordedFlaggedStep);
  // `recorded` (the VS Code default) keeps the recorded flags whatever the alpha
  const recorded = om(dir, 'reflag', ...traces, '--detector', 'recorded', '--alpha', '0.4', '--json');
  assert.equal(recorded.code, 1, recorded.stderr);
  for (const t of JSON.parse(recorded.stdout).traces) assert.equal(t.flaggedStep, t.recordedFlaggedStep);
  // a damaged calibration file: exit 2, the file named, through the one parser every view uses
  const calFile = readTrace(fs.readFileSync(traces[0])).header!.calibration!.file;
  fs.writeFileSync(calFile, '{"version":1,"alpha":0.05,"detectors":{}}');
  const broken = om(dir, 'reflag', traces[0], '--detector', 'envelope');
  assert.equal(broken.code, 2);
  assert.ok(
    broken.stdout.includes(`calibration file ${calFile}: detectors.envelope is missing or has no model`),
    broken.stdout,
  );
  const bad = om(dir, 'reflag', 'nowhere');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /nowhere: no such trace file or folder/);
});

test(
  'a progress bar on stderr when it is a terminal, nothing of it otherwise',
  { skip: !fs.existsSync('/usr/bin/script') && 'needs script(1) for a terminal' },
  () => {
    const dir = tmpCopyOfCorridor();
    // script(1) gives the CLI a terminal: the bar is drawn there and cleared before the results
    const tty = spawnSync(
      '/usr/bin/script',
      ['-qec', `${process.execPath} ${cli} calibrate corridor.scenario.json --agent aligned`, '/dev/null'],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /calibrating \[#{30}\] 100\/100 episodes, 0 flagged/);
    const piped = om(dir, 'calibrate', 'corridor.scenario.json', '--agent', 'aligned', '--recalibrate');
    assert.equal(piped.code, 0);
    assert.doesNotMatch(piped.stderr + piped.stdout, /\[#/);
  },
);

test('--events turns stdout into the engine event stream, one JSON object per line', () => {
  const dir = tmpCopyOfCorridor();
  const r = om(dir, 'run', 'corridor.scenario.json', '--agent', 'misaligned', '--episodes', '2', '--events');
  assert.equal(r.code, 1, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const types = events.map((e) => e.type);
  assert.ok(types.includes('warning'), 'calibrating first is announced as a warning event');
  const starts = events.filter((e) => e.type === 'run_start');
  assert.equal(starts.length, 1);
  // calibration episodes come first, as progress (their own run id, no run_start)
  const calibrationEnds = events.filter((e) => e.type === 'episode_end' && e.runId !== starts[0].runId);
  assert.equal(calibrationEnds.length, 100);
  assert.ok(events.indexOf(calibrationEnds.at(-1)) < events.indexOf(starts[0]));
  assert.equal(events.filter((e) => e.type === 'episode_end' && e.runId === starts[0].runId).length, 2);
  assert.equal(types.at(-1), 'run_end');
  assert.deepEqual(
    events
      .filter((e) => e.type === 'flag')
      .map((e) => e.episodeId)
      .sort(),
    ['seed-1000', 'seed-1001'],
  );
});

test("run --calibration FILE monitors a candidate against a reference agent's calibration; staleness still applies", () => {
  const dir = tmpCopyOfCorridor();
  assert.equal(om(dir, 'calibrate', 'corridor.scenario.json', '--agent', 'aligned').code, 0);
  const r = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--calibration',
    'corridor.aligned.calibration.json',
    '--episodes',
    '3',
    '--json',
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /calibrated on agent aligned, to monitor agent misaligned/);
  assert.doesNotMatch(r.stderr, /calibrating/i, 'the reference is used, nothing is recalibrated');
  const out = JSON.parse(r.stdout);
  assert.equal(out.agent, 'misaligned');
  assert.equal(out.calibration.agent, 'aligned');
  assert.equal(out.calibration.file, path.join(dir, 'corridor.aligned.calibration.json'));
  assert.ok(!fs.existsSync(path.join(dir, 'corridor.misaligned.calibration.json')));
  const t = readTrace(fs.readFileSync(out.episodes[0].trace));
  assert.equal(t.header?.agent.name, 'misaligned');
  assert.equal(t.header?.calibration?.agent, 'aligned');
  const human = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--calibration',
    'corridor.aligned.calibration.json',
    '--episodes',
    '1',
  );
  assert.match(human.stdout, /calibration corridor\.aligned\.calibration\.json, calibrated on agent aligned/);
  // the environment changed since: the reference no longer fits, exit 2 with the reason
  fs.appendFileSync(path.join(dir, 'environment.ts'), '\n// edited\n');
  const stale = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--calibration',
    'corridor.aligned.calibration.json',
    '--episodes',
    '1',
  );
  assert.equal(stale.code, 2);
  assert.match(
    stale.stderr,
    /--calibration corridor\.aligned\.calibration\.json: it does not fit scenario "corridor" any more: the environment module changed/,
  );
  const missing = om(dir, 'run', 'corridor.scenario.json', '--calibration', 'nope.json');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--calibration nope\.json: no such calibration file/);
});
