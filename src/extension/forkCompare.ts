// A fork beside its parent in the replay panel (issue 14): the step where the fork's agent took over,
// the first step whose action differs, and the running-objective gap where the fork ends (at its flag
// when it was flagged). Worked out in the host from the two traces on disk; the webview only draws it.
import { sameJson } from '../core/sameJson';
import type { FlagSettings } from '../core/reflag';
import type { ForkCompare } from '../shared/webviewProtocol';
import { recordOfStep, type LoadedTrace, type TraceCache } from './traceCache';

/** steps of each trace read per pass while looking for the first different action */
const ACTION_BATCH = 256;

/** The comparison as seen from `own` (the panel's trace), or null when neither trace is the other's fork. */
export async function compareFork(
  store: TraceCache,
  own: LoadedTrace,
  other: LoadedTrace,
  settings: FlagSettings,
): Promise<ForkCompare | null> {
  const isFork = (t: LoadedTrace, p: LoadedTrace) =>
    t.header?.forkOf !== undefined && sameFile(t.header.forkOf.trace, p.file);
  const ownIsFork = isFork(own, other);
  if (!ownIsFork && !isFork(other, own)) return null;
  const fork = ownIsFork ? own : other;
  const parent = ownIsFork ? other : own;
  const forkStep = fork.header!.forkOf!.step;
  const flag = store.flags(fork, settings).flaggedStep;
  const gapStep = flag ?? fork.steps - 1;
  const gap =
    gapStep >= 0 && parent.steps > 0
      ? {
          step: gapStep,
          at: flag === null ? ('end' as const) : ('flag' as const),
          fork: fork.scores[recordOfStep(fork, gapStep)],
          // a parent that ended sooner is compared at its last step (its running objective stays there)
          parent: parent.scores[recordOfStep(parent, Math.min(gapStep, parent.steps - 1))],
        }
      : null;
  return {
    role: ownIsFork ? 'parent' : 'fork',
    otherEpisodeId: other.header!.episodeId,
    forkAgent: fork.header!.agent.name,
    forkStep,
    firstDifferentAction: await firstDifferentAction(store, parent, fork, forkStep),
    gap: gap && Number.isFinite(gap.fork) && Number.isFinite(gap.parent) ? gap : null,
  };
}

/** Reads both traces' actions from the fork step on, a batch at a time: they usually part at once. */
async function firstDifferentAction(
  store: TraceCache,
  parent: LoadedTrace,
  fork: LoadedTrace,
  from: number,
): Promise<number | null> {
  const end = Math.min(parent.steps, fork.steps);
  for (let lo = from; lo < end; lo += ACTION_BATCH) {
    const steps = Array.from({ length: Math.min(ACTION_BATCH, end - lo) }, (_, k) => lo + k);
    const a = await store.stepRecords(
      parent,
      steps.map((s) => recordOfStep(parent, s)),
    );
    const b = await store.stepRecords(
      fork,
      steps.map((s) => recordOfStep(fork, s)),
    );
    for (let k = 0; k < steps.length; k++) {
      const x = a.records[k],
        y = b.records[k];
      if (!x || !y) return null;
      if (!sameJson(x.action, y.action)) return steps[k];
    }
  }
  return null;
}

function sameFile(a: string, b: string): boolean {
  return process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
