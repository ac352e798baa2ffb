// Fork from here and Find the point of no return (issue 14): the engine's `fork` and `blame` run as a
// child like every run (user code never runs in the extension host). A fork streams events like a run
// and opens in the replay panel with its parent overlaid, aligned by step.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { forkArgs } from './engineArgs';
import { EngineProcess } from './engineProcess';
import { ReplayPanel } from './replayPanel';
import type { RunOutcome } from './runController';
import { pickAgent, type ScenarioChoice } from './scenarios';
import { preflight, pythonFor, refuse, traceHeaderOf, type Cmd, type Refusal } from './commands';

/** The parent trace's header and an agent: given, or picked from the parent's scenario. */
async function parentAndAgent(ctx: Ctx, arg: unknown, agentArg: unknown, title: string) {
  const trace = await traceHeaderOf(ctx, arg, title);
  if (!trace || 'refused' in trace) return trace;
  const { uri, header: h } = trace;
  if (h.recording !== 'full')
    return refuse('invalid', `${title}: ${uri.fsPath} was recorded scores only; there are no actions to replay`);
  const scenario: ScenarioChoice = {
    arg: h.scenario.file,
    name: h.scenario.name,
    file: h.scenario.file,
  } as ScenarioChoice;
  const agent = typeof agentArg === 'string' ? agentArg : await pickAgent(scenario, title);
  if (agent === undefined || agent === '') return undefined;
  return { uri, header: h, agent };
}

export function forkFromStep(ctx: Ctx): Cmd {
  return async (arg?: unknown, stepArg?: unknown, agentArg?: unknown): Promise<RunOutcome | Refusal | undefined> => {
    const pre = preflight(ctx, 'Fork from Here');
    if ('refused' in pre) return pre;
    const p = await parentAndAgent(ctx, arg, agentArg, 'Fork from Here');
    if (!p || 'refused' in p) return p;
    let step = typeof stepArg === 'number' ? stepArg : undefined;
    if (step === undefined) {
      const v = await vscode.window.showInputBox({
        title: 'Objective Monitor: Fork from Here',
        prompt: `Step where agent ${p.agent} takes over`,
        value: '0',
      });
      if (v === undefined) return undefined;
      step = Number(v);
    }
    const py = await pythonFor(ctx, p.header.scenario.file, p.agent);
    if ('refused' in py) return py;
    const outcome = await ctx.runController.start({
      kind: 'run',
      label: `fork · ${p.agent} from step ${step}`,
      args: forkArgs(ctx.config, p.uri.fsPath, step, p.agent, pre.outDir, py.python),
      cli: ctx.cliPath,
      cwd: pre.cwd,
      nodePath: ctx.nodePath,
      showReplay: true,
      replayNote: `fork at step ${step}`,
      scenarioFile: p.header.scenario.file,
    });
    // the parent and the fork overlaid, aligned by step, each marked and ghosted with the other; the
    // parent's panel (where "Fork from here" was clicked) comes back to the front
    const fork = outcome.shownTrace;
    if (fork) {
      await ReplayPanel.get(fork)?.setFork(p.uri.fsPath);
      const parentPanel = ReplayPanel.get(p.uri.fsPath);
      if (parentPanel) {
        await parentPanel.setFork(fork);
        parentPanel.panel.reveal();
      }
    }
    return outcome;
  };
}

export interface BlameOutcome {
  pointOfNoReturn: number | null;
  monotone: boolean;
  forks: { step: number; avoided: boolean; trace: string }[];
}

export function findPointOfNoReturn(ctx: Ctx): Cmd {
  return async (arg?: unknown, agentArg?: unknown): Promise<BlameOutcome | Refusal | undefined> => {
    const pre = preflight(ctx, 'Find the Point of No Return');
    if ('refused' in pre) return pre;
    const p = await parentAndAgent(ctx, arg, agentArg, 'Find the Point of No Return');
    if (!p || 'refused' in p) return p;
    const py = await pythonFor(ctx, p.header.scenario.file, p.agent);
    if ('refused' in py) return py;
    // --json: one object at the end; the engine process reports non-event lines, which it is
    const lines: string[] = [];
    const args = [
      'blame',
      p.uri.fsPath,
      '--agent',
      p.agent,
      '--json',
      '--out',
      pre.outDir,
      ...(py.python ? ['--python', py.python] : []),
    ];
    const exit = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Finding the point of no return (agent ${p.agent})`,
        cancellable: true,
      },
      (_, token) => {
        const engine = new EngineProcess(
          { cli: ctx.cliPath, args, cwd: pre.cwd, nodePath: ctx.nodePath },
          () => undefined,
          (l) => lines.push(l),
        );
        token.onCancellationRequested(() => engine.stop());
        return engine.done;
      },
    );
    if (exit.code !== 0)
      return refuse(
        'invalid',
        `Find the Point of No Return: ${exit.stderr.trim().split('\n').pop() ?? `the engine exited ${exit.code}`}`,
      );
    const r = JSON.parse(lines.join('\n')) as BlameOutcome & { flaggedStep: number };
    const text =
      r.pointOfNoReturn === null
        ? `No point of no return: agent ${p.agent} taking over at any step up to the flag (step ${r.flaggedStep}) is still flagged (${r.forks.length} forks).`
        : `Point of no return: step ${r.pointOfNoReturn} — agent ${p.agent} taking over there avoids the flag at step ${r.flaggedStep}; from step ${r.pointOfNoReturn + 1} on it cannot (${r.forks.length} forks${r.monotone ? '' : '; the outcome was not monotone, the steps between were scanned'}).`;
    void vscode.window.showInformationMessage(text);
    ctx.output.info(text);
    // the trace's panel marks the step (or says that none was found), opened at it (or at the flag)
    const panel = ReplayPanel.createOrShow(ctx.replayHost, p.uri.fsPath, r.pointOfNoReturn ?? r.flaggedStep);
    await panel.showBlame({
      agent: p.agent,
      flaggedStep: r.flaggedStep,
      pointOfNoReturn: r.pointOfNoReturn,
      forks: r.forks.length,
      monotone: r.monotone,
    });
    return r;
  };
}
