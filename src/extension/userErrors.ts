// Errors from user code (episode_end.error / reason) shown where the user can act on them: a
// message with a "Go to file:line" button, a diagnostic at the line, and the Output channel.
import path from 'node:path';
import * as vscode from 'vscode';
import type { EndReason, UserError } from '../core/traceFormat';
import { END_REASON_TEXT } from '../core/traceFormat';

export interface EpisodeFailure {
  seed: number;
  reason: EndReason;
  error?: UserError;
  trace: string;
}

export function describeFailure(f: EpisodeFailure): string {
  const where = f.error?.file ? ` (${path.basename(f.error.file)}${f.error.line ? `:${f.error.line}` : ''})` : '';
  const msg = f.error?.message ? `: ${f.error.message}` : '';
  return `seed ${f.seed} ${END_REASON_TEXT[f.reason]}${f.error?.phase ? ` in ${f.error.phase}` : ''}${msg}${where}`;
}

export function errorLocation(e: UserError | undefined): vscode.Location | undefined {
  if (!e?.file || !path.isAbsolute(e.file)) return undefined;
  const line = Math.max(0, (e.line ?? 1) - 1);
  const col = Math.max(0, (e.column ?? 1) - 1);
  return new vscode.Location(vscode.Uri.file(e.file), new vscode.Position(line, col));
}

export class UserErrorReporter implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('objective-monitor-run');

  constructor(private readonly output: vscode.LogOutputChannel) {}

  dispose(): void {
    this.diagnostics.dispose();
  }

  clear(): void {
    this.diagnostics.clear();
  }

  /** Records failures as diagnostics and output lines; shows one message for all of them. */
  async report(title: string, failures: EpisodeFailure[]): Promise<void> {
    if (failures.length === 0) return;
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const f of failures) {
      const loc = errorLocation(f.error);
      const text = describeFailure(f);
      this.output.error(
        `${text}${loc ? ` at ${loc.uri.fsPath}:${loc.range.start.line + 1}:${loc.range.start.character + 1}` : ''} — trace ${f.trace}`,
      );
      if (f.error?.stack) this.output.error(f.error.stack);
      if (!loc) continue;
      const d = new vscode.Diagnostic(
        new vscode.Range(loc.range.start, loc.range.start.translate(0, 1000)),
        `${END_REASON_TEXT[f.reason]}: ${f.error?.message ?? ''} (seed ${f.seed})`,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = 'Objective Monitor';
      const list = byFile.get(loc.uri.toString()) ?? [];
      list.push(d);
      byFile.set(loc.uri.toString(), list);
    }
    for (const [uri, list] of byFile) this.diagnostics.set(vscode.Uri.parse(uri), list);
    const first = failures[0];
    const loc = errorLocation(first.error);
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    const actions: string[] = [];
    const goTo = loc ? `Go to ${path.basename(loc.uri.fsPath)}:${loc.range.start.line + 1}` : undefined;
    if (goTo) actions.push(goTo);
    actions.push('Open Trace', 'Show Output');
    const choice = await vscode.window.showErrorMessage(`${title}: ${describeFailure(first)}${more}`, ...actions);
    if (choice === goTo && loc) {
      await vscode.window.showTextDocument(loc.uri, { selection: loc.range });
    } else if (choice === 'Open Trace') {
      await vscode.commands.executeCommand('objectiveMonitor.openTrace', vscode.Uri.file(first.trace));
    } else if (choice === 'Show Output') {
      this.output.show(true);
    }
  }
}
