// Problems for trace files VS Code does not sync to extensions (over 50 MB): the language server
// never gets a didOpen for them, so its diagnostics cannot reach the Problems panel. For every
// such trace open in a tab, this asks the server for the file's summary read from disk
// (objectiveMonitor/traceSummary), which carries the server's diagnostics, and publishes them in a
// collection of its own: the same messages, lines and severities as for a synced trace.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TRACE_EXTENSION } from '../core/traceFormat';
import { SETTINGS_SECTION, type TraceSummaryRequest } from '../shared/lspProtocol';

export const LARGE_TRACE_COLLECTION = 'objective-monitor-large';
// By method name: a RequestType built by another copy of vscode-jsonrpc is not recognised by the
// client's copy ("Unknown parameter structure auto").
const SUMMARY_METHOD = 'objectiveMonitor/traceSummary' satisfies typeof TraceSummaryRequest.method;
/** A file being written fires many change events: wait for quiet before re-reading 50 MB. */
const FILE_DEBOUNCE_MS = 500;
/** The client forwards a settings change and the server pulls the new section before it
 *  re-flags: asking at once would often get the old answer. */
const SETTINGS_DEBOUNCE_MS = 750;

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
        if (uri.scheme !== 'file' || !uri.path.endsWith(TRACE_EXTENSION) || synced.has(uri.toString())) continue;
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
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath)),
    );
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

  private async refreshAll(): Promise<void> {
    await Promise.all([...this.tracked.values()].map((t) => this.refresh(t.uri)));
  }

  /** Asks the server for the summary of a tracked trace and publishes its diagnostics. */
  private async refresh(uri: vscode.Uri): Promise<void> {
    const t = this.tracked.get(uri.toString());
    const generation = t ? ++t.generation : 0;
    const stale = () => t !== undefined && (t.generation !== generation || this.tracked.get(uri.toString()) !== t);
    try {
      if (!fs.existsSync(uri.fsPath)) {
        if (!stale()) this.diagnostics.delete(uri);
        return;
      }
      const client = await this.client();
      if (!client) return;
      const summary = await client.sendRequest<TraceSummaryRequest.Result>(SUMMARY_METHOD, { uri: uri.toString() });
      if (stale()) return;
      // Synced meanwhile: the server publishes this document's diagnostics itself.
      if (summary.source === 'document') {
        this.diagnostics.delete(uri);
        return;
      }
      // The server's own diagnostics, converted as the client converts those it publishes.
      const diags = await client.protocol2CodeConverter.asDiagnostics(summary.diagnostics);
      if (stale()) return;
      this.diagnostics.set(uri, diags);
    } catch (e) {
      this.output.warn(`problems of the large trace ${uri.fsPath}: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    clearTimeout(this.settingsTimer);
    for (const t of this.tracked.values()) this.untrack(t);
    this.tracked.clear();
    for (const d of this.subs) d.dispose();
  }
}
