// Fork and blame (issue 14). Three ways to re-create step N of a recorded episode: replay from reset
// on a runner of its own (`fork`), replay from reset on a kept runner, and restore a snapshot the
// blame's first fork kept (docs/forks.md), each then running the other agent to the end. Measured on
// a slow simulator (the cliff fixture with 2 ms of CPU per step) and on the built-in racing scenario;
// then whole blames with and without snapshots.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { forkEpisode, readParent, type ParentEpisode } from '../src/engine/forkEpisode';
import { ForkSession } from '../src/engine/forkSession';
import { findPointOfNoReturn } from '../src/engine/pointOfNoReturn';
import { runEpisodes } from '../src/engine/index';
import { resolveAgent } from '../src/engine/scenarioLoader';
import { DEFAULT_LIMITS } from '../src/engine/types';
import { copyScenario } from '../test/scenarioCopy';
import { tempDir } from '../test/tempDirs';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist/cli.js');
const tmp = tempDir('om-bench-fork-');
const forksDir = path.join(tmp, 'forks');

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

const ms = (x: number) => `${x.toFixed(0)} ms`;

/** A session whose first fork (at `first`, untimed) kept the snapshots; `replayOnly`: none are taken. */
async function session(parent: ParentEpisode, agentName: string, first: number, replayOnly: boolean) {
  const s = new ForkSession();
  if (replayOnly) s.problem = 'switched off for the benchmark';
  const agent = resolveAgent(parent.scenario, agentName);
  await forkEpisode({ parent, step: first, agent, limits: DEFAULT_LIMITS, tracesDir: forksDir, session: s });
  return s;
}

/** Fork cost at the given steps, three ways. */
async function forkTable(parent: ParentEpisode, agentName: string, steps: number[]): Promise<string[]> {
  const agent = resolveAgent(parent.scenario, agentName);
  const last = parent.trace.steps.length - 1;
  const kept = await session(parent, agentName, last, true);
  const snap = await session(parent, agentName, last, false);
  const rows: string[] = [];
  for (const step of steps) {
    const time = async (s?: ForkSession) => {
      const t = performance.now();
      const r = await forkEpisode({ parent, step, agent, limits: DEFAULT_LIMITS, tracesDir: forksDir, session: s });
      return { ms: performance.now() - t, r };
    };
    const own = await time();
    const keptRun = await time(kept);
    const restored = await time(snap);
    const from = restored.r.snapshot?.from ?? null;
    rows.push(
      `| ${step} | ${own.r.steps} | ${ms(own.ms)} | ${ms(keptRun.ms)} | ${ms(restored.ms)} (from ${from ?? '-'}, ${step - (from ?? 0)} replayed) | ${(own.ms / restored.ms).toFixed(1)}x |`,
    );
  }
  await kept.close();
  await snap.close();
  return rows;
}

/** A blame done in process, as `blame` does it: with a session (snapshots), or a runner per fork. */
async function blame(parent: ParentEpisode, agentName: string, withSnapshots: boolean) {
  const agent = resolveAgent(parent.scenario, agentName);
  const flagged = parent.trace.end!.flaggedStep!;
  const s = withSnapshots ? new ForkSession() : undefined;
  let forks = 0;
  let replayed = 0;
  const t0 = performance.now();
  const search = await findPointOfNoReturn(flagged, async (t) => {
    forks++;
    replayed += t;
    const r = await forkEpisode({ parent, step: t, agent, limits: DEFAULT_LIMITS, tracesDir: forksDir, session: s });
    return r.flaggedStep === null;
  });
  await s?.close();
  const wall = performance.now() - t0;
  const counts = s ? `${s.replayed} | ${s.restored}` : `${replayed} | 0`;
  return `| ${withSnapshots ? `one runner, snapshots every ${s!.every}` : 'a runner per fork, replay from reset'} | ${search.pointOfNoReturn} | ${forks} | ${counts} | ${(wall / 1000).toFixed(1)} s |`;
}

