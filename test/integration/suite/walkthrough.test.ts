// The Get Started walkthrough: it opens, and its last step's command (New Agent Module) writes an
// agent that runs as written against the example scenario.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { exampleFiles } from '../../../src/extension/exampleScenario';
import type { RunOutcome } from '../../../src/extension/runController';
import { EXTENSION_ID, activateExtension, setSetting, workspaceRoot } from '../helpers';

describe('the Get Started walkthrough', function () {
  before(async () => {
    await activateExtension();
  });

  after(async () => {
    await setSetting('detector.kind', undefined);
    await setSetting('detector.fixedThreshold', undefined);
    await setSetting('run.episodes', undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens from its id', async () => {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#gettingStarted`, false);
    const steps = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.walkthroughs[0].steps as {
      id: string;
    }[];
    assert.equal(steps.length, 5);
  });

  it('New Agent Module writes a commented agent, opens it, and it runs in the example scenario', async () => {
    const file = await vscode.commands.executeCommand<string>('objectiveMonitor.newAgentModule');
    assert.ok(file && fs.existsSync(file), `wrote ${file}`);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file, 'opened in an editor');
    assert.match(fs.readFileSync(file, 'utf8'), /export default function createAgent\(options/);
    const again = await vscode.commands.executeCommand<string>('objectiveMonitor.newAgentModule');
    assert.notEqual(again, file, 'a second one does not overwrite the first');

    const dir = path.join(workspaceRoot(), 'walkthrough-example');
    for (const [rel, content] of Object.entries(exampleFiles())) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content);
    }
    await setSetting('detector.fixedThreshold', -1e9);
    await setSetting('detector.kind', 'fixed');
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: path.join(dir, 'corridor.scenario.json'),
      agent: file,
      episodes: 2,
      showReplay: false,
    });
    assert.ok(r && 'exit' in r, JSON.stringify(r));
    assert.equal(r.exit.code, 0, r.exit.stderr);
    assert.deepEqual(r.failures, []);
    assert.equal(r.episodes, 2);
  });
});
