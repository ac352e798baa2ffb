import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { log } from '../log';

const EXTENSION_ID = 'objective-monitor.objective-monitor';

describe('activation', () => {
  it('runs inside a real VS Code extension host', () => {
    assert.ok(vscode.version.length > 0);
    log(`VS Code ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}, remote ${vscode.env.remoteName ?? 'none'}`);
  });

  it('activates and registers every command of the manifest', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    await ext.activate();
    const declared: string[] = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = declared.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], 'commands declared in package.json but not registered');
  });
});
