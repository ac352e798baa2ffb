// One runner child kept across runs (issue 14): a blame's forks run one after another on the same
// child, so that the snapshots its first fork kept (src/runner/forkSnapshots.ts) are there for the
// next. A run given a keeper (RunRequest.keeper, one worker) starts on the kept child and hands it
// back at its end instead of shutting it down; a child that crashed or misbehaved is replaced as in
// any run, and the keeper then holds the new one (another pid: the snapshots are gone).
import { hostShutdownAcquire, hostShutdownRelease } from './hostShutdown';
import type { StreamName } from './outputCapture';
import type { RunnerProcess } from './runnerProcess';

export class RunnerKeeper {
  private child: RunnerProcess | null = null;
  private untrack: () => void = () => {};
  private held = false;
  /** where the kept child's output goes: the run using it sets this */
  log: (stream: StreamName, text: string) => void = () => {};

  /** The kept child if it can still serve, else null (the caller spawns one and keeps it). */
  take(): { child: RunnerProcess; untrack: () => void } | null {
    const c = this.child;
    if (c && c.alive && !c.isBroken) return { child: c, untrack: this.untrack };
    if (c) void c.kill();
    this.untrack();
    this.child = null;
    return null;
  }

  /** A run's child after the run (null: it was not reusable and is gone). */
  keep(child: RunnerProcess | null, untrack: () => void): void {
    if (child && !this.held) {
      this.held = true;
      hostShutdownAcquire(); // the engine's death kills the kept child too
    }
    this.child = child;
    this.untrack = child ? untrack : () => {};
  }

  /** The runner child's pid, for "the same runner" checks. */
  get pid(): number | null {
    return this.child?.alive ? this.child.pid : null;
  }

  async close(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c) await c.shutdown();
    this.untrack();
    if (this.held) {
      this.held = false;
      hostShutdownRelease();
    }
  }
}
