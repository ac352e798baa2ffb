// Scenarios in VS Code's Testing view: the example scenario is found as a test item with its agents,
// "Run Test at Cursor" on the misaligned agent's line runs it through the engine, the flagged
// episodes come back as failed tests whose message is at the flagged step's line in the trace, and
// "Open Replay at Step" on that message opens the replay. Cancelling a run stops the engine.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { exampleFiles } from '../../../src/extension/exampleScenario';
import { FLAG_MESSAGE_CONTEXT } from '../../../src/extension/testController';
import { api, groupMembers, setSetting, waitFor, workspaceRoot } from '../helpers';
import { log } from '../log';
import { closeReplayTabs, replayTabsOf } from '../replayTabs';

type Api = Awaited<ReturnType<typeof api>>;

describe('scenarios in the Testing view', function () {
  let a: Api;
  let file: string;
  let scenarioId: string;
  let agentId: string;

  before(async function () {
    a = await api();
    const dir = path.join(workspaceRoot(), 'testing-view');
    for (const [rel, content] of Object.entries(exampleFiles())) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content);
    }
    file = path.join(dir, 'corridor.scenario.json');
    scenarioId = `scenario:${file}`;
    agentId = `agent:${file}#misaligned`;
    await setSetting('run.episodes', 3);
  });

  after(async () => {
    await setSetting('run.episodes', undefined);
    await closeReplayTabs();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('lists workspace and built-in scenarios as test items with their agents as children', async () => {
    const items = a.tests.controller.items;
    const scenario = await waitFor('the example scenario as a test item', async () => {
      await a.tests.refresh();
      return items.get(scenarioId);
    });
    assert.equal(scenario.label, 'corridor');
    assert.equal(scenario.uri?.fsPath, file);
    const agents: string[] = [];
    scenario.children.forEach((c) => agents.push(c.label));
    assert.deepEqual(agents, ['aligned', 'misaligned']);
    const mis = scenario.children.get(agentId)!;
    const line = fs.readFileSync(file, 'utf8').split('\n')[mis.range!.start.line];
    assert.match(line, /^\s*"misaligned": \{/, 'the agent item sits on its line in the scenario file');
    for (const b of ['racing', 'sweeper', 'coin']) {
      const item = items.get(`scenario:${b}`);
      assert.ok(item, `built-in ${b}`);
      assert.equal(item.description, 'built-in');
      assert.equal(item.children.size, 2);
    }
  });

  it('Run Test at Cursor on the misaligned agent runs it: flagged episodes are failed tests located at the flagged step', async function () {
    const mis = a.tests.controller.items.get(scenarioId)!.children.get(agentId)!;
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    const at = new vscode.Position(mis.range!.start.line, mis.range!.start.character + 2);
    editor.selection = new vscode.Selection(at, at);
    const finished = new Promise<void>((resolve) => {
      const d = a.tests.onDidFinishRun(() => {
        d.dispose();
        resolve();
      });
    });
    const t0 = Date.now();
    await vscode.commands.executeCommand('testing.runAtCursor');
    await finished;
    log(`Testing view: corridor/misaligned (calibration + 3 episodes) in ${Date.now() - t0} ms`);

    assert.equal(
      a.tests.results.get(agentId)?.state,
      'failed',
      `agent result: ${JSON.stringify(a.tests.results.get(agentId))}`,
    );
    assert.equal(a.tests.results.has(`agent:${file}#aligned`), false, 'only the agent at the cursor ran');
    const episodes: vscode.TestItem[] = [];
    mis.children.forEach((c) => episodes.push(c));
    assert.deepEqual(
      episodes.map((e) => e.label),
      ['seed 1000', 'seed 1001', 'seed 1002'],
    );
    const failed = episodes.filter((e) => a.tests.results.get(e.id)?.state === 'failed');
    assert.ok(failed.length >= 1, 'the misaligned agent is flagged');
    for (const e of episodes)
      assert.ok(['failed', 'passed'].includes(a.tests.results.get(e.id)!.state), `${e.label} has a result`);

    const ep = failed[0];
    const [message] = a.tests.results.get(ep.id)!.messages;
    assert.match(
      String(message.message),
      /^running objective -?[\d.e-]+ fell below the threshold -?[\d.e-]+ at step (\d+) \(detector cusum k=0\.5, alpha 0\.05\)$/,
    );
    assert.equal(message.contextValue, FLAG_MESSAGE_CONTEXT);
    const step = Number(/at step (\d+)/.exec(String(message.message))![1]);
    const loc = message.location!;
    assert.equal(loc.uri.fsPath, ep.uri!.fsPath, "located in the episode's trace");
    assert.ok(loc.uri.fsPath.endsWith('.trace.jsonl'));

    // Opening the message's location shows the flagged step's record.
    const doc = await vscode.window.showTextDocument(loc.uri, { selection: loc.range });
    const rec = JSON.parse(doc.document.lineAt(doc.selection.active.line).text) as {
      type: string;
      step: number;
      flag: boolean;
    };
    assert.deepEqual([rec.type, rec.step, rec.flag], ['step', step, true]);

    // The message's action opens the replay at the flagged step.
    await vscode.commands.executeCommand('objectiveMonitor.openReplayAtStep', { test: ep, message });
    // (the panel at the flagged step, as the user sees it: e2e panelStory, the same openTrace at a step)
    await waitFor('the replay tab of the flagged trace', () => replayTabsOf(loc.uri.fsPath).length > 0);
  });

  it('the Calibrate profile calibrates the agent and passes', async function () {
    const mis = a.tests.controller.items.get(scenarioId)!.children.get(agentId)!;
    const cal = path.join(path.dirname(file), 'corridor.misaligned.calibration.json');
    const before = fs.statSync(cal).mtimeMs;
    await a.tests.calibrateProfile.runHandler(
      new vscode.TestRunRequest([mis], undefined, a.tests.calibrateProfile),
      new vscode.CancellationTokenSource().token,
    );
    assert.equal(a.tests.results.get(agentId)?.state, 'passed', JSON.stringify(a.tests.results.get(agentId)));
    assert.ok(fs.statSync(cal).mtimeMs > before, 'the calibration file was written again');
  });

  it('cancelling a Testing run stops the engine', async function () {
    await setSetting('run.episodes', 10);
    const mis = a.tests.controller.items.get(scenarioId)!.children.get(agentId)!;
    const cts = new vscode.CancellationTokenSource();
    let enginePid: number | undefined;
    const sub = a.ctx.runController.onDidEngineEvent((e) => {
      enginePid ??= (a.ctx.runController as unknown as { current?: { engine: { pid?: number } } }).current?.engine.pid;
      if (e.type === 'episode_start' && !cts.token.isCancellationRequested) cts.cancel();
    });
    try {
      await a.tests.runProfile.runHandler(new vscode.TestRunRequest([mis], undefined, a.tests.runProfile), cts.token);
    } finally {
      sub.dispose();
    }
    assert.equal(a.tests.results.get(agentId)?.state, 'skipped');
    assert.equal(a.ctx.runController.running, false);
    if (enginePid) await waitFor("the engine's process group gone", () => groupMembers(enginePid!).length === 0);
  });
});
