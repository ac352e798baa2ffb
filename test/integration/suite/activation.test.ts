import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { log } from '../log';
import { activateExtension, EXTENSION_ID, childProcesses } from '../helpers';

describe('activation', () => {
  it('runs inside a real VS Code extension host', () => {
    assert.ok(vscode.version.length > 0);
    log(
      `VS Code ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}, remote ${vscode.env.remoteName ?? 'none'}, trusted ${vscode.workspace.isTrusted}`,
    );
  });

  it('activates and registers every command of the manifest, and runs nothing', async () => {
    const before = childProcesses().filter((p) => p.cmd.includes('cli.js'));
    await activateExtension();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const declared: string[] = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      declared.filter((c) => !registered.has(c)),
      [],
      'commands declared in package.json but not registered',
    );
    assert.deepEqual(
      childProcesses().filter((p) => p.cmd.includes('cli.js')),
      before,
      'activation started an engine',
    );
  });

  it('declares every setting with a default and a description', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const groups = ext.packageJSON.contributes.configuration as {
      title: string;
      properties: Record<string, { default?: unknown; markdownDescription?: string; description?: string }>;
    }[];
    const bad: string[] = [];
    for (const g of groups)
      for (const [k, v] of Object.entries(g.properties)) {
        if (v.default === undefined || !(v.markdownDescription ?? v.description)) bad.push(k);
      }
    assert.deepEqual(bad, []);
    const keys = groups.flatMap((g) => Object.keys(g.properties));
    for (const k of [
      'detector.kind',
      'detector.window',
      'detector.cusumK',
      'detector.alpha',
      'detector.fixedThreshold',
      'run.protocol',
      'run.episodes',
      'limits.stepTimeoutMs',
      'limits.episodeTimeoutMs',
      'limits.memoryLimitMb',
      'runtime.nodePath',
      'python.interpreter',
      'traces.inlayHints',
    ]) {
      assert.ok(keys.includes(`objectiveMonitor.${k}`), `objectiveMonitor.${k} is declared`);
    }
    assert.equal(vscode.workspace.getConfiguration('objectiveMonitor').get('detector.alpha'), 0.05);
  });
});
