// The soak row of docs/reliability.md: 1,000 episodes x 1,000 steps through the engine (the built-in
// racing scenario, scores recording, a runner per core) — open file descriptors stable, no runner
// or descendant left alive, the engine's RSS within +-50 MB of where it started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runEpisodes } from '../../src/engine/index';
import { loadScenario, resolveAgent, seedRange } from '../../src/engine/scenarioLoader';
import { listProcesses, TOKEN_VAR } from '../../src/engine/processTree';
import { DEFAULT_LIMITS } from '../../src/engine/types';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');
const openFds = () => fs.readdirSync('/proc/self/fd').length;

/** Processes (other than this one) whose environment carries a runner token. */
/** Runner processes started by this test file's engine: descendants of this process (another test file
 *  running at the same time has runners of its own, which are not this soak's leftovers). A leaked
 *  runner stays this process's child while the test runs. */
function runnerProcesses(): number[] {
  const found: number[] = [];
  const all = listProcesses();
  const parent = new Map(all.map((p) => [p.pid, p.ppid]));
  const ours = (pid: number) => {
    for (let p = parent.get(pid), hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  for (const p of all) {
    if (p.pid === process.pid || p.state === 'Z' || !ours(p.pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${p.pid}/environ`, 'latin1').includes(`${TOKEN_VAR}=`)) found.push(p.pid);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

test('soak: 1,000 episodes x 1,000 steps leave fds, processes and memory where they were', async () => {
  const base = loadScenario(path.join(root, 'dist/scenarios/racing/racing.scenario.json'));
  const scenario = { ...base, spec: { ...base.spec, maxSteps: 1000 } };
  const agent = resolveAgent(scenario, 'aligned');
  const tracesDir = tempDir('om-soak-');
  const run = (seeds: number[]) =>
    runEpisodes({
      scenario,
      agent,
      distribution: 'calibration',
      seeds,
      recording: 'scores',
      protocol: 'flag-only',
      detector: { kind: 'fixed', threshold: -Infinity },
      calibration: null,
      calibrationFile: null,
      tracesDir,
      limits: DEFAULT_LIMITS,
    });
  // Warm up at full scale: V8 sizes its heap spaces and malloc its arenas during the first large run;
  // what must not happen is growth from one soak to the next.
  await run(seedRange(50_000, 1000));
  global.gc?.();
  const fds0 = openFds();
  const rss0 = process.memoryUsage().rss;
  const before = runnerProcesses();

  // Two rounds after the warm-up: a leak grows with every round.
  let steps = 0;
  let rssMid = 0;
  for (let round = 0; round < 2; round++) {
    const r = await run(seedRange(round * 1000, 1000));
    assert.equal(r.episodes.length, 1000);
    assert.ok(
      r.episodes.every((e) => e.reason === 'completed'),
      'every episode completed',
    );
    steps = r.episodes.reduce((a, e) => a + e.steps, 0);
    assert.ok(steps >= 900_000, `${steps} steps`);
    global.gc?.();
    if (round === 0) rssMid = process.memoryUsage().rss;
  }

  global.gc?.();
  const fds1 = openFds();
  const rss1 = process.memoryUsage().rss;
  const growthMb = (rss1 - rss0) / 2 ** 20;
  process.stdout.write(
    `# soak: 2 x ${steps} steps, fds ${fds0} -> ${fds1}, rss ${(rss0 / 2 ** 20).toFixed(0)} -> ${(rssMid / 2 ** 20).toFixed(0)} -> ${(rss1 / 2 ** 20).toFixed(0)} MB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB, external ${(process.memoryUsage().external / 2 ** 20).toFixed(0)} MB, arrayBuffers ${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(0)} MB\n`,
  );
  assert.equal(fds1, fds0, 'open file descriptors are stable');
  assert.deepEqual(
    runnerProcesses().filter((p) => !before.includes(p)),
    [],
    'no runner left alive',
  );
  assert.ok(Math.abs(growthMb) <= 50, `engine RSS changed by ${growthMb.toFixed(1)} MB`);
  fs.rmSync(tracesDir, { recursive: true, force: true });
});
