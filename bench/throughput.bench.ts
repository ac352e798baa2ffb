// Runner throughput on the built-in racing scenario: the engine (user code in a child process,
// records over the wire, the engine monitoring and writing the trace) against the same loop run
// in process writing the same trace lines. Targets: full traces >= 0.5, scores only >= 0.9.
import fs from 'node:fs';
import path from 'node:path';
import { shippedEngine } from './shippedEngine';
import { loadScenario, resolveAgent, seedRange } from '../src/engine/scenarioLoader';
import { createMonitor } from '../src/core/detectors';
import { DEFAULT_LIMITS } from '../src/engine/types';
import type { Recording } from '../src/core/traceFormat';
import { tempDir } from '../test/tempDirs';

// the engine as it ships (one esbuild bundle), not its sources through tsx
const { runEpisodes } = shippedEngine();

const root = path.resolve(__dirname, '..');
const shipped = loadScenario(path.join(root, 'dist/scenarios/racing/racing.scenario.json'));
let scenario = shipped;
const agent = resolveAgent(shipped, 'aligned');
let episodes = 0;
let seeds: number[] = [];
/** The shipped episode length, and ten times longer (per-episode costs amortized). */
const configs = [
  { maxSteps: shipped.spec.maxSteps, episodes: Number(process.env.BENCH_EPISODES ?? 1000) },
  { maxSteps: shipped.spec.maxSteps * 10, episodes: Number(process.env.BENCH_EPISODES ?? 1000) / 10 },
];
const detector = { kind: 'fixed', threshold: -1e12 } as const;
const tmp = tempDir('om-bench-');

// The built scenarios are CommonJS bundles in dist/, loaded by path at run time.
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const load = (p: string) => {
  const m = require(p);
  return (m.default ?? m) as (o: Record<string, unknown>) => any;
};
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const envFactory = load(path.join(root, 'dist/scenarios/racing/environment.js'));
const agentFactory = load(agent.module);
const objFactory = scenario.spec.objective ? load(path.join(root, 'dist/scenarios/racing/objective.js')) : null;
const envOptions = { ...(scenario.spec.environment.options ?? {}), ...(scenario.spec.deployment.environment ?? {}) };

/** The same loop in process: step, monitor, and the same trace lines written the same way. */
/** Steps per second over the whole run, and in steady state (after the first episode). */
interface Rate {
  all: number;
  steady: number;
}

function inProcess(recording: Recording): Rate {
  const file = path.join(tmp, `inproc-${recording}.jsonl`);
  const fd = fs.openSync(file, 'w');
  let steps = 0;
  let buf = '';
  const t0 = performance.now();
  let t1 = 0;
  let firstSteps = 0;
  for (const seed of seeds) {
    if (seed === seeds[1]) {
      t1 = performance.now();
      firstSteps = steps;
    }
    const env = envFactory(envOptions);
    const ag = agentFactory(agent.options);
    const obj = objFactory ? objFactory(scenario.spec.objective?.options ?? {}) : null;
    const mon = createMonitor(detector, null);
    let { observation, info } = env.reset(seed);
    buf += JSON.stringify({ type: 'header', seed }) + '\n';
    if (recording === 'full') buf += JSON.stringify({ type: 'reset', observation, info, scene: env.render?.() }) + '\n';
    for (let step = 0; step < scenario.spec.maxSteps; step++) {
      const action = ag.act(observation, info);
      const r = env.step(action);
      const u = obj
        ? obj.increment({
            step,
            observation,
            action,
            reward: r.reward ?? 0,
            nextObservation: r.observation,
            info: r.info ?? {},
            terminated: r.terminated,
            truncated: !!r.truncated,
          })
        : (r.reward ?? 0);
      const flag = mon.push(u);
      buf +=
        recording === 'full'
          ? JSON.stringify({
              type: 'step',
              step,
              increment: u,
              score: mon.score,
              statistic: mon.statistic,
              threshold: mon.threshold,
              flag,
              action,
              reward: r.reward,
              observation: r.observation,
              info: r.info,
              terminated: r.terminated,
              truncated: !!r.truncated,
              scene: env.render?.(),
            }) + '\n'
          : `{"type":"step","step":${step},"increment":${u},"score":${mon.score},"statistic":${mon.statistic},"threshold":${mon.threshold},"flag":${flag}}\n`;
      if (buf.length > 65536) {
        fs.writeSync(fd, buf);
        buf = '';
      }
      steps++;
      observation = r.observation;
      info = r.info;
      if (r.terminated || r.truncated) break;
    }
    buf += JSON.stringify({ type: 'episode_end', reason: 'completed', steps }) + '\n';
    fs.writeSync(fd, buf);
    buf = '';
    fs.fdatasyncSync(fd);
  }
  fs.closeSync(fd);
  const end = performance.now();
  return { all: steps / ((end - t0) / 1000), steady: (steps - firstSteps) / ((end - t1) / 1000) };
}

async function engine(recording: Recording, workers: number): Promise<Rate> {
  const t0 = performance.now();
  let t1 = 0;
  let firstSteps = 0;
  const r = await runEpisodes({
    scenario,
    agent,
    distribution: 'deployment',
    seeds,
    recording,
    protocol: 'flag-only',
    detector,
    calibration: null,
    calibrationFile: null,
    tracesDir: path.join(tmp, 'traces'),
    limits: DEFAULT_LIMITS,
    workers,
    onEvent: (e) => {
      if (e.type === 'episode_end' && t1 === 0) {
        t1 = performance.now();
        firstSteps = e.steps;
      }
    },
  });
  const end = performance.now();
  const steps = r.episodes.reduce((a, e) => a + e.steps, 0);
  return { all: steps / ((end - t0) / 1000), steady: (steps - firstSteps) / ((end - t1) / 1000) };
}

async function main() {
  const rows: string[] = [];
  for (const c of configs) {
    scenario = { ...shipped, spec: { ...shipped.spec, maxSteps: c.maxSteps } };
    episodes = c.episodes;
    seeds = seedRange(shipped.spec.deployment.seeds.from, episodes);
    for (const recording of ['full', 'scores'] as Recording[]) {
      inProcess(recording);
      await engine(recording, 1); // warm up (and spawn costs paid once per run below too)
      const a: Rate[] = [],
        b: Rate[] = [];
      for (let i = 0; i < 3; i++) {
        a.push(inProcess(recording));
        b.push(await engine(recording, 1));
      }
      const med = (xs: Rate[], k: keyof Rate) => xs.map((x) => x[k]).sort((x, y) => x - y)[1];
      const target = recording === 'full' ? '>= 0.5' : '>= 0.9';
      const k = (x: number) => `${(x / 1e3).toFixed(0)}k`;
      rows.push(
        `| ${episodes} x ${c.maxSteps} | ${recording} | ${k(med(a, 'all'))} | ${k(med(b, 'all'))} | **${(med(b, 'all') / med(a, 'all')).toFixed(2)}** | ${k(med(a, 'steady'))} | ${k(med(b, 'steady'))} | **${(med(b, 'steady') / med(a, 'steady')).toFixed(2)}** | ${target} |`,
      );
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`## Runner throughput — built-in racing (deployment seeds, aligned agent)

Engine with one runner child vs the same loop in process writing the same trace lines (batched
64 KiB writes, fdatasync per episode). Median of 3 alternating runs of 400k steps each; the engine's
whole-run time includes spawning its runner child and compiling the modules (200-300 ms here);
"steady" counts from the end of the first episode on. Steps per second.

| episodes x steps | recording | in process | engine | ratio, whole run | in process, steady | engine, steady | ratio, steady | target |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
