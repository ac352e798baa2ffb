// The extension's state and its three lifetimes (after rust-analyzer's ctx.ts):
//   extension — output, views, panels, watchers: disposed on deactivate;
//   client    — the trace language server, started on the first trace document;
//   run       — the engine child of the run in progress (RunController), killed by Stop Run or deactivate.
import path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { FlagSettings } from '../core/reflag';
import { Config } from './config';
import { BigTraceProblems } from './bigTraceProblems';
import { createTraceClient } from './languageClient';
import { ReplayPanel, ReplaySerializer, REPLAY_VIEW_TYPE, type ReplayHost } from './replayPanel';
import { RunController } from './runController';
import { RunsModel } from './runsModel';
import { RunsTreeProvider } from './runsTree';
import { RunStatusBar } from './statusBar';
import { TraceCache } from './traceCache';
import { UserErrorReporter } from './userErrors';
import { TRACE_LANGUAGE_ID } from '../shared/lspProtocol';

export const OUT_FOLDER = '.objective-monitor';

export class Ctx {
  readonly config = new Config();
  readonly output: vscode.LogOutputChannel;
  readonly store = new TraceCache();
  /** the runs and their episodes, as the Runs view shows them */
  readonly runsModel: RunsModel;
  readonly statusBar = new RunStatusBar();
  readonly errors: UserErrorReporter;
  /** the run in progress (at most one) */
  readonly runController: RunController;
  readonly replayHost: ReplayHost;
  private client: LanguageClient | undefined;
  private clientStarting: Promise<void> | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    const subs = extension.subscriptions;
    this.output = vscode.window.createOutputChannel('Objective Monitor', { log: true });
    subs.push(this.output);
    this.runsModel = new RunsModel(
      this.store,
      () => this.outDir,
      () => this.flagSettings(),
    );
    const tree = new RunsTreeProvider(this.runsModel, path.join(extension.extensionPath, 'dist', 'scenarios'));
    const treeView = vscode.window.createTreeView('objectiveMonitor.runs', {
      treeDataProvider: tree,
      showCollapseAll: true,
    });
    this.errors = new UserErrorReporter(this.output);
    this.replayHost = {
      extensionUri: extension.extensionUri,
      store: this.store,
      workspaceState: extension.workspaceState,
      flagSettings: () => this.flagSettings(),
      log: (m) => this.output.warn(m),
      info: (m) => this.output.info(m),
    };
    this.runController = new RunController({
      model: this.runsModel,
      statusBar: this.statusBar,
      errors: this.errors,
      output: this.output,
      replayHost: this.replayHost,
    });
    subs.push(this.runsModel, tree, treeView, this.statusBar, this.errors, {
      dispose: () => void this.runController.dispose(),
    });
    subs.push(vscode.window.registerWebviewPanelSerializer(REPLAY_VIEW_TYPE, new ReplaySerializer(this.replayHost)));
    subs.push({
      dispose: () => {
        for (const p of ReplayPanel.all) p.dispose();
      },
    });

    subs.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (Config.affectsReflag(e)) void this.reflagAll();
      }),
    );
    // Handlers read isTrusted at call time; granting trust only needs the views to catch up.
    subs.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.output.info('Workspace trusted: running and calibrating are enabled.');
        void this.runsModel.refresh();
      }),
    );
    subs.push(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.runsModel.refresh()));
    this.watchTraces();

    // The language client: started with the first trace document, never before.
    const maybeStart = (doc: vscode.TextDocument) => {
      if (doc.languageId === TRACE_LANGUAGE_ID) void this.startClient();
    };
    subs.push(vscode.workspace.onDidOpenTextDocument(maybeStart));
    vscode.workspace.textDocuments.forEach(maybeStart);
    subs.push({ dispose: () => void this.client?.stop() });
    subs.push(new BigTraceProblems(() => this.startClient(), this.output)); // traces over 50 MB, which the client never syncs
    void this.runsModel.refresh();
  }

  /** <first workspace folder>/.objective-monitor, or undefined without a folder. */
  get outDir(): string | undefined {
    const f = vscode.workspace.workspaceFolders?.find((w) => w.uri.scheme === 'file');
    return f ? path.join(f.uri.fsPath, OUT_FOLDER) : undefined;
  }

  get workspaceRoot(): string | undefined {
    return vscode.workspace.workspaceFolders?.find((w) => w.uri.scheme === 'file')?.uri.fsPath;
  }

  get cliPath(): string {
    return vscode.Uri.joinPath(this.extension.extensionUri, 'dist', 'cli.js').fsPath;
  }

  get nodePath(): string {
    return this.config.nodePath || process.execPath;
  }

  flagSettings(): FlagSettings {
    return this.config.flagSettings;
  }

  /** Settings changed: re-flag every recorded trace (the view) and every open panel. */
  async reflagAll(): Promise<void> {
    await this.runsModel.refresh();
    await Promise.all(
      ReplayPanel.all.map((p) =>
        p.reflag().catch((e: unknown) => this.output.warn(`re-flag ${p.file}: ${(e as Error).message}`)),
      ),
    );
  }

  private watchTraces(): void {
    // Runs started outside VS Code (the CLI in a terminal) show up too.
    const w = vscode.workspace.createFileSystemWatcher(`**/${OUT_FOLDER}/traces/**/*.trace.jsonl`);
    let timer: NodeJS.Timeout | undefined;
    const soon = () => {
      if (this.runController.running) return; // the live event stream keeps the view current
      clearTimeout(timer);
      timer = setTimeout(() => void this.runsModel.refresh(), 500);
    };
    this.extension.subscriptions.push(w, w.onDidCreate(soon), w.onDidDelete(soon), {
      dispose: () => clearTimeout(timer),
    });
  }

  async startClient(): Promise<LanguageClient | undefined> {
    if (this.client) return this.client;
    this.clientStarting ??= (async () => {
      const client = createTraceClient(this.extension.extensionUri, this.output);
      if (!client) {
        this.output.warn('The trace language server (dist/server.js) is not built; trace files get no diagnostics.');
        return;
      }
      this.client = client;
      await client.start();
    })().catch((e: unknown) => {
      this.output.error(`trace language server failed to start: ${(e as Error).message}`);
    });
    await this.clientStarting;
    return this.client;
  }
}
