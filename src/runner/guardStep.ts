// The guard's place in the runner's episode loop: started after reset (saying on the wire whether it
// is on and how its copies are made), asked before each agent action, checked after each real step.
// Kept apart from episodeLoop.ts so the loop's hot path stays one branch when the guard is off.
import type { Monitor } from '../core/detectors';
import { shouldLook } from '../core/guard';
import type { GuardNotice } from '../core/guardTypes';
import type { Agent, Environment, Info, Objective } from '../core/moduleApi';
import type { EpisodeCommand } from '../core/wire';
import { sendRecord } from './channel';
import { episodeState } from './episodeState';
import { GuardFailure, RunnerGuard } from './guard';
import { toUserError } from './userError';

export interface GuardState {
  guard: RunnerGuard | null;
  /** still looking ahead (on, trusted, not yet fired) */
  active: boolean;
  measuring: boolean;
  afterStep(t: number, r: { observation: unknown; reward?: unknown }): void;
  /** measure mode: the episode's most extreme predicted native statistic, null if it never looked */
  extreme(): number | null;
}

export function startGuard(
  cmd: EpisodeCommand,
  env: Environment,
  envFile: string,
  agent: Agent,
  objective: Objective | null,
): GuardState {
  const made = RunnerGuard.create(cmd, env, envFile, agent, objective);
  const episodeId = cmd.episodeId;
  const notify = (n: GuardNotice): void => sendRecord({ t: 'guard', episodeId, ...n });
  notify(made.notice);
  const state: GuardState = {
    guard: made.guard,
    active: made.guard !== null,
    measuring: cmd.guard?.measure === true,
    afterStep(t, r) {
      const g = state.guard;
      if (!g) return;
      const problem = g.checkProbe(t, r, envFile);
      if (problem) {
        notify(problem);
        state.guard = null;
        state.active = false;
      }
    },
    extreme() {
      const e = made.guard?.episodeExtreme ?? NaN;
      return Number.isFinite(e) ? e : null;
    },
  };
  return state;
}

/** Looks ahead before the action of step t when the schedule says so; 'fired' when the prediction crosses. */
export async function lookBeforeAction(
  state: GuardState,
  t: number,
  obs: unknown,
  info: Info,
  action: unknown,
  monitor: Monitor,
  scoresOnly: boolean,
  flush: () => void,
): Promise<'fired' | 'quiet'> {
  const g = state.guard!;
  if (!shouldLook(g.config, t, monitor)) return 'quiet';
  const phase = episodeState.phase;
  episodeState.phase = 'guard';
  let res;
  try {
    res = await g.look(t, obs, info, action, monitor);
  } catch (e) {
    const why = e instanceof GuardFailure ? e.message : toUserError(e, 'guard').message;
    sendRecord({
      t: 'guard',
      episodeId: episodeState.episodeId ?? '',
      status: 'failed',
      message: `the look-ahead before step ${t} failed in a copy: ${why}; the guard is off for the rest of this episode`,
    });
    state.guard = null;
    state.active = false;
    return 'quiet';
  } finally {
    episodeState.phase = phase;
  }
  const record = res.fired || (g.config.record === 'all' && !scoresOnly && res.increments.length > 0);
  if (record) {
    // every step before t must reach the engine before the prediction made from them
    flush();
    sendRecord({
      t: 'prediction',
      episodeId: episodeState.episodeId ?? '',
      step: t,
      increments: res.increments,
      crossingStep: res.crossing >= 0 ? t + res.crossing : null,
      fired: res.fired,
      replay: g.replay,
      ...(res.truncated ? { truncated: true } : {}),
    });
  }
  if (res.fired) {
    g.dropProbe();
    state.active = false;
    return 'fired';
  }
  return 'quiet';
}
