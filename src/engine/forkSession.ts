// A blame's forks as one session (issue 14, docs/forks.md): one runner child kept across the forks
// (RunnerKeeper), and fork snapshots. The first fork that replays keeps copies of the state in the
// runner every K steps; a later fork at step t restores the latest snapshot before t and replays
// only the steps from there, while the engine writes steps 0..s-1 of its trace from the records the
// first replay received (so the trace is the one a replay from reset would write). Counts of steps
// restored and replayed are kept for the blame's output.
import type { SnapshotRecord } from '../core/wire';
import { RunnerKeeper } from './runnerKeeper';
import type { ForkSnapshotPlan, ReceivedRecord } from './types';

/** At most this many snapshots are kept in the runner: memory is a copy of the environment each,
 *  and a later fork then replays fewer than (first fork's step)/32 steps. */
export const MAX_SNAPSHOTS = 32;

export interface SnapshotUse {
  /** steps taken from a snapshot (plus stored records) rather than run again */
  restored: number;
  /** steps replayed in the runner */
  replayed: number;
  /** the snapshot's step, when the fork started from one */
  from: number | null;
}

export class ForkSession {
  readonly keeper = new RunnerKeeper();
  /** the records (reset, then steps in order) of the replay that kept the snapshots */
  private records: ReceivedRecord[] = [];
  /** steps before which the runner keeps a snapshot */
  private kept: number[] = [];
  /** pid of the runner that keeps them (a replaced runner has none) */
  private holder: number | null = null;
  /** snapshots every this many steps (null: none taken yet) */
  every: number | null = null;
  /** why no snapshots can be taken (no clone(), deepcopy failed): every fork replays from reset */
  problem: string | null = null;
  restored = 0;
  replayed = 0;

  /** The plan for a fork at `step`, and what it will restore and replay. */
  plan(step: number): { snapshots?: ForkSnapshotPlan; use: SnapshotUse } {
    const replayOnly = { use: { restored: 0, replayed: step, from: null } };
    if (step === 0 || this.problem !== null) return replayOnly;
    const usable = this.holder !== null && this.holder === this.keeper.pid;
    if (usable && this.kept.length) {
      let s = -1;
      for (const k of this.kept) if (k < step && k > s) s = k; // strictly before: one step at least is re-checked
      if (s > 0 && this.records.length > s)
        return {
          snapshots: { restore: { step: s, records: this.records.slice(0, s + 1) } },
          use: { restored: s, replayed: step - s, from: s },
        };
      return replayOnly;
    }
    const every = Math.max(1, Math.ceil(step / MAX_SNAPSHOTS));
    this.every = every;
    this.kept = [];
    this.records = [];
    const capture: ReceivedRecord[] = [];
    return {
      snapshots: {
        take: { every, capture, onSnapshot: (rec: SnapshotRecord) => this.onSnapshot(rec, capture) },
      },
      use: replayOnly.use,
    };
  }

  private onSnapshot(rec: SnapshotRecord, capture: ReceivedRecord[]): void {
    if (rec.problem !== undefined) {
      this.problem = rec.problem;
      this.kept = [];
      return;
    }
    this.kept.push(rec.step);
    this.records = capture;
  }

  /** After a fork ran with `plan`: its counts, and whose snapshots are valid now. */
  done(plan: { snapshots?: ForkSnapshotPlan; use: SnapshotUse }, ok: boolean): void {
    this.restored += plan.use.restored;
    this.replayed += plan.use.replayed;
    if (plan.snapshots && 'take' in plan.snapshots) {
      this.holder = ok ? this.keeper.pid : null;
      if (!ok || !inOrder(this.records)) this.kept = [];
    }
  }

  close(): Promise<void> {
    return this.keeper.close();
  }
}

/** reset first, then step 0, 1, 2, ...: record k+1 stands for step k */
function inOrder(records: ReceivedRecord[]): boolean {
  if (!records.length || records[0].rec.t !== 'reset') return false;
  for (let i = 1; i < records.length; i++) {
    const r = records[i].rec;
    if (r.t !== 'step' || r.step !== i - 1) return false;
  }
  return true;
}
