// `objective-monitor blame <trace> --agent M [--json]`: the point of no return of a flagged episode —
// the latest step at or before the flag where handing control to reference agent M still avoids the
// flag — found by forks (forkEpisode.ts) chosen by pointOfNoReturn.ts. Exit 0 when the search ran
// (whatever it found), 2 on bad input or a fork that could not run.
import path from 'node:path';
import type { CliOutput } from '../cliOutput';
import type { Flags } from '../cliOptions';
import { forkEpisode, readParent, type ForkResult } from '../forkEpisode';
import { ForkSession } from '../forkSession';
import { findPointOfNoReturn } from '../pointOfNoReturn';
import { resolveAgent } from '../scenarioLoader';
import { UsageError } from '../usageError';
import { ranProperly } from '../../core/traceFormat';
import { agentFlag, forkOptionsOf } from './fork';

export async function blameCommand(
  args: string[],
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
): Promise<number> {
  if (args.length !== 1)
    throw new UsageError('blame needs exactly one trace: objective-monitor blame <trace> --agent M');
  const parent = readParent(args[0]);
  const agent = resolveAgent(parent.scenario, agentFlag(flags, 'blame'));
  const flaggedStep = parent.trace.end?.flaggedStep ?? parent.trace.steps.find((s) => s.flag)?.step ?? null;
  if (flaggedStep === null)
    throw new UsageError(
      `${args[0]}: the episode was not flagged; blame looks for the step that made a flag unavoidable`,
    );
  const forks: (ForkResult & { avoided: boolean })[] = [];
  const rel = (f: string) => path.relative(process.cwd(), f) || f;
  // one runner for all the forks, and snapshots kept by the first replay (forkSession.ts)
  const session = new ForkSession();
  const search = await findPointOfNoReturn(flaggedStep, async (t) => {
    const r = await forkEpisode({
      session,
      parent,
      step: t,
      agent,
      ...forkOptionsOf(flags, out, signal),
    });
    if (!ranProperly(r.reason)) {
      throw new UsageError(
        `the fork at step ${t} ended ${r.reason}${r.error ? `: ${r.error.message}` : ''} (${rel(r.trace)}); blame needs forks that run`,
      );
    }
    const avoided = r.flaggedStep === null;
    forks.push({ ...r, avoided });
    if (out.mode === 'human')
      out.notice(
        `fork at step ${String(t).padStart(4)}: ${avoided ? 'avoided the flag' : `flagged at step ${r.flaggedStep}`}  ${rel(r.trace)}`,
      );
    return avoided;
  }).finally(() => session.close());
  const p = search.pointOfNoReturn;
  const snapshots = {
    every: session.every,
    restoredSteps: session.restored,
    replayedSteps: session.replayed,
    ...(session.problem !== null ? { problem: session.problem } : {}),
  };
  if (out.mode === 'json') {
    out.json({
      trace: parent.file,
      agent: agent.name,
      flaggedStep,
      pointOfNoReturn: p,
      monotone: search.monotone,
      snapshots,
      forks: forks.map((f) => ({
        step: f.step,
        avoided: f.avoided,
        flaggedStep: f.flaggedStep,
        reason: f.reason,
        firstDifferentAction: f.firstDifferentAction,
        restoredFrom: f.snapshot?.from ?? null,
        trace: f.trace,
      })),
    });
  } else if (out.mode === 'human') {
    out.line(
      p === null
        ? `no point of no return: handing control to agent ${agent.name} at any step up to the flag (step ${flaggedStep}) is still flagged`
        : `point of no return: step ${p} — agent ${agent.name} taking over at step ${p} avoids the flag (step ${flaggedStep}); from step ${p + 1} on it cannot` +
            (p === flaggedStep ? ' (the flagged step itself)' : ''),
    );
    if (!search.monotone)
      out.line(
        `the outcome is not monotone in the fork step (some earlier hand-over fails where a later one avoids); the steps between were scanned`,
      );
    out.line(`${forks.length} fork${forks.length === 1 ? '' : 's'} run`);
    out.line(
      session.problem !== null
        ? `no snapshots (${session.problem}): every fork replayed from reset, ${session.replayed} steps replayed`
        : `snapshots every ${session.every ?? '-'} steps: ${session.restored} steps restored from snapshots, ${session.replayed} replayed`,
    );
  }
  return 0;
}
