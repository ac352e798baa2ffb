// The language server as a real child process over stdio, driven by a JSON-RPC client: what an
// editor without VS Code (push diagnostics) and VS Code itself (pull diagnostics) would receive.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentDiagnosticRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  InlayHintRequest,
  IPCMessageReader,
  IPCMessageWriter,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type MarkupContent,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { TRACE_LANGUAGE_ID, TraceSummaryRequest } from '../../src/shared/lspProtocol';
import { buildTrace } from '../unit/serverTraceBuilder';
import { serverBundle } from './lspServerBundle';

interface Session {
  conn: ProtocolConnection;
  child: ChildProcess;
  stderr: () => string;
  /** resolves with the first publishDiagnostics for `uri` that satisfies `ok` */
  diagnostics(uri: string, ok: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams>;
  settings: Record<string, unknown>;
  close(): Promise<void>;
}

async function start(capabilities: ClientCapabilities): Promise<Session> {
  const child = spawn(process.execPath, [await serverBundle(), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiters: {
    uri: string;
    ok: (p: PublishDiagnosticsParams) => boolean;
    resolve: (p: PublishDiagnosticsParams) => void;
  }[] = [];
  const session: Session = {
    conn,
    child,
    stderr: () => err,
    settings: {},
    diagnostics: (uri, ok) => new Promise((resolve) => waiters.push({ uri, ok, resolve })),
    async close() {
      await conn.sendRequest(ShutdownRequest.type);
      const exited = new Promise((r) => child.once('exit', r));
      await conn.sendNotification(ExitNotification.type);
      await exited;
      conn.dispose();
    },
  };
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].uri === p.uri && waiters[i].ok(p)) {
        waiters[i].resolve(p);
        waiters.splice(i, 1);
      }
    }
  });
  conn.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
    params.items.map(() => session.settings),
  );
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('workspace/inlayHint/refresh', () => null);
  conn.onRequest('workspace/diagnostic/refresh', () => null);
  conn.listen();
  const init = await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities,
    workspaceFolders: null,
  });
  assert.equal(init.capabilities.hoverProvider, true);
  await conn.sendNotification(InitializedNotification.type, {});
  return session;
}

const pushCaps: ClientCapabilities = {
  workspace: { configuration: true, inlayHint: { refreshSupport: true } },
  textDocument: { publishDiagnostics: { relatedInformation: true } },
};

