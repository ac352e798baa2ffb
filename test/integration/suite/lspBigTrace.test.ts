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

const SYNC_LIMIT = 50 * 1024 * 1024;
// By method name: the suite's bundle has its own copy of vscode-jsonrpc, whose RequestType the
// extension's client would not recognise.
const SUMMARY = 'objectiveMonitor/traceSummary' satisfies typeof TraceSummaryRequest.method;

/** Writes a valid scores-only trace with a fixed threshold (flag computable by hand); returns the flagged step. */
function writeBigTrace(file: string, steps: number, dropAt: number, threshold: number): { flagged: number; bytes: number } {
  const fd = fs.openSync(file, 'w');
  try {
    const header = {
      type: 'header', version: 1, runId: 'run-big', episodeId: 'seed-1',
      scenario: { name: 'big', file: '/nonexistent/big.scenario.json', hash: 'x' },
      agent: { name: 'misaligned', module: '/nonexistent/agent.js', options: {} },
      environment: { module: '/nonexistent/env.js', options: {} }, objective: null,
      seed: 1, distribution: 'deployment', maxSteps: steps, recording: 'scores', protocol: 'flag-only',
      detector: { kind: 'fixed', threshold }, calibration: null, startedAt: new Date().toISOString(),
    };
    const batch: string[] = [JSON.stringify(header), JSON.stringify({ type: 'reset' })];
    let score = 0;
    let flagged = -1;
    for (let t = 0; t < steps; t++) {
      const u = t < dropAt ? 1 : -3;
      score += u;
      const flag = flagged < 0 && score < threshold;
      if (flag) flagged = t;
      batch.push(`{"type":"step","step":${t},"increment":${u},"score":${score},"statistic":${score},"threshold":${threshold},"flag":${flag}}`);
      if (batch.length >= 10_000) { fs.writeSync(fd, batch.join('\n') + '\n'); batch.length = 0; }
    }
    batch.push(JSON.stringify({ type: 'episode_end', reason: 'completed', steps, score, flaggedStep: flagged < 0 ? null : flagged, durationMs: 1 }));
    fs.writeSync(fd, batch.join('\n') + '\n');
    return { flagged, bytes: fs.fstatSync(fd).size };
  } finally {
    fs.closeSync(fd);
  }
}

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
    assert.deepEqual(s.problems, []);

    // A settings change re-evaluates the file on disk too (no rerun): with a level of 0 the
    // first step below it is the one where the score first goes negative.
    await setSetting('detector.fixedThreshold', 0);
    await setSetting('detector.kind', 'fixed');
    const expected = 360_000 + Math.floor(360_000 / 3);
    const r = await waitFor('the re-flagged summary', async () => {
      const x = await client.sendRequest<TraceSummaryRequest.Result>(SUMMARY, { uri });
      return x.reflagged ? x : undefined;
    }, 60_000, 200);
    assert.equal(r.source, 'disk');
    assert.equal(r.detector, 'fixed 0');
    assert.equal(r.flaggedStep, expected);
    assert.equal(r.recordedFlaggedStep, flagged);
  });
});
