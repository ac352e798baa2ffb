// Show Trade-off Curves: pick a scenario and an agent, ask the engine for `report <scenario> --curves
// --json` (it reads the recorded calibration and traces and runs nothing, so Restricted Mode does not
// stop it), and open the curves panel. What the engine cannot compute (nothing recorded yet) comes
// back as its error, which says what to run first.
import * as vscode from 'vscode';
import type { AgentCurves, Curve, Rate } from '../core/tradeoffCurves';
import type { CurvesParams, CurveView } from '../shared/webviewProtocol';
import type { Cmd } from './commands';
import { refuse } from './commands';
import type { Ctx } from './ctx';
import { CurvesPanel } from './curvesPanel';
import { EngineProcess } from './engineProcess';
import { pickAgent, pickScenario } from './scenarios';

const TITLE = 'Show Trade-off Curves';

/** Non-interactive form (other extensions, tasks): a built-in's name or a scenario file, and an agent. */
interface CurvesArgs {
  scenario: string;
  agent?: string;
}

function isCurvesArgs(x: unknown): x is CurvesArgs {
  return typeof x === 'object' && x !== null && typeof (x as CurvesArgs).scenario === 'string';
}

function detail(r: Rate): string {
  return `${r.flagged}/${r.determined}${r.undetermined ? `, ${r.undetermined} undecided` : ''}`;
}

function viewOf(c: Curve): CurveView {
  return {
    name: c.name,
    label: c.label,
    falseAlarmFrom: c.falseAlarmFrom,
    unavailable: c.unavailable ?? null,
    points: c.points.map((p) => ({
      alpha: p.alpha,
      k: p.k,
      x: p.falseAlarm ? p.falseAlarm.rate : p.bound,
      detection: p.detection.rate,
      medianDelay: p.medianDelay,
      detail: `detected ${detail(p.detection)}${p.falseAlarm ? `; false alarms ${detail(p.falseAlarm)}` : ''}`,
    })),
  };
}

export function curvesParamsOf(scenario: string, a: AgentCurves, alpha: number): CurvesParams {
  return {
    label: `${scenario} / ${a.agent}`,
    alpha,
    heldOut: a.heldOut,
    reference: a.reference,
    curves: a.curves.map(viewOf),
    notes: a.notes,
  };
}

export function showTradeoffCurves(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<CurvesParams | ReturnType<typeof refuse> | undefined> => {
    const cwd = ctx.workspaceRoot;
    const outDir = ctx.outDir;
    if (!cwd || !outDir) return refuse('no-folder', `${TITLE} needs a folder open: it reads the runs recorded there.`);
    let target: CurvesArgs | undefined = isCurvesArgs(arg) ? arg : undefined;
    if (!target) {
      const scenario = await pickScenario(
        ctx.extension.extensionPath,
        TITLE,
        arg instanceof vscode.Uri ? arg : undefined,
      );
      if (!scenario) return undefined;
      const agent = await pickAgent(scenario, TITLE);
      if (agent === undefined) return undefined;
      target = { scenario: scenario.arg, agent };
    }
    const alpha = ctx.config.alpha;
    const args = ['report', target.scenario, '--curves', '--json', '--alpha', String(alpha), '--out', outDir];
    if (target.agent) args.push('--agent', target.agent);
    const fixed = ctx.config.detector;
    if (fixed?.kind === 'fixed') args.push('--threshold', String(fixed.threshold));
    const lines: string[] = [];
    const exit = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Objective Monitor: trade-off curves' },
      () =>
        new EngineProcess(
          { cli: ctx.cliPath, args, cwd, nodePath: ctx.nodePath },
          () => undefined,
          (l) => lines.push(l),
        ).done,
    );
    if (exit.code !== 0) {
      const why = exit.stderr.trim() || `the engine exited ${exit.code}`;
      ctx.output.error(`${TITLE}: ${why}`);
      return refuse('invalid', `${TITLE}: ${why.replace(/^objective-monitor: /, '')}`);
    }
    const report = JSON.parse(lines.join('\n')) as { scenario: string; agents: AgentCurves[] };
    const params = curvesParamsOf(report.scenario, report.agents[0], alpha);
    CurvesPanel.show(ctx.extension.extensionUri, params);
    return params;
  };
}
