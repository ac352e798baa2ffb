// Shards (issue 13): partials merged in any order give byte for byte the calibration one machine
// computes from the same episodes, through every part of the fit (ended episodes, tail
// extrapolation, the seeded bootstrap of held-out continuations); bad shard sets are refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate } from '../../src/core/calibration';
import {
  checkShardSet,
  decodeIncrements,
  encodeIncrements,
  mergePartials,
  parsePartial,
  parseShard,
  PARTIAL_KIND,
  shardSeeds,
  type CalibrationPartial,
  type LoadedPartial,
} from '../../src/core/calibrationPartial';
import { gaussian, rng } from './random';

const seeds = { from: 1000, count: 83 };
const maxSteps = 120;

/** Episodes of random lengths, some ending early, some reaching the longest (so held-out ones are
 *  continued by the bootstrap), with -0 and tiny values that JSON numbers could blur. */
function episodes(): Float64Array[] {
  const g = gaussian(rng(7));
  const r = rng(8);
  return Array.from({ length: seeds.count }, (_, e) => {
    const len = r() < 0.4 ? 90 : 10 + Math.floor(r() * 80);
    const u = Float64Array.from({ length: len }, () => 0.1 + g() / 3);
    if (e % 7 === 0) u[0] = -0;
    if (e % 11 === 0) u[1] = 5e-324;
    return u;
  });
}

function partialsOf(all: Float64Array[], n: number): LoadedPartial[] {
  return Array.from({ length: n }, (_, i) => {
    const shard = { index: i + 1, count: n };
    const slice = shardSeeds(seeds, shard);
    const p: CalibrationPartial = {
      kind: PARTIAL_KIND,
      version: 1,
      shard,
      seeds,
      shardSeeds: slice,
      maxSteps,
      alpha: 0.05,
      window: 20,
      k: 0.5,
      scenario: { name: 's', file: '/w/s.scenario.json', hash: 'sh', builtin: false },
      agent: { name: 'aligned', module: '/w/a.ts', hash: 'ah' },
      environmentHash: 'eh',
      objectiveHash: null,
      episodes: all
        .slice(slice.from - seeds.from, slice.from - seeds.from + slice.count)
        .map((x, j) => ({ seed: slice.from + j, steps: x.length, increments: encodeIncrements(x) })),
    };
    // through the file format, as merge reads it
    const r = parsePartial(`shard${i + 1}.json`, JSON.stringify(p));
    assert.ok(r.ok, r.ok ? '' : r.message);
    return { file: `shard${i + 1}.json`, partial: r.partial, increments: r.increments };
  });
}

test('shard slices are contiguous, cover the range once and differ in size by at most one', () => {
  for (const n of [1, 2, 3, 4, 7, 83]) {
    let next = seeds.from;
    const sizes: number[] = [];
    for (let i = 1; i <= n; i++) {
      const s = shardSeeds(seeds, { index: i, count: n });
      assert.equal(s.from, next);
      next += s.count;
      sizes.push(s.count);
    }
    assert.equal(next, seeds.from + seeds.count);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  assert.match(String(parseShard('0/4')), /between 1 and 4/);
  assert.match(String(parseShard('5/4')), /between 1 and 4/);
  assert.match(String(parseShard('two')), /expected I\/N/);
});

test('increments survive the partial bit for bit (-0, subnormals, extremes)', () => {
  const x = Float64Array.from([-0, 0, 5e-324, -1.7976931348623157e308, 0.1 + 0.2, Math.PI]);
  const y = decodeIncrements(encodeIncrements(x))!;
  assert.deepEqual(new Uint8Array(y.buffer), new Uint8Array(x.buffer));
  assert.equal(decodeIncrements('abc'), null);
});

test('merged partials, in any order and any shard count, equal the single-machine calibration byte for byte', () => {
  const all = episodes();
  const single = JSON.stringify(calibrate({ episodes: all, maxSteps, alpha: 0.05, window: 20, k: 0.5 }));
  // the bootstrap of held-out continuations is exercised: some held-out episodes reach the longest
  const parsed = JSON.parse(single);
  assert.ok(
    parsed.longestEpisode < maxSteps && parsed.episodeLengths.slice(parsed.fitEpisodes).includes(parsed.longestEpisode),
  );
  for (const n of [1, 2, 4, 5, 83]) {
    const parts = partialsOf(all, n);
    const shuffled = [...parts].reverse();
    shuffled.push(shuffled.shift()!);
    for (const order of [parts, shuffled]) {
      assert.equal(JSON.stringify(mergePartials(order).result), single, `${n} shards`);
    }
  }
});

test('a missing shard, a duplicated one or a foreign one is refused naming the files', () => {
  const parts = partialsOf(episodes(), 4);
  assert.throws(
    () => checkShardSet([parts[0], parts[1], parts[3]]),
    /missing shard 3\/4 \(seeds 1041\.\.1061\); given: shard1\.json \(1\/4\), shard2\.json \(2\/4\), shard4\.json \(4\/4\)/,
  );
  assert.throws(
    () => checkShardSet([parts[0], parts[1], parts[1], parts[2], parts[3]]),
    /shard 2\/4 is given twice: shard2\.json and shard2\.json/,
  );
  const other = {
    ...parts[2],
    file: 'other.json',
    partial: { ...parts[2].partial, agent: { ...parts[2].partial.agent, hash: 'xx' } },
  };
  assert.throws(
    () => checkShardSet([parts[0], parts[1], other, parts[3]]),
    /other\.json and shard1\.json are not shards of one calibration: their agent differs/,
  );
  const three = partialsOf(episodes(), 3);
  assert.throws(
    () => checkShardSet([parts[0], three[1]]),
    /shard2\.json and shard1\.json are not shards of one calibration: their shard count N differs \(3 vs 4\)/,
  );
});

test('a damaged partial is refused naming the file and what was expected', () => {
  const p = partialsOf(episodes(), 2)[0].partial;
  const bad = (o: unknown) => {
    const r = parsePartial('p.json', JSON.stringify(o));
    return r.ok ? '' : r.message;
  };
  assert.match(bad({ version: 1 }), /^p\.json: not a calibration partial/);
  assert.match(bad({ ...p, episodes: p.episodes.slice(1) }), /^p\.json: expected 41 episodes/);
  assert.match(
    bad({ ...p, shardSeeds: { from: 1000, count: 40 } }),
    /^p\.json: shard 1\/2 of seeds 1000\.\.1082 is seeds 1000\.\.1040/,
  );
  const eps = p.episodes.map((e, i) => (i === 3 ? { ...e, steps: e.steps + 1 } : e));
  assert.match(bad({ ...p, episodes: eps }), /^p\.json: episodes\[3\] \(seed 1003\): "increments" must be base64/);
  const r = parsePartial('q.json', '{');
  assert.ok(!r.ok && /^q\.json: not valid JSON/.test(r.message));
});
