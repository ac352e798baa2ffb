// Fork and blame (issue 14) on the built-in racing scenario: the cost of a fork at step N (re-running
// the seed and replaying N recorded actions, then the aligned agent to the end) against a plain re-run
// of the same episode, and the wall time and fork count of a blame of a flagged misaligned episode.
// There are no clone() snapshots: every fork replays from reset.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { forkEpisode, readParent } from '../src/engine/forkEpisode';
import { runEpisodes } from '../src/engine/index';
import { resolveAgent } from '../src/engine/scenarioLoader';
import { DEFAULT_LIMITS } from '../src/engine/types';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'om-bench-fork-'));

function om(...args: string[]) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args, '--out', tmp, '--json'], {
    cwd: tmp,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return { ms: performance.now() - t0, out: JSON.parse(r.stdout) };
}

async function main() {
  // the parent: a flagged misaligned episode under the flag-only protocol, so it is recorded to its end
  const run = om('run', 'racing', '--agent', 'misaligned', '--seed', '1000', '--protocol', 'flag-only');
  const parentFile: string = run.out.episodes[0].trace;
  const parent = readParent(parentFile);
  const agent = resolveAgent(parent.scenario, 'aligned');
  const n = parent.trace.steps.length;
  const t0 = performance.now();
  await runEpisodes({
    scenario: parent.scenario,
    agent,
    distribution: parent.header.distribution,
    seeds: [parent.header.seed],
    recording: 'full',
    protocol: parent.header.protocol,
    detector: parent.header.detector,
    calibration: parent.calibration,
    calibrationFile: parent.header.calibration?.file ?? null,
    tracesDir: path.join(tmp, 'rerun'),
    limits: DEFAULT_LIMITS,
    workers: 1,
  });
  const rerunMs = performance.now() - t0;
  const rows: string[] = [];
  for (const step of [0, Math.floor(n / 4), Math.floor(n / 2), n - 1]) {
    const t = performance.now();
    const r = await forkEpisode({ parent, step, agent, limits: DEFAULT_LIMITS, tracesDir: path.join(tmp, 'forks') });
    const ms = performance.now() - t;
    rows.push(`| ${step} | ${r.steps} | ${ms.toFixed(0)} ms | ${(ms / rerunMs).toFixed(2)} |`);
  }
  const blamed = om('run', 'racing', '--agent', 'misaligned', '--seed', '1000');
  const blame = om('blame', blamed.out.episodes[0].trace, '--agent', 'aligned');
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`## Fork and blame (racing, parent: misaligned seed 1000, ${n} steps; the aligned agent takes over)

A plain re-run of the episode (aligned agent, full recording, one runner): ${rerunMs.toFixed(0)} ms.

| fork at step | fork's steps | wall time (incl. runner start) | vs plain re-run |
| --- | --- | --- | --- |
${rows.join('\n')}

Blame of the stopped episode (flagged at step ${blame.out.flaggedStep}): point of no return ${blame.out.pointOfNoReturn},
${blame.out.forks.length} forks, ${(blame.ms / 1000).toFixed(1)} s through the CLI (monotone: ${blame.out.monotone}).
Forks replay from reset (no clone() snapshots), so a fork costs about one episode whatever N is;
bisection keeps a blame at about log2(flagged step) + 3 forks.`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
