// The predictive guard inside the runner child (user code only ever runs here): before the action of
// step t it copies environment, agent and objective, plays the agent's policy in each copy for up to
// H steps, runs the predicted increments through a copy of the local monitor, and decides whether the
// running objective would fall more than the margin below the threshold. The engine recomputes a
// fired prediction from its increments (src/core/guard.ts verifyPrediction).
import { chooseRollout, copyMonitor, shortfall } from '../core/guard';
import type { Monitor } from '../core/detectors';
import type { GuardConfig, GuardNotice } from '../core/guardTypes';
import type { Agent, Environment, Info, Objective } from '../core/moduleApi';
import type { EpisodeCommand } from '../core/wire';
import { instantiate } from './instantiate';
import { toUserError } from './userError';

type Reseedable = { reseed?: (seed: number) => unknown };

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}
async function settle<T>(v: T | PromiseLike<T>): Promise<T> {
  return isThenable(v) ? await v : v;
}

/** A look-ahead's outcome: the chosen rollout's increments and whether the guard fires. */
export interface LookResult {
  fired: boolean;
  increments: number[];
  /** index of the first predicted step beyond the margin in the chosen rollout, -1 if none */
  crossing: number;
  /** the chosen rollout's severity (-Infinity when nothing was predicted) */
  severity: number;
  truncated: boolean;
}

/** The look-ahead's user code failed or produced something the module API forbids. */
export class GuardFailure extends Error {}

/** An independent copy of the environment by its clone(), checked: a new object with step(). Used by
 *  the guard's look-aheads and by fork snapshots (forkSnapshots.ts). */
export function copyEnvironment(env: Environment): Environment {
  if (typeof env.clone !== 'function') throw new GuardFailure('the environment has no clone() method');
  const c = env.clone();
  if (!c || typeof c !== 'object' || typeof c.step !== 'function' || c === env)
    throw new GuardFailure('environment.clone() must return a new environment object with step()');
  return c;
}

/** A copy of the objective by its clone(); without one, a fresh instance from `factory` (the guard:
 *  exact only for objectives without state), or, with no factory, a GuardFailure (fork snapshots). */
