// Problems for trace files VS Code does not sync to extensions (over 50 MB): the language server
// never gets a didOpen for them, so its diagnostics cannot reach the Problems panel. For every
// such trace open in a tab, this asks the server for the file's summary read from disk
// (objectiveMonitor/traceSummary) and publishes it in a collection of its own.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { DIAGNOSTIC_SOURCE, SETTINGS_SECTION, type TraceSummaryProblem, type TraceSummaryRequest } from '../shared/lspProtocol';

export const LARGE_TRACE_COLLECTION = 'objective-monitor-large';
/** Internal command (not contributed): refreshes one URI, or all tabs; resolves when published. */
export const REFRESH_LARGE_TRACES_COMMAND = 'objectiveMonitor.refreshLargeTraceProblems';
// By method name: a RequestType built by another copy of vscode-jsonrpc is not recognised by the
// client's copy ("Unknown parameter structure auto").
const SUMMARY_METHOD = 'objectiveMonitor/traceSummary' satisfies typeof TraceSummaryRequest.method;
const TRACE_SUFFIX = '.trace.jsonl';
/** A file being written fires many change events: wait for quiet before re-reading 50 MB. */
const FILE_DEBOUNCE_MS = 500;
/** The client forwards a settings change and the server pulls the new section before it
 *  re-flags: asking at once would often get the old answer. */
const SETTINGS_DEBOUNCE_MS = 750;
const ERROR_END_REASONS: ReadonlySet<string> = new Set(['crashed', 'oom', 'protocol_error', 'step_timeout', 'episode_timeout']);

interface Tracked {
  uri: vscode.Uri;
  watcher: vscode.FileSystemWatcher;
  timer?: NodeJS.Timeout;
  /** bumped by each refresh, so a slow answer for an old state is dropped */
  generation: number;
}

