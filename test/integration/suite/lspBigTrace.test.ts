// A trace above 50 MB: VS Code does not sync such files to extensions, so the language server
// never gets a didOpen for it; its summary (steps, flag, end, problems) is read from disk by URI
// through the server's request (objectiveMonitor/traceSummary). The suite talks to the built server
// (dist/server.js) through a client of its own, as any LSP client would, with VS Code's settings
// synchronized as the extension's client does; it selects no documents, so Problems is left to the
// extension's client.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';
import { SETTINGS_SECTION, TraceSummaryRequest } from '../../../src/shared/lspProtocol';
import { EXTENSION_ID, setSetting, waitFor, workspaceRoot } from '../helpers';
import { log } from '../log';
import { SYNC_LIMIT, writeBigTrace } from '../bigTrace';

describe('trace language server: a trace over 50 MB', function () {
  const steps = 520_000;
  let file: string;
  let flagged: number;
  let client: LanguageClient;

  before(function () {
    file = path.join(workspaceRoot(), 'big.trace.jsonl');
    const w = writeBigTrace(file, steps, 360_000, -10);
    flagged = w.flagged;
    assert.ok(w.bytes > SYNC_LIMIT, `${w.bytes} bytes is over the 50 MB sync limit`);
    assert.ok(flagged > 360_000 && flagged < steps);
  });

  after(async () => {
    await client?.stop();
    await setSetting('detector.kind', undefined);
    await setSetting('detector.fixedThreshold', undefined);
    fs.rmSync(file, { force: true });
  });

  it('gets its summary read from disk by URI, and re-flagged with the settings', async () => {
    const module = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'server.js');
    client = new LanguageClient(
      'objectiveMonitorBigTraceTest',
      'Objective Monitor big-trace test',
      { module, transport: TransportKind.ipc },
      { documentSelector: [], synchronize: { configurationSection: SETTINGS_SECTION } },
    );
    await client.start();
    const uri = vscode.Uri.file(file).toString();
    const t0 = Date.now();
    const s = await client.sendRequest(TraceSummaryRequest.type, { uri });
    log(`summary of a ${(fs.statSync(file).size / 1e6).toFixed(0)} MB trace from disk: ${Date.now() - t0} ms`);
    assert.equal(s.source, 'disk');
    assert.equal(s.steps, steps);
    assert.equal(s.flaggedStep, flagged);
    assert.equal(s.recordedFlaggedStep, flagged);
    assert.equal(s.reason, 'completed');
    assert.equal(s.detector, 'fixed -10');
    assert.deepEqual(
      s.diagnostics.map((d) => d.code),
      ['flagged'],
      'only the flag: no damage, a completed end',
    );

    // A settings change re-evaluates the file on disk too (no rerun): with a level of 0 the
    // first step below it is the one where the score first goes negative.
    await setSetting('detector.fixedThreshold', 0);
    await setSetting('detector.kind', 'fixed');
    const expected = 360_000 + Math.floor(360_000 / 3);
    const r = await waitFor(
      'the re-flagged summary',
      async () => {
        const x = await client.sendRequest(TraceSummaryRequest.type, { uri });
        return x.reflagged ? x : undefined;
      },
      60_000,
      200,
    );
    assert.equal(r.source, 'disk');
    assert.equal(r.detector, 'fixed 0');
    assert.equal(r.flaggedStep, expected);
    assert.equal(r.recordedFlaggedStep, flagged);
  });
});
