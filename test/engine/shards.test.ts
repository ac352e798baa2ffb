// Shards through the real CLI (issue 13): calibrate --shard I/N on each slice, merge, and the file is
// the single machine's (only computedAt differs); run --shard writes run folders that report reads
// as one run; a missing shard, a duplicated run folder or a shard run without a calibration is a
// clear input error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readTrace } from '../../src/core/traceReader';
import { copyScenario } from '../scenarioCopy';
import { cliRunner } from './cliRunner';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');

function corridor(): string {
  const dir = tempDir('om-shards-');
  copyScenario(path.join(root, 'examples/corridor/corridor.scenario.json'), dir);
  return dir;
}

const om = cliRunner(240_000);

const withoutComputedAt = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.includes('"computedAt"'))
    .join('\n');

test('calibrate --shard on 3 slices + merge in any order = the single-machine calibration, byte for byte', () => {
  const dir = corridor();
  const single = om(dir, 'calibrate', 'corridor.scenario.json', '--agent', 'aligned', '--workers', '1');
  assert.equal(single.code, 0, single.stderr);
  const singleFile = path.join(dir, 'corridor.aligned.calibration.json');
  fs.renameSync(singleFile, path.join(dir, 'single.json'));

  const partials: string[] = [];
  for (const i of [1, 2, 3]) {
    const r = om(
      dir,
      'calibrate',
      'corridor.scenario.json',
      '--agent',
      'aligned',
      '--shard',
      `${i}/3`,
      '--workers',
      '1',
      '--out',
      `out${i}`,
    );
    assert.equal(r.code, 0, r.stderr);
    const partial = path.join(dir, `corridor.aligned.shard-${i}-of-3.partial.json`);
    assert.ok(fs.existsSync(partial), r.stdout);
    partials.push(partial);
    // each shard writes the traces of its own seeds, and only those
    const [run] = fs.readdirSync(path.join(dir, `out${i}`, 'calibration', 'traces'));
    const traces = fs
      .readdirSync(path.join(dir, `out${i}`, 'calibration', 'traces', run))
      .sort((a, b) => parseInt(a.slice(5)) - parseInt(b.slice(5)));
    const from = [0, 33, 66][i - 1];
    const count = [33, 33, 34][i - 1];
    assert.deepEqual(
      traces,
      Array.from({ length: count }, (_, j) => `seed-${from + j}.trace.jsonl`),
    );
  }
  const json = JSON.parse(
    om(
      dir,
      'calibrate',
      'corridor.scenario.json',
      '--agent',
      'aligned',
      '--shard',
      '2/3',
      '--json',
      '--out',
      'o',
      '-o',
      'p.json',
    ).stdout,
  );
  assert.deepEqual(json, {
    partial: path.join(dir, 'p.json'),
    shard: { index: 2, count: 3 },
    seeds: { from: 33, count: 33 },
    episodes: 33,
  });

  // default output: where the partials' names point, i.e. where run looks for the calibration
  const merged = om(dir, 'merge', partials[2], partials[0], partials[1]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(merged.stdout, /3 shards merged/);
  assert.equal(withoutComputedAt(singleFile), withoutComputedAt(path.join(dir, 'single.json')));
  const a = JSON.parse(fs.readFileSync(singleFile, 'utf8'));
  const b = JSON.parse(fs.readFileSync(path.join(dir, 'single.json'), 'utf8'));
  for (const k of ['envelope', 'window', 'cusum']) assert.equal(a.detectors[k].h, b.detectors[k].h);
  // and run accepts the merged file as current (no recalibration)
  const run = om(dir, 'run', 'corridor.scenario.json', '--agent', 'aligned', '--episodes', '2');
  assert.equal(run.code, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /calibrating/i);

  const missing = om(dir, 'merge', partials[0], partials[2], '-o', 'x.json');
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /missing shard 2\/3 \(seeds 33\.\.65\); given: .*shard-1-of-3\.partial\.json \(1\/3\), .*shard-3-of-3\.partial\.json \(3\/3\)/,
  );
  const twice = om(dir, 'merge', partials[0], partials[1], partials[1], partials[2], '-o', 'x.json');
  assert.equal(twice.code, 2);
  assert.match(
    twice.stderr,
    /shard 2\/3 is given twice: .*shard-2-of-3\.partial\.json and .*shard-2-of-3\.partial\.json/,
  );
  assert.equal(fs.existsSync(path.join(dir, 'x.json')), false);
  const notPartial = om(dir, 'merge', singleFile, '-o', 'x.json');
  assert.equal(notPartial.code, 2);
  assert.match(notPartial.stderr, /corridor\.aligned\.calibration\.json: not a calibration partial/);
  const bad = om(dir, 'calibrate', 'corridor.scenario.json', '--shard', '4/3');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--shard 4\/3: I must be between 1 and 3/);
});

