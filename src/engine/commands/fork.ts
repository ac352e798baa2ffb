// `objective-monitor fork <trace> --step N --agent M [--json]`: what agent M would have done from step
// N of a recorded episode (forkEpisode.ts). Exit code as for run: 0 the fork was not flagged, 1 it
// was, 2 bad input, a replay that did not reproduce the recording, or user code that failed.
import path from 'node:path';
import type { CliOutput } from '../cliOutput';
import { type Flags, limitsOf } from '../cliOptions';
import { forkEpisode, readParent, type ForkRequest } from '../forkEpisode';
import { resolveAgent } from '../scenarioLoader';
import { UsageError } from '../usageError';
import { ranProperly } from '../../core/traceFormat';
import { numberText } from '../../core/numberText';

export function stepOf(flags: Flags): number {
  if (flags.step === undefined) throw new UsageError('fork needs --step N: the step where the other agent takes over');
  const n = Number(flags.step);
  if (flags.step.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new UsageError(`--step ${flags.step}: expected a whole number >= 0`);
  return n;
}

export function agentFlag(flags: Flags, command: string): string {
  if (flags.agent === undefined)
    throw new UsageError(`${command} needs --agent M: an agent named in the scenario's "agents", or a module file`);
  return flags.agent;
}

/** What a fork takes from the command line (fork, and each of blame's forks): limits, interpreter,
 *  where its trace goes (--out), and its events on the CLI's output. */
export function forkOptionsOf(
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
): Pick<ForkRequest, 'limits' | 'python' | 'signal' | 'onEvent' | 'tracesDir'> {
  return {
    limits: limitsOf(flags),
    python: flags.python,
    signal,
    onEvent: (e) => out.event(e),
    ...(flags.out !== undefined ? { tracesDir: path.join(path.resolve(flags.out), 'traces') } : {}),
  };
}

export async function forkCommand(args: string[], flags: Flags, out: CliOutput, signal?: AbortSignal): Promise<number> {
  if (args.length !== 1)
    throw new UsageError('fork needs exactly one trace: objective-monitor fork <trace> --step N --agent M');
  const step = stepOf(flags);
  const parent = readParent(args[0]);
  const agent = resolveAgent(parent.scenario, agentFlag(flags, 'fork'));
  const r = await forkEpisode({
    parent,
    step,
    agent,
    ...forkOptionsOf(flags, out, signal),
  });
  if (out.mode === 'json') {
    out.json({
      trace: r.trace,
      forkOf: { trace: r.parent, step: r.step },
      agent: r.agent,
      seed: r.seed,
      steps: r.steps,
      finalScore: r.finalScore,
      flaggedStep: r.flaggedStep,
      reason: r.reason,
      firstDifferentAction: r.firstDifferentAction,
      ...(r.error ? { error: r.error } : {}),
    });
  } else if (out.mode === 'human') {
    const flag = r.flaggedStep === null ? 'not flagged' : `FLAGGED at step ${r.flaggedStep}`;
    const parentFlag = parent.trace.end?.flaggedStep ?? null;
    out.line(
      `fork of ${path.relative(process.cwd(), r.parent) || r.parent} at step ${step}: agent ${r.agent} took over after ${step} replayed step${step === 1 ? '' : 's'}`,
    );
    out.line(
      `  ${flag}, ${r.steps} steps, final ${numberText(r.finalScore)}, ${r.reason} (the parent: ${parentFlag === null ? 'not flagged' : `flagged at step ${parentFlag}`}, final ${numberText(parent.trace.end?.score ?? parent.trace.steps.at(-1)?.score ?? 0)})`,
    );
    out.line(
      `  first action differing from the parent's: ${r.firstDifferentAction === null ? 'none' : `step ${r.firstDifferentAction}`}`,
    );
    out.line(`trace: ${r.trace}`);
  }
  if (!ranProperly(r.reason)) {
    out.error(
      `error: the fork ended ${r.reason}${r.error ? `: ${r.error.message}${r.error.file ? ` (${r.error.file}${r.error.line ? `:${r.error.line}` : ''})` : ''}` : ''}`,
    );
    return 2;
  }
  return r.flaggedStep === null ? 0 : 1;
}