export class BigTraceProblems implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection(LARGE_TRACE_COLLECTION);
  private readonly tracked = new Map<string, Tracked>();
  private readonly subs: vscode.Disposable[] = [this.diagnostics];
  private settingsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: () => Promise<LanguageClient | undefined>,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.subs.push(
      vscode.window.tabGroups.onDidChangeTabs(() => this.syncTabs()),
      // A file that becomes synced (or stops being synced) changes hands with the server's own diagnostics.
      vscode.workspace.onDidOpenTextDocument(() => this.syncTabs()),
      vscode.workspace.onDidCloseTextDocument(() => this.syncTabs()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SETTINGS_SECTION) || this.tracked.size === 0) return;
        clearTimeout(this.settingsTimer);
        this.settingsTimer = setTimeout(() => void this.refreshAll(), SETTINGS_DEBOUNCE_MS);
      }),
      vscode.commands.registerCommand(REFRESH_LARGE_TRACES_COMMAND, (uri?: vscode.Uri | string) =>
        uri === undefined ? this.refreshAll() : this.refresh(typeof uri === 'string' ? vscode.Uri.parse(uri) : uri)),
    );
    this.syncTabs();
  }

  /** Traces open in a tab whose text VS Code did not give to extensions. */
  static unsyncedTraceTabs(): vscode.Uri[] {
    const synced = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    const out = new Map<string, vscode.Uri>();
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        if (!(tab.input instanceof vscode.TabInputText)) continue;
        const uri = tab.input.uri;
        if (uri.scheme !== 'file' || !uri.path.endsWith(TRACE_SUFFIX) || synced.has(uri.toString())) continue;
        out.set(uri.toString(), uri);
      }
    }
    return [...out.values()];
  }

  /** Tracks the traces now in tabs; forgets (and clears) the others. */
  private syncTabs(): void {
    const now = new Map(BigTraceProblems.unsyncedTraceTabs().map((u) => [u.toString(), u]));
    for (const [key, t] of this.tracked) {
      if (now.has(key)) continue;
      this.untrack(t);
      this.tracked.delete(key);
      this.diagnostics.delete(t.uri);
    }
    for (const [key, uri] of now) {
      if (this.tracked.has(key)) continue;
      this.track(uri);
      void this.refresh(uri);
    }
  }

  private track(uri: vscode.Uri): Tracked {
    // A watcher on the file itself: the trace may live outside the workspace folders.
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath)));
    const t: Tracked = { uri, watcher, generation: 0 };
    const soon = () => {
      clearTimeout(t.timer);
      t.timer = setTimeout(() => void this.refresh(uri), FILE_DEBOUNCE_MS);
    };
    watcher.onDidChange(soon);
    watcher.onDidCreate(soon);
    watcher.onDidDelete(soon);
    this.tracked.set(uri.toString(), t);
    return t;
  }

  private untrack(t: Tracked): void {
    clearTimeout(t.timer);
    t.generation++;
    t.watcher.dispose();
  }

  async refreshAll(): Promise<void> {
    await Promise.all([...this.tracked.values()].map((t) => this.refresh(t.uri)));
  }

  /** Asks the server for the trace's summary and publishes it. A URI not in a tab is published
   *  too (the test hook), but nothing will clear it until a tab for it opens and closes. */
  async refresh(uri: vscode.Uri): Promise<vscode.Diagnostic[]> {
    const t = this.tracked.get(uri.toString());
    const generation = t ? ++t.generation : 0;
    const stale = () => t !== undefined && (t.generation !== generation || this.tracked.get(uri.toString()) !== t);
    try {
      if (!fs.existsSync(uri.fsPath)) {
        if (!stale()) this.diagnostics.delete(uri);
        return [];
      }
      const client = await this.client();
      if (!client) return [];
      const summary = await client.sendRequest<TraceSummaryRequest.Result>(SUMMARY_METHOD, { uri: uri.toString() });
      if (stale()) return [];
      // Synced meanwhile: the server publishes this document's diagnostics itself.
      if (summary.source === 'document') { this.diagnostics.delete(uri); return []; }
      const diags = summary.problems.map(problemDiagnostic);
      if (summary.flaggedStep !== null) {
        const at = await findStepLine(uri.fsPath, summary.flaggedStep).catch((e: unknown) => {
          this.output.warn(`finding step ${summary.flaggedStep} in ${uri.fsPath}: ${(e as Error).message}`);
          return undefined;
        });
        if (stale()) return [];
        diags.unshift(flagDiagnostic(summary, summary.flaggedStep, at));
      }
      this.diagnostics.set(uri, diags);
      return diags;
    } catch (e) {
      this.output.warn(`problems of the large trace ${uri.fsPath}: ${(e as Error).message}`);
      return [];
    }
  }

  dispose(): void {
    clearTimeout(this.settingsTimer);
    for (const t of this.tracked.values()) this.untrack(t);
    this.tracked.clear();
    for (const d of this.subs) d.dispose();
  }
}

function lineRange(line: number, length?: number): vscode.Range {
  // Unknown length: to the start of the next line, which VS Code shows as the whole line.
  return length === undefined ? new vscode.Range(line, 0, line + 1, 0) : new vscode.Range(line, 0, line, length);
}

function problemDiagnostic(p: TraceSummaryProblem): vscode.Diagnostic {
  let severity = vscode.DiagnosticSeverity.Error;
  let message = p.message;
  if (p.kind === 'incomplete' || p.kind === 'inconsistent' || p.kind === 'reflag') severity = vscode.DiagnosticSeverity.Warning;
  if (p.kind === 'torn') { severity = vscode.DiagnosticSeverity.Warning; message = `torn last line: ${p.message}`; }
  if (p.kind === 'end_reason') {
    const reason = /^episode ended: ([a-z_]+)/.exec(p.message)?.[1] ?? '';
    severity = ERROR_END_REASONS.has(reason) ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  }
  const d = new vscode.Diagnostic(lineRange(Math.max(0, p.line)), message, severity);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = p.kind;
  return d;
}

