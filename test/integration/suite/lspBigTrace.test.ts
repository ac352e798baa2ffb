// A trace above 50 MB: VS Code does not sync such files to extensions, so the language server
// never gets a didOpen for it; its summary (steps, flag, end, problems) is read from disk by URI
// through the running client (objectiveMonitor/traceSummary).
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { TraceSummaryRequest } from '../../../src/shared/lspProtocol';
import { api, setSetting, waitFor, workspaceRoot } from '../helpers';
import { log } from '../log';
import { SYNC_LIMIT, writeBigTrace } from '../bigTrace';

// By method name: the suite's bundle has its own copy of vscode-jsonrpc, whose RequestType the
// extension's client would not recognise.
const SUMMARY = 'objectiveMonitor/traceSummary' satisfies typeof TraceSummaryRequest.method;

describe('trace language server: a trace over 50 MB', function () {
  const steps = 520_000;
  let file: string;
  let flagged: number;

  before(function () {
    file = path.join(workspaceRoot(), 'big.trace.jsonl');
    const w = writeBigTrace(file, steps, 360_000, -10);
    flagged = w.flagged;
    assert.ok(w.bytes > SYNC_LIMIT, `${w.bytes} bytes is over the 50 MB sync limit`);
    assert.ok(flagged > 360_000 && flagged < steps);
  });

  after(async () => {
    await setSetting('detector.kind', undefined);
    await setSetting('detector.fixedThreshold', undefined);
    fs.rmSync(file, { force: true });
  });

  it('gets its summary read from disk by URI, and re-flagged with the settings', async () => {
    const a = await api();
    const client = await a.ctx.startClient();
    assert.ok(client, 'the language client started');
    const uri = vscode.Uri.file(file).toString();
    const t0 = Date.now();
    const s = await client.sendRequest<TraceSummaryRequest.Result>(SUMMARY, { uri });
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
        const x = await client.sendRequest<TraceSummaryRequest.Result>(SUMMARY, { uri });
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
