// A runner is kept for every episode of a run (runEpisodes hands each next episode to it), so whatever
// an episode leaves attached to the runner stays for the whole run. Thousands of short episodes on one
// runner must leave the engine's heap where a few hundred left it: once an episode has ended, nothing
// of it (its recorder, its monitor, its trace writer) may stay reachable from the runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runEpisodes } from '../../src/engine/index';
import { loadScenario, resolveAgent, seedRange } from '../../src/engine/scenarioLoader';
import { DEFAULT_LIMITS } from '../../src/engine/types';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');

test("a kept runner's ended episodes are let go: the engine's heap does not grow with the episodes of a run", async () => {
  assert.ok(global.gc, 'run with --expose-gc (test/run.mjs does)');
  const base = loadScenario(path.join(root, 'dist/scenarios/racing/racing.scenario.json'));
  const scenario = { ...base, spec: { ...base.spec, maxSteps: 2 } };
  const tracesDir = tempDir('om-kept-runner-');
  const heapAt = new Map<number, number>();
  const marks = [1000, 4000];
  let ended = 0;
  const r = await runEpisodes({
    scenario,
    agent: resolveAgent(scenario, 'aligned'),
    distribution: 'calibration',
    seeds: seedRange(0, 4000),
    recording: 'scores',
    protocol: 'flag-only',
    detector: { kind: 'fixed', threshold: -Infinity },
    calibration: null,
    calibrationFile: null,
    tracesDir,
    limits: DEFAULT_LIMITS,
    workers: 1,
    onEvent: (e) => {
      if (e.type !== 'episode_end') return;
      ended++;
      if (marks.includes(ended)) {
        global.gc!();
        heapAt.set(ended, process.memoryUsage().heapUsed);
      }
    },
  });
  fs.rmSync(tracesDir, { recursive: true, force: true });
  assert.equal(r.episodes.length, 4000);
  assert.ok(r.episodes.every((e) => e.reason === 'completed'));
  const growth = (heapAt.get(4000)! - heapAt.get(1000)!) / 2 ** 20;
  process.stdout.write(`# heap from episode 1000 to 4000 on one runner: ${growth.toFixed(1)} MB\n`);
  // each episode's exit watch left on the runner kept ~3.5 KB: 10.6 MB over these 3,000 (1.3 MB without)
  assert.ok(growth < 5, `the heap grew by ${growth.toFixed(1)} MB over 3,000 episodes on one runner`);
});