function flagDiagnostic(s: TraceSummaryRequest.Result, step: number, at: StepLine | undefined): vscode.Diagnostic {
  const score = at?.record?.score;
  // The recorded threshold is only the one that flagged when the trace was not re-flagged.
  const threshold = !s.reflagged ? at?.record?.threshold : undefined;
  let message = `running objective${typeof score === 'number' ? ` ${fmt(score)}` : ''} fell below the threshold${typeof threshold === 'number' ? ` ${fmt(threshold)}` : ''} at step ${step} (detector ${s.detector ?? 'unknown'})`;
  if (s.reflagged) {
    message += s.recordedFlaggedStep === step
      ? '; re-flagged with the current settings, same step as recorded'
      : `; re-flagged with the current settings (recorded: ${s.recordedFlaggedStep === null ? 'no flag' : `step ${s.recordedFlaggedStep}`})`;
  }
  if (!at) message += ' (line not found in the file)';
  const stopped = s.reason === 'flagged_stop' && s.recordedFlaggedStep === step;
  const d = new vscode.Diagnostic(at ? lineRange(at.line, at.length) : lineRange(0), message, stopped ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = 'flagged';
  return d;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6).replace(/\.?0+$/, '');
}

export interface StepLine {
  /** 0-based line */
  line: number;
  /** characters in the line, when the whole line was read */
  length?: number;
  /** the step record, when the line parsed as one */
  record?: { score?: unknown; threshold?: unknown };
}

/** Longest line kept when reading the matched record (step records are ~150 bytes). */
const MAX_RECORD_BYTES = 64 * 1024;

/**
 * The line of the step record `"step":N,` by a streaming byte scan (the file may be hundreds of
 * MB; only the part up to the match is read). Undefined when no line matches.
 */
export async function findStepLine(file: string, step: number): Promise<StepLine | undefined> {
  const needle = Buffer.from(`"step":${step},`);
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  let line = 0;
  let carry: Buffer = Buffer.alloc(0);
  /** set once matched: the bytes of the matched line so far */
  let found: { line: number; bytes: Buffer } | undefined;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (found) {
        const nl = chunk.indexOf(0x0a);
        found.bytes = Buffer.concat([found.bytes, nl < 0 ? chunk : chunk.subarray(0, nl)]);
        if (nl >= 0 || found.bytes.length > MAX_RECORD_BYTES) return stepLine(found.line, found.bytes, step);
        continue;
      }
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const at = buf.indexOf(needle);
      if (at >= 0) {
        const start = buf.lastIndexOf(0x0a, at) + 1;
        line += countNewlines(buf, 0, start);
        const nl = buf.indexOf(0x0a, at);
        if (nl >= 0) return stepLine(line, buf.subarray(start, nl), step);
        found = { line, bytes: Buffer.from(buf.subarray(start)) };
        continue;
      }
      // Keep the tail a match could start in, and whole-line context for the next chunk's match.
      const lineStart = buf.lastIndexOf(0x0a) + 1;
      const keepFrom = Math.min(lineStart, Math.max(0, buf.length - (needle.length - 1)));
      const from = buf.length - keepFrom > MAX_RECORD_BYTES ? buf.length - (needle.length - 1) : keepFrom;
      line += countNewlines(buf, 0, from);
      carry = Buffer.from(buf.subarray(from));
    }
    return found ? stepLine(found.line, found.bytes, step) : undefined;
  } finally {
    stream.destroy();
  }
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a, from); i >= 0 && i < to; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

function stepLine(line: number, bytes: Buffer, step: number): StepLine {
  const text = bytes.toString('utf8').replace(/\r$/, '');
  try {
    const r = JSON.parse(text) as { type?: unknown; step?: unknown; score?: unknown; threshold?: unknown };
    if (r && r.type === 'step' && r.step === step) return { line, length: text.length, record: r };
  } catch {
    // a damaged line that still holds the needle: the line is right, the values are not known
  }
  return { line, length: text.length };
}
