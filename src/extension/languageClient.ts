// The client of the trace-file language server (dist/server.js, written by src/server). Started
// when the first trace document opens, not on activation: most sessions never open a trace.
import fs from 'node:fs';
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { SETTINGS_SECTION, TRACE_LANGUAGE_ID } from '../shared/lspProtocol';

export function createTraceClient(
  extensionUri: vscode.Uri,
  output: vscode.LogOutputChannel,
): LanguageClient | undefined {
  const module = vscode.Uri.joinPath(extensionUri, 'dist', 'server.js').fsPath;
  if (!fs.existsSync(module)) return undefined;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: TRACE_LANGUAGE_ID }],
    synchronize: { configurationSection: SETTINGS_SECTION },
    outputChannel: output,
  };
  return new LanguageClient('objectiveMonitorTraces', 'Objective Monitor Traces', serverOptions, clientOptions);
}
