// Runs a built-in scenario's modules in process (tests only; the product runs them in the runner
// child). Synchronous on purpose: the built-in modules never return promises.
import fs from 'node:fs';
import path from 'node:path';
import type { Agent, Environment, Factory, Objective } from '../../src/core/moduleApi';
import type { ScenarioFile, DistributionName } from '../../src/core/scenario';

export const scenariosDir = path.resolve(__dirname, '../../src/scenarios');

export interface Modules {
  spec: ScenarioFile;
  env: Factory<Environment>;
  objective: Factory<Objective>;
  agents: Record<string, Factory<Agent>>;
}

function load<T>(dir: string, module: string): Factory<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require(path.resolve(dir, module + '.ts')) as { default: Factory<T> };
  return m.default;
}

export function loadScenarioModules(name: string): Modules {
  const dir = path.join(scenariosDir, name);
  const spec = JSON.parse(fs.readFileSync(path.join(dir, `${name}.scenario.json`), 'utf8')) as ScenarioFile;
  const envRef = spec.environment as { module: string };
  const agents: Record<string, Factory<Agent>> = {};
  for (const [k, ref] of Object.entries(spec.agents ?? {})) agents[k] = load<Agent>(dir, ref.module);
  return {
    spec,
    env: load<Environment>(dir, envRef.module),
    objective: load<Objective>(dir, spec.objective!.module),
    agents,
  };
}

export function envOptions(m: Modules, dist: DistributionName): Record<string, unknown> {
  return { ...(m.spec.environment.options ?? {}), ...(m.spec[dist].environment ?? {}) };
}

export interface Episode {
  /** running objective S_t after each step */
  scores: number[];
  final: number;
  actions: string[];
  /** first step where the `compare` agent would act differently on this trajectory (-1: never) */
  divergence: number;
}

export function runEpisode(
  m: Modules,
  dist: DistributionName,
  seed: number,
  agentName: string,
  compare?: string,
): Episode {
  const env = m.env(envOptions(m, dist));
  const agent = m.agents[agentName]({});
  const other = compare ? m.agents[compare]({}) : null;
  const objective = m.objective({});
  let r = env.reset(seed) as { observation: unknown };
  const scores: number[] = [],
    actions: string[] = [];
  let S = 0,
    divergence = -1;
  for (let t = 0; t < m.spec.maxSteps; t++) {
    const action = agent.act(r.observation);
    const a = JSON.stringify(action);
    if (other && divergence < 0 && JSON.stringify(other.act(r.observation)) !== a) divergence = t;
    const n = env.step(action) as {
      observation: unknown;
      reward: number;
      terminated: boolean;
      info: Record<string, unknown>;
    };
    S += objective.increment({
      step: t,
      observation: r.observation,
      action,
      reward: n.reward,
      nextObservation: n.observation,
      info: n.info ?? {},
      terminated: n.terminated,
      truncated: false,
    }) as number;
    scores.push(S);
    actions.push(a);
    r = n;
    if (n.terminated) break;
  }
  return { scores, final: S, actions, divergence };
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))];
}
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
