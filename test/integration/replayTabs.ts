// The replay panels as the user sees them: editor tabs whose input is a webview of the replay's
// view type, told apart by their title (the episode the trace's header names). Tests read these
// instead of the extension's own panel list (docs/testing.md: no test hooks in production).
import fs from 'node:fs';
import * as vscode from 'vscode';
import type { TraceHeader } from '../../src/core/traceFormat';

/** The replay panel's view type (what package.json's activation and the serializer name). */
export const REPLAY_VIEW_TYPE = 'objectiveMonitor.replay';

/** Every open replay tab. (The workbench may prefix a webview's viewType; the suffix is ours.) */
export function replayTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(REPLAY_VIEW_TYPE));
}

/** The title a ready replay of `file` shows: "Replay: <scenario> / <agent> · seed <n>" and the note. */
export function replayTitle(file: string, note?: string): string {
  const h = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as TraceHeader;
  return `Replay: ${h.scenario.name} / ${h.agent.name} · seed ${h.seed}${note ? ` (${note})` : ''}`;
}

/** The replay tabs of `file` once it has loaded (its title names the episode only then). */
export function replayTabsOf(file: string, note?: string): vscode.Tab[] {
  const title = replayTitle(file, note);
  return replayTabs().filter((t) => t.label === title);
}

export async function closeReplayTabs(): Promise<void> {
  await vscode.window.tabGroups.close(replayTabs());
}
