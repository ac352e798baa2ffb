// Language-server timings on a 100k-step trace (full recording): the pure handlers in process, and
// the real server (dist/server.js or a fresh bundle) over stdio, as an editor sees it.
// Prints a markdown section for bench/RESULTS.md; never fails on a time.
// Run: node --import tsx bench/lsp.bench.ts [steps]. Targets: diagnostics < 1 s, hover < 50 ms.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  InlayHintRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { TraceReader } from '../src/core/traceReader';
import { readTraceChunked, READ_CHUNK_LINES } from '../src/server/chunkedRead';
import { traceDiagnostics } from '../src/server/diagnostics';
import { traceHover } from '../src/server/hover';
import { traceInlayHints } from '../src/server/inlayHints';
import { coerceSettings } from '../src/shared/settings';
import { analyzeTrace, flagTrace } from '../src/server/traceAnalysis';
import { TraceSummaryRequest } from '../src/shared/lspProtocol';
import { serverBundle } from '../test/engine/lspServerBundle';
import { buildTrace } from '../test/unit/serverTraceBuilder';
import { tempDir } from '../test/tempDirs';

const steps = Number(process.argv[2] ?? 100_000);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)];
const max = (xs: number[]) => Math.max(...xs);
const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : x < 10 ? 1 : 0)} ms`;
function times(runs: number, f: () => void): number[] {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    xs.push(performance.now() - t0);
  }
  return xs;
}

const t = buildTrace({ steps, dropAt: Math.floor(steps * 0.7) });
const mb = Buffer.byteLength(t.text) / 1e6;
const settings = coerceSettings({});
// Below the recorded -10: the fixed detector flags a later step of the drop (computable by hand).
const fixedLevel = -Math.floor(steps * 0.01);
const fixed = coerceSettings({ detector: { kind: 'fixed', fixedThreshold: fixedLevel } });
const noCal = () => ({ ok: false as const, message: 'none' });

async function inProcess() {
  const read = times(5, () => analyzeTrace(t.text, settings, noCal));
  const chunked: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    flagTrace(await readTraceChunked(t.text), settings, noCal);
    chunked.push(performance.now() - t0);
  }
  // The longest the server is deaf to a cancel while reading: one chunk.
  const chunkTimes: number[] = [];
  const r = new TraceReader(t.text);
  for (let done = false; !done;) {
    const t0 = performance.now();
    done = r.readLines(READ_CHUNK_LINES);
    chunkTimes.push(performance.now() - t0);
  }
  const a = analyzeTrace(t.text, settings, noCal);
  const diags = times(5, () => traceDiagnostics(a, { relatedInformation: true }));
  const hover = times(200, () =>
    traceHover(a, { line: t.lineOfStep(Math.floor(Math.random() * steps)), character: 0 }),
  );
  const lines = t.text.split('\n');
  const hints = times(200, () =>
    traceInlayHints(a, { start: { line: 50_000, character: 0 }, end: { line: 50_060, character: 0 } }, true, (l) =>
      lines[l].slice(0, 200),
    ),
  );
  const reflag = times(5, () => flagTrace(a.read, fixed, noCal));
  return { read, chunked, chunkTimes, diags, hover, hints, reflag };
}

async function overStdio() {
  const dir = tempDir('om-lspbench-');
  const file = path.join(dir, 'big.trace.jsonl');
  fs.writeFileSync(file, t.text);
  const child = spawn(process.execPath, [await serverBundle(), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  let onPublish: ((p: PublishDiagnosticsParams) => void) | null = null;
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => onPublish?.(p));
  let config: Record<string, unknown> = {};
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => config));
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: { workspace: { configuration: true } },
    workspaceFolders: null,
  });
  await conn.sendNotification(InitializedNotification.type, {});
  const uri = pathToFileURL(file).href;
  const published = (ok: (p: PublishDiagnosticsParams) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching publishDiagnostics within 60 s')), 60_000);
      onPublish = (p) => {
        if (ok(p)) {
          clearTimeout(timer);
          resolve();
        }
      };
    });

  const t0 = performance.now();
  const first = published((p) => p.diagnostics.some((d) => d.code === 'flagged'));
  await conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'objective-trace', version: 1, text: t.text },
  });
  await first;
  const openToDiag = performance.now() - t0;

  const hover: number[] = [];
  for (let i = 0; i < 50; i++) {
    const h0 = performance.now();
    await conn.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: t.lineOfStep((i * 997) % steps), character: 0 },
    });
    hover.push(performance.now() - h0);
  }
  const hints: number[] = [];
  for (let i = 0; i < 20; i++) {
    const h0 = performance.now();
    await conn.sendRequest(InlayHintRequest.type, {
      textDocument: { uri },
      range: { start: { line: i * 1000, character: 0 }, end: { line: i * 1000 + 60, character: 0 } },
    });
    hints.push(performance.now() - h0);
  }

  // Re-flag: a settings change re-reads and re-flags the open trace (the cache key includes the settings).
  const fixedLine = t.lineOfStep(Math.floor(steps * 0.7) + Math.ceil((Math.floor(steps * 0.7) - fixedLevel) / 3) - 1);
  const r0 = performance.now();
  const moved = published((p) =>
    p.diagnostics.some((d) => d.code === 'flagged' && Math.abs(d.range.start.line - fixedLine) <= 1),
  );
  config = { detector: { kind: 'fixed', fixedThreshold: fixedLevel } };
  await conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  await moved;
  const reflag = performance.now() - r0;

  // A hover cancelled in the middle of the re-read that the next settings change starts.
  config = {};
  const cts = new CancellationTokenSource();
  await conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  const pending = conn
    .sendRequest(
      HoverRequest.type,
      { textDocument: { uri }, position: { line: t.lineOfStep(5), character: 0 } },
      cts.token,
    )
    .catch(() => null);
  const cancelAt = await new Promise<number>((resolve) =>
    setTimeout(() => {
      cts.cancel();
      resolve(performance.now());
    }, 30),
  );
  await pending;
  const cancel = performance.now() - cancelAt;

  fs.copyFileSync(file, path.join(dir, 'disk.trace.jsonl'));
  const d0 = performance.now();
  await conn.sendRequest(TraceSummaryRequest.type, { uri: pathToFileURL(path.join(dir, 'disk.trace.jsonl')).href });
  const summaryDisk = performance.now() - d0;

  await conn.sendRequest(ShutdownRequest.type);
  const exited = new Promise((r) => child.once('exit', r));
  await conn.sendNotification(ExitNotification.type);
  await exited;
  conn.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  return { openToDiag, hover, hints, reflag, cancel, summaryDisk };
}

async function main() {
  const p = await inProcess();
  const s = await overStdio();
  const rows: [string, string, string, string][] = [
    [
      'diagnostics of the trace: didOpen -> publishDiagnostics (stdio, includes sending the text)',
      ms(s.openToDiag),
      '< 1 s',
      'real server',
    ],
    [
      'read + flag, one piece (readTrace)',
      `${ms(median(p.read))} (${(mb / (median(p.read) / 1000)).toFixed(0)} MB/s)`,
      '',
      'in process',
    ],
    [
      `read + flag, chunked (${READ_CHUNK_LINES} lines a turn, as the server does)`,
      ms(median(p.chunked)),
      '',
      'in process',
    ],
    [
      'longest chunk (the most a cancel waits for the reader)',
      `${ms(max(p.chunkTimes))} (median ${ms(median(p.chunkTimes))})`,
      '',
      'in process',
    ],
    ['hover cancelled in the middle of a re-read: cancel -> answer', ms(s.cancel), '', 'real server'],
    ['diagnostics from an analysis', ms(median(p.diags)), '', 'in process'],
    ['hover (median / max of 200)', `${ms(median(p.hover))} / ${ms(max(p.hover))}`, '< 50 ms', 'in process'],
    ['hover round trip (median / max of 50)', `${ms(median(s.hover))} / ${ms(max(s.hover))}`, '< 50 ms', 'real server'],
    ['inlay hints for 60 visible lines (median)', ms(median(p.hints)), '', 'in process'],
    ['inlay hints round trip (median of 20)', ms(median(s.hints)), '', 'real server'],
    ['re-flag with a fixed threshold (median)', ms(median(p.reflag)), '', 'in process'],
    ['re-flag: settings change -> diagnostic on the new step', ms(s.reflag), '< 1 s', 'real server'],
    ['traceSummary of the file from disk (not synced)', ms(s.summaryDisk), '', 'real server'],
  ];
  console.log(`## Language server: a ${steps.toLocaleString('en-US')}-step trace (${mb.toFixed(1)} MB)

Trace-file language server on a full-recording trace flagged at step ${t.flaggedStep}: the pure handlers in
process, and the real server process over stdio (what an editor waits for). The read is chunked so a
cancel or an edit is seen within one chunk.

| measure | time | target | where |
| --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