export function copyObjective(objective: Objective, factory: (() => Objective) | null): Objective {
  const o = objective as Objective & { clone?: () => Objective };
  if (typeof o.clone !== 'function' && !factory) throw new GuardFailure('the objective has no clone() method');
  const c = typeof o.clone === 'function' ? o.clone() : factory!();
  if (!c || typeof c.increment !== 'function')
    throw new GuardFailure('objective.clone() must return an objective with increment()');
  return c;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Stable fresh randomness per (episode seed, step, rollout): never the real future's. Each input
 *  goes through a full avalanche (murmur3's finalizer) so nearby seeds and steps give unrelated seeds. */
export function rolloutSeed(seed: number, t: number, r: number): number {
  return fmix32(fmix32(fmix32((seed >>> 0) ^ 0x9e3779b9) ^ (t >>> 0)) ^ ((r + 0x632be5ab) >>> 0));
}

export class RunnerGuard {
  /** measure mode: the episode's most extreme predicted native statistic (cusum: largest C; envelope,
   *  window: smallest z), over the rollouts chosen as predictions */
  episodeExtreme = NaN;
  looked = false;
  /** what a copy made before the look-ahead returned for the real action: observation and reward, as JSON */
  private probe: string | null = null;

  private constructor(
    readonly config: GuardConfig,
    private readonly cmd: EpisodeCommand,
    private readonly env: Environment,
    private readonly agent: Agent,
    private readonly objective: Objective | null,
    readonly replay: boolean,
  ) {}

  /** A guard for this episode, or the notice saying why there is none. Call after reset. */
  static create(
    cmd: EpisodeCommand,
    env: Environment,
    envFile: string,
    agent: Agent,
    objective: Objective | null,
  ): { guard: RunnerGuard; notice: GuardNotice } | { guard: null; notice: GuardNotice } {
    const config = cmd.guard!;
    if (typeof env.clone !== 'function') {
      return {
        guard: null,
        notice: {
          status: 'unavailable',
          module: envFile,
          message: `${envFile}: the environment has no clone() method, so the guard cannot copy it to look ahead; the guard is off for this run and it is reactive only. Add clone() returning an independent copy of the current state (and reseed(seed) for fresh randomness in the copy).`,
        },
      };
    }
    let copy: Environment;
    try {
      copy = env.clone();
    } catch (e) {
      return {
        guard: null,
        notice: {
          status: 'unavailable',
          module: envFile,
          message: `${envFile}: environment.clone() threw (${toUserError(e, 'clone').message}); the guard is off for this run`,
        },
      };
    }
    if (!copy || typeof copy !== 'object' || typeof copy.step !== 'function' || copy === env) {
      return {
        guard: null,
        notice: {
          status: 'unavailable',
          module: envFile,
          message: `${envFile}: environment.clone() must return a new environment object with step(); the guard is off for this run`,
        },
      };
    }
    const replay = typeof (copy as Reseedable).reseed !== 'function';
    const agentCopy = typeof (agent as { clone?: unknown }).clone === 'function' ? 'clone' : 'factory';
    const objectiveCopy = objective
      ? typeof (objective as { clone?: unknown }).clone === 'function'
        ? 'clone'
        : 'factory'
      : null;
    const g = new RunnerGuard(config, cmd, env, agent, objective, replay);
    const parts = [
      `looking ${config.horizon} step${config.horizon === 1 ? '' : 's'} ahead with ${config.rollouts} rollout${config.rollouts === 1 ? '' : 's'}`,
    ];
    parts.push(
      replay
        ? 'the environment copy has no reseed(seed): predictions replay the simulator exactly (possible only in simulation)'
        : 'each rollout reseeds its environment copy',
    );
    if (agentCopy === 'factory')
      parts.push(
        'the agent has no clone(): its copies are fresh instances from its factory, exact only when act depends on the observation alone',
      );
    if (objectiveCopy === 'factory')
      parts.push(
        'the objective has no clone(): its copies are fresh instances from its factory, exact only when increment depends on the transition alone',
      );
    return {
      guard: g,
      notice: {
        status: 'on',
        message: `guard on: ${parts.join('; ')}`,
        replay,
        copies: { agent: agentCopy, objective: objectiveCopy },
      },
    };
  }

  private copyAgent(): Agent {
    const a = this.agent as Agent & { clone?: () => Agent };
    const c =
      typeof a.clone === 'function'
        ? a.clone()
        : instantiate<Agent>(this.cmd.agent.module, this.cmd.agent.options, 'agent', ['act']).instance;
    if (!c || typeof c.act !== 'function') throw new GuardFailure('agent.clone() must return an agent with act()');
    return c;
  }

  private copyObjective(): Objective | null {
    if (!this.objective || !this.cmd.objective) return null;
    const spec = this.cmd.objective;
    return copyObjective(
      this.objective,
      () => instantiate<Objective>(spec.module, spec.options, 'objective', ['increment']).instance,
    );
  }

  private copyEnv(): Environment {
    return copyEnvironment(this.env);
  }

  /** Look ahead before the action of step t; `action` is the one the agent chose (the rollouts start with it). */
  async look(t: number, obs: unknown, info: Info, action: unknown, live: Monitor): Promise<LookResult> {
    const g = this.config;
    this.looked = true;
    const t0 = performance.now();
    const deadline = g.budgetMs === null ? Infinity : t0 + g.budgetMs;
    // A copy made and stepped with the real action before any rollout runs: the original must step
    // to the same place after the rollouts, or a copy changed it (shared arrays, globals) — checkProbe.
    const probe = this.copyEnv();
    const pr = (await settle(probe.step(action))) as { observation?: unknown; reward?: unknown } | null;
    this.probe = pr && typeof pr === 'object' ? stable([pr.observation, pr.reward]) : 'none';
    // a rollout's severity: its most extreme native statistic, oriented so that larger is worse (cusum C;
    // -z for envelope and window; -S for fixed). A rollout alarms iff its severity is beyond the
    // detector's h, so rollouts are ranked by it, and calibration measures it (measure mode).
    const severities: number[] = [];
    const upward = live.kind === 'cusum';
    const paths: { incs: number[]; crossing: number }[] = [];
    let truncated = false;
    for (let r = 0; r < g.rollouts; r++) {
      if (performance.now() > deadline) {
        truncated = true;
        break;
      }
      const env = this.copyEnv();
      const agent = this.copyAgent();
      const objective = this.copyObjective();
      const seed = rolloutSeed(this.cmd.seed, t, r);
      if (!this.replay) await settle((env as Reseedable).reseed!(seed));
      if (typeof (agent as Reseedable).reseed === 'function') await settle((agent as Reseedable).reseed!(seed));
      const m = copyMonitor(live);
      const incs: number[] = [];
      let crossing = -1;
      let severity = -Infinity;
      let o = obs;
      let inf = info;
      for (let j = 0; j < g.horizon && t + j < this.cmd.maxSteps; j++) {
        const a = j === 0 ? action : await settle(agent.act(o, inf));
        const sr = (await settle(env.step(a))) as {
          observation: unknown;
          reward?: unknown;
          terminated?: unknown;
          truncated?: unknown;
          info?: Info;
        } | null;
        if (!sr || typeof sr !== 'object' || !('observation' in sr))
          throw new GuardFailure(
            `the environment copy's step() returned no { observation } at predicted step ${t + j}`,
          );
        const reward = typeof sr.reward === 'number' ? sr.reward : 0;
        const term = sr.terminated === true;
        const trunc = sr.truncated === true;
        const nextInfo = (sr.info ?? {}) as Info;
        let u: unknown = sr.reward;
        if (objective)
          u = await settle(
            objective.increment({
              step: t + j,
              observation: o,
              action: a,
              reward,
              nextObservation: sr.observation,
              info: nextInfo,
              terminated: term,
              truncated: trunc,
            }),
          );
        if (typeof u !== 'number' || !Number.isFinite(u))
          throw new GuardFailure(
            `the look-ahead's increment at predicted step ${t + j} is ${String(u)}; expected a finite number`,
          );
        incs.push(u);
        m.push(u);
        const sev = upward ? m.statistic : -m.statistic;
        if (sev > severity) severity = sev;
        // the margin is already in the threshold (the calibration's h moved by it): a predicted alarm fires
        if (crossing < 0 && shortfall(m) > 0) crossing = j;
        // the worst rollout decides: one crossing is enough to fire (measure mode plays on)
        if (crossing >= 0 && g.quantile === null && !g.measure) break;
        if (term || trunc) break;
        if (performance.now() > deadline) {
          truncated = true;
          break;
        }
        o = sr.observation;
        inf = nextInfo;
      }
      severities.push(severity);
      paths.push({ incs, crossing });
      if (crossing >= 0 && g.quantile === null && !g.measure) break;
      if (truncated) break;
    }
    if (paths.length === 0) return { fired: false, increments: [], crossing: -1, severity: -Infinity, truncated: true };
    const chosen = chooseRollout(severities, g.quantile);
    const sev = severities[chosen];
    if (g.measure && Number.isFinite(sev)) {
      const e = upward ? sev : -sev;
      if (!(upward ? e <= this.episodeExtreme : e >= this.episodeExtreme)) this.episodeExtreme = e;
    }
    const fired = !g.measure && paths[chosen].crossing >= 0;
    return { fired, increments: paths[chosen].incs, crossing: paths[chosen].crossing, severity: sev, truncated };
  }

  /** The real step will not take the action the probe took (the guard fired and a fallback replaces it). */
  dropProbe(): void {
    this.probe = null;
  }

  /** After the real step: it must agree with what the copy made before the look-ahead returned for
   *  the same action. Returns a notice when it does not (the guard is then off). */
  checkProbe(t: number, real: { observation: unknown; reward?: unknown }, envFile: string): GuardNotice | null {
    const probe = this.probe;
    this.probe = null;
    if (probe === null || probe === stable([real.observation, real.reward])) return null;
    return {
      status: 'corrupted',
      module: envFile,
      message: `${envFile}: after the look-ahead before step ${t}, the environment's next observation differs from that of a copy made before the look-ahead: a copy changes the original (shared arrays or objects, module globals) or clone() does not copy all of the state. The guard's predictions are not trusted; the guard is off for the rest of this episode.`,
    };
  }
}

function stable(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return String(v);
  }
}
