// The Ray driver (tools/ray/calibrate_sharded.py) on a local Ray instance with 4 shards: each Ray task
// runs the real CLI on its slice, the driver gathers the partials and merges, and the calibration is
// the one a single machine computes (only computedAt differs). Needs the `ray` Python package
// (scripts/setup.sh installs it); without it the test is skipped and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyScenario } from '../scenarioCopy';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const hasRay = spawnSync('python3', ['-c', 'import ray'], { encoding: 'utf8' }).status === 0;

test(
  'Ray: 4 shards as Ray tasks, gathered and merged = the single-machine calibration',
  {
    skip: hasRay
      ? false
      : 'the ray Python package is not installed (python3 -m pip install ray; scripts/setup.sh does)',
  },
  () => {
    const dir = tempDir('om-ray-');
    copyScenario(path.join(root, 'examples/corridor/corridor.scenario.json'), dir);
    const single = spawnSync(
      process.execPath,
      [cli, 'calibrate', 'corridor.scenario.json', '--agent', 'aligned', '-o', 'x'],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(single.status, 2, 'plain calibrate refuses -o (it is for shards and merge)');
    assert.equal(
      spawnSync(process.execPath, [cli, 'calibrate', 'corridor.scenario.json', '--agent', 'aligned'], { cwd: dir })
        .status,
      0,
    );

    const r = spawnSync(
      'python3',
      [
        path.join(root, 'tools/ray/calibrate_sharded.py'),
        'corridor.scenario.json',
        '--shards',
        '4',
        '--agent',
        'aligned',
        '-o',
        'ray.calibration.json',
        '--partials',
        'partials',
        '--out',
        'shards',
        '--',
        '--workers',
        '1',
      ],
      { cwd: dir, encoding: 'utf8', timeout: 280_000, env: { ...process.env, RAY_USAGE_STATS_ENABLED: '0' } },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /4 shards merged/);
    assert.deepEqual(
      fs.readdirSync(path.join(dir, 'partials')).sort(),
      [1, 2, 3, 4].map((i) => `shard-${i}-of-4.partial.json`),
    );
    // every shard's calibration traces, on "its node" (here: this machine), 25 seeds each
    const runs = fs.readdirSync(path.join(dir, 'shards', 'calibration', 'traces'));
    assert.equal(runs.length, 4);
    const traces = runs.flatMap((run) => fs.readdirSync(path.join(dir, 'shards', 'calibration', 'traces', run)));
    assert.equal(new Set(traces).size, 100);
    const strip = (f: string) =>
      fs
        .readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => !l.includes('"computedAt"'))
        .join('\n');
    assert.equal(strip('ray.calibration.json'), strip('corridor.aligned.calibration.json'));
  },
);
