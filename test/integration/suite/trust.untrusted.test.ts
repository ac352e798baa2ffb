// In Restricted Mode: running, calibrating and re-running are refused inside the handlers and spawn
// nothing; replaying a trace works.
import * as assert from 'node:assert/strict';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Refusal } from '../../../src/extension/commands';
import { activateExtension, childProcesses, waitFor, workspaceRoot, writeTrace } from '../helpers';
import { replayTabsOf } from '../replayTabs';

describe('untrusted workspace', () => {
  before(async () => {
    await activateExtension();
  });

  it('the window is in Restricted Mode', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  for (const [cmd, arg] of [
    ['objectiveMonitor.runScenario', { scenario: 'racing', agent: 'misaligned', episodes: 1 }],
    ['objectiveMonitor.calibrateThreshold', { scenario: 'racing', agent: 'misaligned' }],
    ['objectiveMonitor.rerunEpisode', vscode.Uri.file('/nonexistent.trace.jsonl')],
  ] as const) {
    it(`${cmd} invoked directly is refused and spawns no process`, async () => {
      const before = childProcesses().map((p) => p.pid);
      const r = await vscode.commands.executeCommand<Refusal>(cmd, arg);
      assert.equal(r?.refused, 'untrusted', JSON.stringify(r));
      const spawned = childProcesses().filter((p) => !before.includes(p.pid));
      assert.deepEqual(spawned, []);
    });
  }

  it('replays a trace', async () => {
    await activateExtension();
    const file = path.join(workspaceRoot(), 'fixture.trace.jsonl');
    writeTrace(file, [1, 1, -5, -5, 1], { threshold: -1 });
    const panel = await vscode.commands.executeCommand<{ file: string }>(
      'objectiveMonitor.openTrace',
      vscode.Uri.file(file),
      3,
    );
    assert.equal(panel?.file, file);
    // the webview answered; what it shows in Restricted Mode: e2e trust.test.ts
    await waitFor('the replay tab titled with the episode', () => replayTabsOf(file).length > 0);
  });
});
