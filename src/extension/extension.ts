// Entry point. activate registers commands, views and the panel serializer and runs nothing
// (docs/reliability.md: nothing runs on activation). It catches and shows its own errors.
import * as vscode from 'vscode';
import * as commands from './commands';
import { findPointOfNoReturn, forkFromStep } from './forkCommands';
import { showTradeoffCurves } from './curvesCommand';
import { Ctx } from './ctx';
import { newAgentModule } from './newModule';
import { openReplayAtStep, ScenarioTests } from './testController';

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  try {
    ctx = new Ctx(context);
    const c = ctx;
    const register = (id: string, factory: (ctx: Ctx) => commands.Cmd) => {
      context.subscriptions.push(
        vscode.commands.registerCommand(`objectiveMonitor.${id}`, async (...args: unknown[]) => {
          try {
            return await factory(c)(...args);
          } catch (e) {
            const msg = e instanceof Error ? e.message : String(e);
            c.output.error(`${id}: ${e instanceof Error && e.stack ? e.stack : msg}`);
            void vscode.window.showErrorMessage(`Objective Monitor: ${msg}`);
            return undefined;
          }
        }),
      );
    };
    register('runScenario', commands.runScenario);
    register('calibrateThreshold', commands.calibrateThreshold);
    register('stopRun', commands.stopRun);
    register('openTrace', commands.openTrace);
    register('rerunEpisode', commands.rerunEpisode);
    register('forkFromStep', forkFromStep);
    register('findPointOfNoReturn', findPointOfNoReturn);
    register('compareEpisodes', commands.compareEpisodes);
    register('showTradeoffCurves', showTradeoffCurves);
    register('createExampleScenario', commands.createExampleScenario);
    register('showOutput', commands.showOutput);
    register('refreshRuns', commands.refreshRuns);
    const tests = new ScenarioTests(c);
    context.subscriptions.push(tests);
    register('openReplayAtStep', () => openReplayAtStep(tests));
    register('newAgentModule', newAgentModule);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`Objective Monitor failed to start: ${msg}`);
    console.error(e);
  }
}

export async function deactivate(): Promise<void> {
  // The run lifetime first: kill the engine child's process group.
  await ctx?.runController.dispose();
  ctx = undefined;
}
