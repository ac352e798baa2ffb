// Calibration of 1,000 episodes x 1,000 steps on the built-in racing scenario: wall time with one
// runner child and with one per core (the speed-up from using both cores), and the time of the
// conformal fit itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEpisodes } from '../src/engine/index';
import { loadScenario, resolveAgent, seedRange } from '../src/engine/scenarioLoader';
import { calibrate } from '../src/core/calibration';
import { DEFAULT_LIMITS } from '../src/engine/types';

const root = path.resolve(__dirname, '..');
const base = loadScenario(path.join(root, 'dist/scenarios/racing/racing.scenario.json'));
const episodes = Number(process.env.BENCH_CAL_EPISODES ?? 1000);
const steps = 1000;
const scenario = { ...base, spec: { ...base.spec, maxSteps: steps } };
const agent = resolveAgent(scenario, 'aligned');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'om-bench-cal-'));

async function once(workers: number) {
  const t0 = performance.now();
  const r = await runEpisodes({
    scenario, agent, distribution: 'calibration', seeds: seedRange(0, episodes), recording: 'scores', protocol: 'flag-only',
    detector: { kind: 'fixed', threshold: -Infinity }, calibration: null, calibrationFile: null,
    tracesDir: path.join(tmp, `w${workers}`), limits: DEFAULT_LIMITS, workers,
  });
  const runMs = performance.now() - t0;
  const t1 = performance.now();
  calibrate({ episodes: r.episodes.map((e) => e.increments), maxSteps: steps, alpha: 0.05, window: 20, k: 0.5 });
  const fitMs = performance.now() - t1;
  const total = r.episodes.reduce((a, e) => a + e.steps, 0);
  return { runMs, fitMs, total };
}

async function main() {
  const one = await once(1);
  const two = await once(os.cpus().length);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`## Calibration: ${episodes} episodes x up to ${steps} steps (racing, aligned)

| runner children | steps run | episodes wall time | conformal fit | total |
| --- | --- | --- | --- | --- |
| 1 | ${one.total} | ${(one.runMs / 1000).toFixed(1)} s | ${one.fitMs.toFixed(0)} ms | ${((one.runMs + one.fitMs) / 1000).toFixed(1)} s |
| ${os.cpus().length} (one per core) | ${two.total} | ${(two.runMs / 1000).toFixed(1)} s | ${two.fitMs.toFixed(0)} ms | ${((two.runMs + two.fitMs) / 1000).toFixed(1)} s |

Speed-up from using every core: **${(one.runMs / two.runMs).toFixed(2)}x** (the engine process itself shares the cores with the runners).`);
}
main().catch((e) => { console.error(e); process.exit(1); });
