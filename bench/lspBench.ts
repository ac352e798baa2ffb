// Language-server timings on a 100k-step trace (full recording), in process and over stdio.
// Reports medians; never fails on a time. Run: node --import tsx bench/lspBench.ts [steps]
// Targets (task brief): diagnostics < 1 s, hover < 50 ms.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection, DidOpenTextDocumentNotification, ExitNotification, HoverRequest, InitializedNotification,
  InitializeRequest, InlayHintRequest, PublishDiagnosticsNotification, ShutdownRequest, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { traceDiagnostics } from '../src/server/diagnostics';
import { traceHover } from '../src/server/hover';
import { traceInlayHints } from '../src/server/inlayHints';
import { coerceSettings } from '../src/server/settings';
import { analyzeTrace, flagTrace } from '../src/server/traceAnalysis';
import { TraceSummaryRequest } from '../src/shared/lspProtocol';
import { serverBundle } from '../test/engine/lspServerBundle';
import { buildTrace } from '../test/unit/serverTraceBuilder';

const steps = Number(process.argv[2] ?? 100_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
function time(runs: number, f: () => void): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); f(); xs.push(performance.now() - t0); }
  return median(xs);
}

const t = buildTrace({ steps, dropAt: Math.floor(steps * 0.7) });
const mb = Buffer.byteLength(t.text) / 1e6;
const settings = coerceSettings({});
const noCal = () => ({ ok: false as const, message: 'none' });
console.log(`trace: ${steps} steps, ${mb.toFixed(1)} MB, flagged at step ${t.flaggedStep}`);

// In process: the pure handlers.
const read = time(5, () => analyzeTrace(t.text, settings, noCal));
const a = analyzeTrace(t.text, settings, noCal);
const diags = time(5, () => traceDiagnostics(a, { relatedInformation: true }));
const hover = time(200, () => traceHover(a, { line: t.lineOfStep(Math.floor(steps / 2)), character: 0 }));
const hints = time(200, () => traceInlayHints(a, { start: { line: 50_000, character: 0 }, end: { line: 50_060, character: 0 } }, true));
const reflag = time(5, () => flagTrace(a.read, coerceSettings({ detector: { kind: 'fixed', fixedThreshold: -50 } }), noCal));
console.log(`in process: read+flag ${ms(read)} (${(mb / (read / 1000)).toFixed(0)} MB/s), diagnostics ${ms(diags)}, hover ${ms(hover)}, inlay hints (60 lines) ${ms(hints)}, re-flag (fixed) ${ms(reflag)}`);

// Over stdio: what an editor waits for.
async function overStdio(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-lspbench-'));
  const file = path.join(dir, 'big.trace.jsonl');
  fs.writeFileSync(file, t.text);
  const child = spawn(process.execPath, [await serverBundle(), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  let published: (() => void) | null = null;
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => { published?.(); });
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  conn.listen();
  await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: { workspace: { configuration: true } }, workspaceFolders: null });
  await conn.sendNotification(InitializedNotification.type, {});
  const uri = pathToFileURL(file).href;
  const t0 = performance.now();
  const got = new Promise<void>((r) => { published = r; });
  await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'objective-trace', version: 1, text: t.text } });
  await got;
  const openToDiag = performance.now() - t0;
  const hoverRtt: number[] = [];
  for (let i = 0; i < 50; i++) {
    const h0 = performance.now();
    await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: t.lineOfStep((i * 997) % steps), character: 0 } });
    hoverRtt.push(performance.now() - h0);
  }
  const hintRtt: number[] = [];
  for (let i = 0; i < 20; i++) {
    const h0 = performance.now();
    await conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: i * 1000, character: 0 }, end: { line: i * 1000 + 60, character: 0 } } });
    hintRtt.push(performance.now() - h0);
  }
  const s0 = performance.now();
  await conn.sendRequest(TraceSummaryRequest.type, { uri: uri });
  const summaryOpen = performance.now() - s0;
  fs.copyFileSync(file, path.join(dir, 'disk.trace.jsonl'));
  const d0 = performance.now();
  await conn.sendRequest(TraceSummaryRequest.type, { uri: pathToFileURL(path.join(dir, 'disk.trace.jsonl')).href });
  const summaryDisk = performance.now() - d0;
  console.log(`over stdio: didOpen -> publishDiagnostics ${ms(openToDiag)} (first push is not debounced; includes sending ${mb.toFixed(0)} MB through JSON-RPC), hover round trip median ${ms(median(hoverRtt))}, inlay hints round trip ${ms(median(hintRtt))}, traceSummary open ${ms(summaryOpen)}, from disk ${ms(summaryDisk)}`);
  await conn.sendRequest(ShutdownRequest.type);
  await conn.sendNotification(ExitNotification.type);
  await new Promise((r) => child.once('exit', r));
  conn.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}

overStdio().catch((e) => { console.error(e); process.exitCode = 1; });
