// CartPole-v1 through the engine (Python runner, scores recording) vs a plain Gymnasium loop with the
// same policy in one Python process. Reports steps/s and their ratio; never fails on a time.
// Run: node esbuild.mjs && node --import tsx bench/pyEngineBench.ts [episodes] [steps per episode]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEpisodes } from '../src/engine/index';
import { loadScenario, resolveAgent, seedRange } from '../src/engine/scenarioLoader';
import { DEFAULT_LIMITS } from '../src/engine/types';

const root = path.resolve(__dirname, '..');
const python = process.env.OBJECTIVE_MONITOR_PYTHON || 'python3';
const episodes = Number(process.argv[2] ?? 60);
/** CartPole's time limit (Gymnasium's default 500): longer episodes separate per-step from per-episode cost */
const limit = Number(process.argv[3] ?? 500);
const agent = path.join(root, 'test/fixtures/python/cartpoleAgent.py');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-pybench-'));
const file = path.join(dir, 'cartpole.scenario.json');
fs.writeFileSync(file, JSON.stringify({
  name: 'cartpole-bench', environment: { gymnasium: 'CartPole-v1', options: { max_episode_steps: limit } }, agent: { module: agent }, maxSteps: 100000,
  calibration: { seeds: { from: 0, count: episodes } }, deployment: { seeds: { from: 0, count: episodes } },
}));

const plainSrc = `
import importlib.util, time, gymnasium as gym
spec = importlib.util.spec_from_file_location('a', ${JSON.stringify(agent)}); a = importlib.util.module_from_spec(spec); spec.loader.exec_module(a)
env = gym.make('CartPole-v1', max_episode_steps=${limit}); act = a.act; steps = 0; t0 = time.perf_counter()
for ep in range(${episodes}):
    obs, info = env.reset(seed=ep); total = 0.0
    while True:
        obs, r, term, trunc, info = env.step(act(obs, info)); total += r; steps += 1
        if term or trunc: break
print(steps / (time.perf_counter() - t0))
`;

async function engine(): Promise<number> {
  const scenario = loadScenario(file);
  const t0 = performance.now();
  const res = await runEpisodes({
    scenario, agent: resolveAgent(scenario, undefined), distribution: 'deployment', seeds: seedRange(0, episodes),
    recording: 'scores', protocol: 'stop', detector: { kind: 'fixed', threshold: -1e12 }, calibration: null, calibrationFile: null,
    tracesDir: path.join(dir, 'traces'), limits: DEFAULT_LIMITS, workers: 1, python,
  });
  const steps = res.episodes.reduce((a, e) => a + e.steps, 0);
  return steps / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const rows: Array<{ plain: number; engine: number }> = [];
  for (let i = 0; i < 5; i++) {
    const plain = Number(spawnSync(python, ['-c', plainSrc], { encoding: 'utf8' }).stdout.trim());
    rows.push({ plain, engine: await engine() });
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p = med(rows.map((r) => r.plain));
  const e = med(rows.map((r) => r.engine));
  console.log(`CartPole-v1, ${episodes} episodes x up to ${limit} steps, 1 worker, scores recording, protocol stop`);
  console.log(`plain gymnasium loop ${Math.round(p)} steps/s; through the engine ${Math.round(e)} steps/s; ratio ${(e / p).toFixed(2)} (medians of 5; engine time includes spawning the runner and importing gymnasium)`);
  fs.rmSync(dir, { recursive: true, force: true });
}
void main();