test('stdio, push client: diagnostics on open, hover, incremental edits, settings, cancellation, summary from disk', async () => {
  const s = await start(pushCaps);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-lsp-'));
  try {
    const t = buildTrace({ steps: 200, dropAt: 50 });
    const uri = 'file:///tmp/never-on-disk/ep.trace.jsonl';
    const flagLine = t.lineOfStep(t.flaggedStep!);
    const first = s.diagnostics(uri, (p) => p.diagnostics.length > 0);
    await s.conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: TRACE_LANGUAGE_ID, version: 1, text: t.text },
    });
    const pub = await first;
    const flag = pub.diagnostics.find((d) => d.code === 'flagged');
    assert.ok(flag, JSON.stringify(pub.diagnostics));
    assert.equal(flag.range.start.line, flagLine);
    assert.equal(
      flag.message,
      `running objective ${50 - 3 * 21} fell below the threshold -10 at step ${t.flaggedStep} (detector fixed -10)`,
    );

    const hover = await s.conn.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: flagLine, character: 0 },
    });
    assert.match((hover?.contents as MarkupContent).value, new RegExp(`\\*\\*Step ${t.flaggedStep}\\*\\* — flagged`));

    // Incremental edit: delete the episode_end line -> the trace becomes incomplete.
    const incomplete = s.diagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'incomplete'));
    await s.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [
        { range: { start: { line: t.endLine!, character: 0 }, end: { line: t.endLine! + 1, character: 0 } }, text: '' },
      ],
    });
    const inc = await incomplete;
    assert.equal(
      inc.diagnostics.find((d) => d.code === 'incomplete')?.message,
      'incomplete: no episode_end record — the episode was interrupted',
    );

    // Settings: inlay hints on by default, off after a configuration change.
    const range = { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } };
    const hints = await s.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range });
    assert.deepEqual(
      hints?.map((h) => h.label),
      ['S=1', 'S=2', 'S=3', 'S=4', 'S=5', 'S=6', 'S=7', 'S=8', 'S=9'],
    );
    s.settings = { traces: { inlayHints: false } };
    await s.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    assert.deepEqual(await s.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range }), []);

    // Detector settings that differ from the recorded one re-flag and re-push: no step is below -1000.
    const reflagged = s.diagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'unflagged'));
    s.settings = { detector: { kind: 'fixed', fixedThreshold: -1000 } };
    await s.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    const re = await reflagged;
    assert.equal(
      re.diagnostics.find((d) => d.code === 'flagged'),
      undefined,
    );
    assert.match(
      String(re.diagnostics.find((d) => d.code === 'unflagged')?.message),
      new RegExp(`recorded flag: step ${t.flaggedStep}$`),
    );

    // A cancelled request is still answered (with a result or RequestCancelled), never left hanging.
    const cts = new CancellationTokenSource();
    const pending = s.conn.sendRequest(
      HoverRequest.type,
      { textDocument: { uri }, position: { line: flagLine, character: 0 } },
      cts.token,
    );
    cts.cancel();
    const answer = await pending.then(
      (r) => ({ result: r }),
      (e: { code?: number }) => ({ error: e.code }),
    );
    assert.ok('result' in answer || answer.error === -32800, JSON.stringify(answer));

    s.settings = {};
    await s.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });

    // A file the client never opened (VS Code does not sync files over 50 MB): read from disk.
    const file = path.join(dir, 'big.trace.jsonl');
    fs.writeFileSync(file, buildTrace({ steps: 100, dropAt: 20, end: 'crashed', error: { message: 'boom' } }).text);
    const summary = await s.conn.sendRequest(TraceSummaryRequest.type, { uri: pathToFileURL(file).href });
    assert.equal(summary.source, 'disk');
    assert.equal(summary.steps, 100);
    assert.equal(summary.flaggedStep, 30);
    assert.equal(summary.reason, 'crashed');
    assert.ok(summary.diagnostics.some((d) => d.code === 'crashed' && /boom/.test(String(d.message))));
    const open = await s.conn.sendRequest(TraceSummaryRequest.type, { uri });
    assert.equal(open.source, 'document');
    assert.equal(open.reason, null);
    // A missing file is a clear error, and the server stays up.
    await assert.rejects(
      s.conn.sendRequest(TraceSummaryRequest.type, { uri: pathToFileURL(path.join(dir, 'nope.trace.jsonl')).href }),
      /cannot read .*nope\.trace\.jsonl/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await s.close();
  }
  assert.equal(s.child.exitCode, 0, s.stderr());
});

test('stdio, pull client: textDocument/diagnostic answers with the flag', async () => {
  const s = await start({
    ...pushCaps,
    textDocument: { diagnostic: { relatedInformation: true }, publishDiagnostics: {} },
    workspace: { configuration: true, diagnostics: { refreshSupport: true } },
  });
  try {
    const t = buildTrace({ steps: 60, dropAt: 10, stopAtFlag: true });
    const uri = 'file:///tmp/pull/ep.trace.jsonl';
    await s.conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: TRACE_LANGUAGE_ID, version: 1, text: t.text },
    });
    const report = await s.conn.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
    assert.equal(report.kind, 'full');
    const items = report.kind === 'full' ? report.items : [];
    assert.deepEqual(
      items.map((d) => [d.code, d.range.start.line, d.severity]),
      [['flagged', t.lineOfStep(16), 1]],
    );
  } finally {
    await s.close();
  }
});

test('the server refuses to start without a transport and says which to give', async () => {
  const child = spawn(process.execPath, [await serverBundle()], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 2);
  assert.match(err, /--stdio, --node-ipc/);
});

test('node-ipc (how vscode-languageclient starts it): initialize and hover', async () => {
  const child = fork(await serverBundle(), ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const conn = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  conn.listen();
  try {
    await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      workspaceFolders: null,
    });
    await conn.sendNotification(InitializedNotification.type, {});
    const t = buildTrace({ steps: 30, dropAt: 5 });
    const uri = 'file:///tmp/ipc/ep.trace.jsonl';
    await conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: TRACE_LANGUAGE_ID, version: 1, text: t.text },
    });
    const hover = await conn.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: t.lineOfStep(3), character: 0 },
    });
    assert.match((hover?.contents as MarkupContent).value, /\*\*Step 3\*\*/);
    await conn.sendRequest(ShutdownRequest.type);
    const exited = new Promise((r) => child.once('exit', r));
    await conn.sendNotification(ExitNotification.type);
    assert.equal(await exited, 0);
  } finally {
    conn.dispose();
    if (child.exitCode === null) child.kill();
  }
});
