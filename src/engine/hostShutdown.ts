// The engine's own death: on SIGINT/SIGTERM/SIGHUP or process exit, every trace being written ends
// with `host_shutdown` and every runner tree is SIGKILLed synchronously (there is no time to wait).
// If the engine is SIGKILLed instead, the runners notice (parent watch, fd 4 EOF) and the next
// engine cleans their leftovers (staleRunners.ts).
import type { RunnerProcess } from './runnerProcess';

/** What shutdown needs of a trace being written (an EpisodeRecorder), declared here so that this
 *  module, which the runner keeper and the engine's types reach, does not import the recorder. */
interface OpenTrace {
  conclude(o: { reason: 'host_shutdown'; replaceChild: true }): void;
  finish(): unknown;
}

const recorders = new Set<OpenTrace>();
const children = new Set<RunnerProcess>();
let users = 0;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function shutdownNow(): void {
  for (const r of recorders) {
    try {
      r.conclude({ reason: 'host_shutdown', replaceChild: true });
      r.finish();
    } catch {
      // keep going: the other traces and the kills matter more
    }
  }
  recorders.clear();
  for (const c of children) c.killNow();
  children.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  shutdownNow();
  // only we listen: behave as the default action would (exit); otherwise the host decides
  if (process.listenerCount(sig) <= 1) process.exit(EXIT_CODES[sig] ?? 1);
}

const handlers = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

export function hostShutdownAcquire(): void {
  if (users++ > 0) return;
  for (const [s, h] of handlers) process.on(s, h);
  process.on('exit', shutdownNow);
}

export function hostShutdownRelease(): void {
  if (--users > 0) return;
  for (const [s, h] of handlers) process.off(s, h);
  process.off('exit', shutdownNow);
}

export const track = {
  recorder(r: OpenTrace): () => void {
    recorders.add(r);
    return () => recorders.delete(r);
  },
  child(c: RunnerProcess): () => void {
    children.add(c);
    return () => children.delete(c);
  },
};
