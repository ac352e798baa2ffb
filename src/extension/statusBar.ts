// The status bar item while a run is going: episodes done/total and flags so far. Clicking it
// opens the replay of the episode the run is showing.
import * as vscode from 'vscode';

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('objectiveMonitor.run', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'Objective Monitor Run';
  }

  dispose(): void {
    this.item.dispose();
  }

  show(label: string, done: number, total: number, flagged: number, trace: string | undefined): void {
    this.item.text = `$(sync~spin) ${label} ${done}/${total} · ${flagged} flagged`;
    this.item.tooltip = `Objective Monitor: ${label}, ${done} of ${total} episodes done, ${flagged} flagged.\nClick to open the replay.`;
    this.item.command = trace
      ? { title: 'Open Replay', command: 'objectiveMonitor.openTrace', arguments: [vscode.Uri.file(trace)] }
      : 'objectiveMonitor.showOutput';
    this.item.backgroundColor = flagged > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  /** for tests */
  get text(): string {
    return this.item.text;
  }
}
