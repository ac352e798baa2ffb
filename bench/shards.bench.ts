// Sharded calibration (issue 13) on this machine: wall time of calibrating the built-in racing
// scenario's aligned agent as 1, 2 and 4 shards — each shard the real CLI (`calibrate --shard I/N`,
// one runner child each), all started at once as a batch engine would, then `merge` — against the
// unsharded `calibrate`. On 2 cores nothing is expected past 2 shards; the point is the overhead a
// shard adds (CLI start, runner start, module load, partial write) and the merge's cost, which give
// a 100-node run on paper: T(100) ~ T_episodes / 100 + shard overhead + merge(all episodes).
// BENCH_SHARD_EPISODES (default 400, the scenario's own count) sets the calibration seeds.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mergePartials, parsePartial } from '../src/core/calibrationPartial';
import { tempDir } from '../test/tempDirs';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist/cli.js');
const episodes = Number(process.env.BENCH_SHARD_EPISODES ?? 400);
const tmp = tempDir('om-bench-shards-');

/** A copy of the built-in racing scenario with `episodes` calibration seeds. */
function scenarioCopy(): string {
  const src = path.join(root, 'dist/scenarios/racing');
  const dir = path.join(tmp, 'racing');
  fs.mkdirSync(dir);
  for (const f of fs.readdirSync(src))
    if (f.endsWith('.js') || f.endsWith('.json')) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const file = path.join(dir, 'racing.scenario.json');
  const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  spec.calibration.seeds.count = episodes;
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  return file;
}

function om(args: string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(' ')}: exit ${code}\n${err}`)),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function sharded(scenario: string, n: number): Promise<{ wallMs: number; shardMs: number[]; mergeMs: number }> {
  const t0 = performance.now();
  const parts = Array.from({ length: n }, (_, i) => path.join(tmp, `n${n}-shard-${i + 1}.partial.json`));
  const shardMs = await Promise.all(
    parts.map((p, i) =>
      om([
        'calibrate',
        scenario,
        '--agent',
        'aligned',
        '--shard',
        `${i + 1}/${n}`,
        '--workers',
        '1',
        '-o',
        p,
        '--out',
        path.join(tmp, 'out'),
      ]),
    ),
  );
  const mergeMs = await om(['merge', ...parts, '-o', path.join(tmp, `n${n}.calibration.json`)]);
  return { wallMs: performance.now() - t0, shardMs, mergeMs };
}

async function main() {
  const scenario = scenarioCopy();
  const single = await om([
    'calibrate',
    scenario,
    '--agent',
    'aligned',
    '--workers',
    '1',
    '--out',
    path.join(tmp, 'out'),
  ]);
  const singleAll = await om(['calibrate', scenario, '--agent', 'aligned', '--out', path.join(tmp, 'out')]);
  const rows: string[] = [
    `| unsharded, 1 runner | 1 | ${(single / 1000).toFixed(1)} s | | | 1.00x |`,
    `| unsharded, a runner per core | 1 | ${(singleAll / 1000).toFixed(1)} s | | | ${(single / singleAll).toFixed(2)}x |`,
  ];
  const results = new Map<number, Awaited<ReturnType<typeof sharded>>>();
  for (const n of [1, 2, 4]) {
    const r = await sharded(scenario, n);
    results.set(n, r);
    rows.push(
      `| ${n} shard${n > 1 ? 's' : ''} at once, 1 runner each, + merge | ${n} | ${(r.wallMs / 1000).toFixed(1)} s | ${(median(r.shardMs) / 1000).toFixed(1)} s | ${r.mergeMs.toFixed(0)} ms | ${(single / r.wallMs).toFixed(2)}x |`,
    );
  }
  // The fixed cost of one shard: a one-episode shard's wall time minus one episode's share of the
  // unsharded run (median of 3).
  const tiny: number[] = [];
  for (let i = 0; i < 3; i++)
    tiny.push(
      await om([
        'calibrate',
        scenario,
        '--agent',
        'aligned',
        '--shard',
        `1/${episodes}`,
        '--workers',
        '1',
        '-o',
        path.join(tmp, 'tiny.partial.json'),
        '--out',
        path.join(tmp, 'out'),
      ]),
    );
  // one shard of E episodes = O + E p, a one-episode shard = O + p
  const perEpisode = (results.get(1)!.shardMs[0] - median(tiny)) / (episodes - 1);
  const overhead = median(tiny) - perEpisode;
  // the merge: its fit over all episodes in process (read, decode, calibrate), and the rest fixed (CLI start, write)
  const text = fs.readFileSync(path.join(tmp, 'n1-shard-1.partial.json'), 'utf8');
  const fits: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = parsePartial('n1', text);
    if (!r.ok) throw new Error(r.message);
    mergePartials([{ file: 'n1', partial: r.partial, increments: r.increments }]);
    fits.push(performance.now() - t0);
  }
  const mergePerEpisode = median(fits) / episodes;
  const mergeFixed = Math.max(0, results.get(1)!.mergeMs - median(fits));
  const paper = (nodes: number, eps: number, epMs: number) =>
    (eps * epMs) / nodes + overhead + mergeFixed + eps * mergePerEpisode;
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`## Sharded calibration: racing, ${episodes} calibration episodes (aligned agent)

| how | shards | wall time | median shard | merge | speed-up over 1 runner |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Per shard: fixed overhead **${(overhead / 1000).toFixed(2)} s** (a one-episode shard, ${(median(tiny) / 1000).toFixed(2)} s, less one
episode's ${perEpisode.toFixed(0)} ms: CLI and runner start, module load, partial write); merge
${(mergeFixed / 1000).toFixed(2)} s fixed (CLI start, write) + **${mergePerEpisode.toFixed(2)} ms per episode** (decoding the partials and the fit over all of them). On this 2-core machine
shards past 2 only share the same cores.

On paper, 100 nodes of this machine's speed, one shard each: T = episodes x ${perEpisode.toFixed(0)} ms / 100 + ${(overhead / 1000).toFixed(2)} s + ${(mergeFixed / 1000).toFixed(2)} s + episodes x ${mergePerEpisode.toFixed(2)} ms
(the scheduler's own start-up, e.g. Ray's tasks, and copying partials between nodes come on top):
${[10_000, 100_000].map((e) => `${e.toLocaleString('en')} episodes -> ${(paper(100, e, perEpisode) / 1000).toFixed(0)} s (one machine, one runner: ${((e * perEpisode) / 1000).toFixed(0)} s)`).join('; ')}.
For an environment 100x slower per episode the shard overhead vanishes: ${(paper(100, 10_000, perEpisode * 100) / 1000).toFixed(0)} s for 10,000 episodes instead of ${((10_000 * perEpisode * 100) / 1000).toFixed(0)} s.
`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
