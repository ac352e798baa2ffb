// An ONNX agent (examples/trained-cartpole/policy.onnx) through the engine — runner child, onnxruntime
// there, the engine monitoring every step and writing a scores trace — against onnxruntime-node in
// a plain loop in this process: the same policy, the same TypeScript CartPole and objective, no
// engine. Issue 12: measure the cost of running a network as a monitored agent. Reports; never fails on a time.
// Run alone: node esbuild.mjs && node bench/run.mjs onnx   (BENCH_EPISODES, BENCH_RUNS to shorten)
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { shippedEngine } from './shippedEngine';
import { loadScenario, resolveAgent, seedRange } from '../src/engine/scenarioLoader';
import { DEFAULT_LIMITS } from '../src/engine/types';
import cartPole from '../examples/trained-cartpole/environment';
import uprightness from '../examples/trained-cartpole/objective';
import { tempDir } from '../test/tempDirs';

// the engine as it ships (one esbuild bundle), not its sources through tsx
const { runEpisodes } = shippedEngine();

const root = path.resolve(__dirname, '..');
const example = path.join(root, 'examples/trained-cartpole');
const episodes = Number(process.env.BENCH_EPISODES ?? 40);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MAX_STEPS = 500;
const dir = tempDir('om-onnxbench-');
for (const f of ['environment.ts', 'objective.ts', 'policy.onnx', 'cartpole.scenario.json'])
  fs.copyFileSync(path.join(example, f), path.join(dir, f));

interface Rate {
  all: number;
  steady: number;
  steps: number;
}

/** The plain loop: one session, the example's environment and objective, argmax -> [0, 1]. */
async function plain(): Promise<Rate> {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(path.join(dir, 'policy.onnx'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const objective = uprightness();
  let steps = 0,
    first = 0,
    t1 = 0,
    sum = 0;
  for (let ep = 0; ep < episodes; ep++) {
    // The training pole: the policy balances it for the whole episode.
    const env = cartPole({ length: 0.5 });
    let obs = env.reset(ep).observation;
    for (let t = 0; t < MAX_STEPS; t++) {
      const out = await session.run({ observation: new ort.Tensor('float32', Float32Array.from(obs), [1, 4]) });
      const l = out.logits.data as Float32Array;
      const r = env.step(l[1] > l[0] ? 1 : 0);
      sum += objective.increment({ nextObservation: r.observation, terminated: r.terminated });
      obs = r.observation;
      steps++;
      if (r.terminated) break;
    }
    if (ep === 0) {
      t1 = performance.now();
      first = steps;
    }
  }
  const end = performance.now();
  if (!Number.isFinite(sum)) throw new Error('objective diverged');
  return { steps, all: steps / ((end - t0) / 1000), steady: (steps - first) / ((end - t1) / 1000) };
}

/** The engine: one runner child, scores recording, `stop` with a fixed threshold that never fires. */
async function engine(): Promise<Rate> {
  const scenario = loadScenario(path.join(dir, 'cartpole.scenario.json'));
  const t0 = performance.now();
  let t1 = 0,
    first = 0;
  const res = await runEpisodes({
    scenario,
    agent: resolveAgent(scenario, 'trained'),
    distribution: 'calibration',
    seeds: seedRange(0, episodes),
    recording: 'scores',
    protocol: 'stop',
    detector: { kind: 'fixed', threshold: -1e12 },
    calibration: null,
    calibrationFile: null,
    tracesDir: path.join(dir, 'traces'),
    limits: DEFAULT_LIMITS,
    workers: 1,
    onEvent: (e) => {
      if (e.type === 'episode_end' && t1 === 0) {
        t1 = performance.now();
        first = e.steps;
      }
    },
  });
  const end = performance.now();
  const bad = res.episodes.find((e) => e.reason !== 'completed');
  if (bad)
    throw new Error(`engine run: seed ${bad.seed} ended ${bad.reason}${bad.error ? `: ${bad.error.message}` : ''}`);
  fs.rmSync(path.join(dir, 'traces'), { recursive: true, force: true });
  const steps = res.episodes.reduce((a, e) => a + e.steps, 0);
  return { steps, all: steps / ((end - t0) / 1000), steady: (steps - first) / ((end - t1) / 1000) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kilo = (x: number): string => (x >= 1e4 ? `${(x / 1e3).toFixed(0)}k` : `${(x / 1e3).toFixed(1)}k`);

async function main(): Promise<void> {
  await plain();
  await engine(); // warm up: page cache, the native library, esbuild's cache
  const p: Rate[] = [];
  const e: Rate[] = [];
  for (let i = 0; i < RUNS; i++) {
    p.push(await plain());
    e.push(await engine());
  }
  const pm = (k: 'all' | 'steady') => median(p.map((x) => x[k]));
  const em = (k: 'all' | 'steady') => median(e.map((x) => x[k]));
  console.log(`## ONNX agent — the CartPole policy through the engine vs onnxruntime-node in a plain loop

${episodes} episodes of the example's TypeScript CartPole on the training pole (the trained policy balances
all ${MAX_STEPS} steps: ${e[0].steps} steps in all), \`examples/trained-cartpole/policy.onnx\` (4-16-2 MLP), one
session with one intra-op thread on both sides. Engine: 1 runner child running the ONNX agent, scores
recording, protocol \`stop\` with a fixed threshold that never fires; its whole run includes spawning the
runner and loading the model there. Plain loop: the same environment, objective and session in this
process. "Steady" counts from the end of the first episode on. Medians of ${RUNS} alternating runs; steps per second.

| plain loop, whole | engine, whole run | ratio, whole | plain loop, steady | engine, steady | ratio, steady |
| --- | --- | --- | --- | --- | --- |
| ${kilo(pm('all'))} | ${kilo(em('all'))} | **${(em('all') / pm('all')).toFixed(2)}** | ${kilo(pm('steady'))} | ${kilo(em('steady'))} | **${(em('steady') / pm('steady')).toFixed(2)}** |`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
