// The trust gate: every handler that would run, calibrate or load workspace code calls this
// first (a command can be invoked directly even when hidden from menus). No reload is needed after
// trust is granted: the check reads vscode.workspace.isTrusted at call time.
import * as vscode from 'vscode';

export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(
      `Objective Monitor: ${action} runs code from this workspace, which is in Restricted Mode. Trust the workspace to ${action.toLowerCase()}; traces can still be replayed.`,
      'Manage Workspace Trust',
    )
    .then((c) => {
      if (c) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}
