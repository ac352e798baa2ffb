// Fork snapshots (issue 14, docs/forks.md): a blame runs its forks on one runner. While the first
// fork replays the parent's actions, copies of the episode's state are kept every K steps here, in
// the runner (user objects never cross the process boundary); a later fork restores the nearest one
// and replays only the steps after it. Copies are made by the guard's copy functions (clone()).
// The agent is not copied: it has not acted before the fork step, so a fresh instance reset with the
// seed is exactly the agent a replay would hand over to.
import type { Monitor } from '../core/detectors';
import { copyMonitor } from '../core/guard';
import type { Environment, Info, Objective } from '../core/moduleApi';
import type { UserError } from '../core/traceFormat';
import { sendRecord } from './channel';
import { copyEnvironment, copyObjective } from './guard';
import { toUserError } from './userError';

/** Everything the step loop carries from one step to the next. */
export interface LoopState {
  env: Environment;
  objective: Objective | null;
  monitor: Monitor;
  obs: unknown;
  info: Info;
  useFallback: boolean;
  sceneProblems: { first: UserError | null; sent: boolean };
  harmSteps: number[];
}

/** kept by the last episode that took snapshots, by the step they were taken before */
let kept = new Map<number, LoopState>();

function copyValue<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return v; // not cloneable (functions): it was recorded as JSON, so nothing in it changes the trace
  }
}

function copyState(s: LoopState): LoopState {
  return {
    env: copyEnvironment(s.env),
    objective: s.objective ? copyObjective(s.objective, null) : null,
    monitor: copyMonitor(s.monitor),
    obs: copyValue(s.obs),
    info: copyValue(s.info),
    useFallback: s.useFallback,
    sceneProblems: { ...s.sceneProblems },
    harmSteps: s.harmSteps.slice(),
  };
}

/** Takes the snapshots of one replay: before steps every, 2*every, ... below `until`. */
export class SnapshotTaker {
  next: number;

  constructor(
    private readonly episodeId: string,
    private readonly every: number,
    private readonly until: number,
  ) {
    kept = new Map();
    this.next = every < until ? every : Infinity;
  }

  take(t: number, state: LoopState): void {
    try {
      kept.set(t, copyState(state));
    } catch (e) {
      // a module without clone() (or one that throws): forks replay from reset, and the blame says why
      kept = new Map();
      this.next = Infinity;
      sendRecord({ t: 'snapshot', episodeId: this.episodeId, step: t, problem: toUserError(e, 'clone').message });
      return;
    }
    sendRecord({ t: 'snapshot', episodeId: this.episodeId, step: t });
    this.next = t + this.every < this.until ? t + this.every : Infinity;
  }
}

/** Fresh copies of the snapshot kept before `step` (the snapshot itself stays for later forks). */
export function restoreSnapshot(step: number): LoopState {
  const s = kept.get(step);
  if (!s) throw new Error(`no snapshot kept before step ${step} in this runner (the runner was replaced?)`);
  return copyState(s);
}