test("run --shard splits the deployment seeds; report over the shards' run folders = report over one run", () => {
  const dir = corridor();
  const refused = om(dir, 'run', 'corridor.scenario.json', '--agent', 'aligned', '--shard', '1/2', '--episodes', '6');
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /run --shard 1\/2: no calibration at .*corridor\.aligned\.calibration\.json; calibrate first/,
  );
  for (const agent of ['aligned', 'misaligned'])
    assert.equal(om(dir, 'calibrate', 'corridor.scenario.json', '--agent', agent).code, 0);

  const folders: string[] = [];
  const whole: string[] = [];
  for (const agent of ['aligned', 'misaligned']) {
    for (const i of [1, 2]) {
      const r = om(
        dir,
        'run',
        'corridor.scenario.json',
        '--agent',
        agent,
        '--shard',
        `${i}/2`,
        '--episodes',
        '6',
        '--protocol',
        'flag-only',
        '--recording',
        'scores',
        '--json',
        '--out',
        `shard${i}`,
      );
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      const out = JSON.parse(r.stdout);
      const from = JSON.parse(fs.readFileSync(path.join(dir, 'corridor.scenario.json'), 'utf8')).deployment.seeds.from;
      assert.deepEqual(
        out.episodes.map((e: { seed: number }) => e.seed),
        [0, 1, 2].map((j) => from + 3 * (i - 1) + j),
      );
      assert.equal(readTrace(fs.readFileSync(out.episodes[0].trace)).header?.seed, out.episodes[0].seed);
      folders.push(path.dirname(out.episodes[0].trace));
    }
    const r = om(
      dir,
      'run',
      'corridor.scenario.json',
      '--agent',
      agent,
      '--episodes',
      '6',
      '--protocol',
      'flag-only',
      '--recording',
      'scores',
      '--json',
      '--out',
      'whole',
    );
    whole.push(path.dirname(JSON.parse(r.stdout).episodes[0].trace));
  }
  const sharded = om(dir, 'report', ...folders, '--json');
  assert.equal(sharded.code, 0, sharded.stderr);
  const one = om(dir, 'report', ...whole, '--json');
  assert.equal(one.code, 0, one.stderr);
  const rows = JSON.parse(sharded.stdout).rows;
  assert.deepEqual(rows, JSON.parse(one.stdout).rows);
  assert.equal(rows.length, 6);
  assert.ok(rows.every((r: { episodes: number }) => r.episodes === 6));
  assert.ok(
    rows.filter((r: { agent: string }) => r.agent === 'misaligned').every((r: { flagged: number }) => r.flagged > 0),
  );
  const human = om(dir, 'report', ...folders);
  assert.match(human.stdout, /corridor: 12 recorded deployment episodes from 4 run folders/);

  const dup = om(dir, 'report', folders[0], folders[1], folders[0]);
  assert.equal(dup.code, 2);
  assert.match(
    dup.stderr,
    /seed \d+ of agent aligned is in two traces: .*seed-\d+\.trace\.jsonl and .*seed-\d+\.trace\.jsonl/,
  );
  const both = om(dir, 'run', 'corridor.scenario.json', '--shard', '1/2', '--seed', '3');
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--shard splits the deployment seeds; --seed runs one episode/);
});
