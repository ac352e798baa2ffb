// The client wiring: opening a trace file starts the language server, which reports problems.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceRoot, writeTrace } from '../helpers';

describe('trace language client', () => {
  it('a *.trace.jsonl file opens as objective-trace and gets diagnostics from the server', async () => {
    await activateExtension();
    const file = path.join(workspaceRoot(), 'damaged.trace.jsonl');
    writeTrace(file, [1, 2, 3]);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.splice(3, 0, '{"type": "step", not json');
    fs.writeFileSync(file, lines.join('\n'));
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    assert.equal(doc.languageId, 'objective-trace');
    await vscode.window.showTextDocument(doc);
    const diags = await waitFor(
      'diagnostics from the trace server',
      () => {
        const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'objective-monitor');
        return d.length > 0 ? d : undefined;
      },
      30_000,
    );
    assert.ok(
      diags.some((d) => d.range.start.line === 3),
      `a diagnostic on the bad line: ${JSON.stringify(diags.map((d) => [d.range.start.line, d.message]))}`,
    );
  });
});