async function main() {
  // a slow simulator: the cliff fixture, 2 ms of CPU per step, pushed over the edge at step 99
  const cliffFile = copyScenario(path.join(root, 'test/fixtures/fork/cliff.scenario.json'), path.join(tmp, 'cliff'));
  const spec = JSON.parse(fs.readFileSync(cliffFile, 'utf8'));
  Object.assign(spec.environment.options, { edge: 100, length: 300, clone: 'good', stepMs: 2 });
  spec.maxSteps = 300;
  fs.writeFileSync(cliffFile, JSON.stringify(spec));
  const slowRun = om('run', cliffFile, '--agent', 'push', '--seed', '1', '--protocol', 'flag-only');
  const slow = readParent(slowRun.out.episodes[0].trace);
  const sn = slow.trace.steps.length;
  const slowRows = await forkTable(slow, 'back', [Math.floor(sn / 4), Math.floor(sn / 2), Math.floor((3 * sn) / 4)]);
  const slowStopped = readParent(om('run', cliffFile, '--agent', 'push', '--seed', '1').out.episodes[0].trace);
  const slowBlames = [await blame(slowStopped, 'back', false), await blame(slowStopped, 'back', true)];

  // the built-in racing scenario: a flagged misaligned episode recorded to its end (flag-only)
  const run = om('run', 'racing', '--agent', 'misaligned', '--seed', '1000', '--protocol', 'flag-only');
  const parent = readParent(run.out.episodes[0].trace);
  const n = parent.trace.steps.length;
  const t0 = performance.now();
  await runEpisodes({
    scenario: parent.scenario,
    agent: resolveAgent(parent.scenario, 'aligned'),
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
  const racingRows = await forkTable(parent, 'aligned', [Math.floor(n / 4), Math.floor(n / 2), n - 1]);
  const stopped = readParent(om('run', 'racing', '--agent', 'misaligned', '--seed', '1000').out.episodes[0].trace);
  const racingBlames = [await blame(stopped, 'aligned', false), await blame(stopped, 'aligned', true)];
  fs.rmSync(tmp, { recursive: true, force: true });

  const forkHead = `| fork at step N | fork's steps | replay, runner of its own (\`fork\`) | replay, kept runner | restore a snapshot, kept runner | own runner / restore |
| --- | --- | --- | --- | --- | --- |`;
  const blameHead = `| blame | point of no return | forks | steps replayed | steps restored | wall time |
| --- | --- | --- | --- | --- | --- |`;
  console.log(`## Fork and blame: replay against snapshot restore

A fork re-creates step N by replaying the parent's actions from reset, or (a blame's later forks) by
restoring the nearest snapshot its first fork kept and replaying only the steps after it
(docs/forks.md); then the other agent runs to the end. The snapshot column's first fork (at the last
step, untimed) kept the snapshots; wall times include the runner's start where it has one of its own.

**A slow simulator** (the cliff fixture, 2 ms of CPU per step, ${sn} steps; pushed, flagged at step
${slowStopped.trace.end!.flaggedStep}; "back" takes over):

${forkHead}
${slowRows.join('\n')}

${blameHead}
${slowBlames.join('\n')}

**Racing** (built in; parent: misaligned seed 1000, ${n} steps, flag-only; the aligned agent takes over). A
plain re-run of the episode (aligned agent, full recording, one runner): ${ms(rerunMs)}.

${forkHead}
${racingRows.join('\n')}

Blame of the stopped episode (flagged at step ${stopped.trace.end!.flaggedStep}):

${blameHead}
${racingBlames.join('\n')}

Replay is what a snapshot saves; the steps after the hand-over and the runner's start are the same
either way. Racing's steps are cheap, so there a kept runner saves more than the snapshots; on a slow
simulator the snapshots save most of each later fork's replay.`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
