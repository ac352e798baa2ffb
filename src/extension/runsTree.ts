// The Runs view: scenarios -> runs -> episodes (an icon per end reason) -> the flagged step.
// Selecting an episode opens its replay; selecting the flag opens it at the flagged step.
// Scenarios are grouped by their file, not only their name: two folders may each hold a
// "corridor", and the description names the folder so they are told apart.
import path from 'node:path';
import * as vscode from 'vscode';
import { END_REASON_TEXT, endReasonGroup, type EndReason, type EndReasonGroup } from '../core/traceFormat';
import type { EpisodeInfo, RunInfo, RunsModel } from './runsModel';

export type RunsNode =
  | { kind: 'scenario'; name: string; file: string; runs: RunInfo[] }
  | { kind: 'run'; run: RunInfo }
  | { kind: 'episode'; episode: EpisodeInfo }
  | { kind: 'flag'; episode: EpisodeInfo; step: number };

const REASON_ICON: Record<EndReason, string> = {
  completed: 'pass',
  flagged_stop: 'debug-stop',
  predicted_stop: 'shield',
  step_timeout: 'watch',
  episode_timeout: 'watch',
  oom: 'error',
  crashed: 'error',
  killed_by_user: 'circle-slash',
  protocol_error: 'bug',
  host_shutdown: 'debug-disconnect',
};
/** The icon's colour follows the reason's group (core/traceFormat.ts), as the replay header's tone does. */
const GROUP_COLOR: Record<EndReasonGroup, string | undefined> = {
  completed: 'testing.iconPassed',
  protocol: 'problemsWarningIcon.foreground',
  failure: 'problemsErrorIcon.foreground',
  interrupted: undefined,
};
function reasonIcon(reason: EndReason): [string, string?] {
  return [REASON_ICON[reason], GROUP_COLOR[endReasonGroup(reason)]];
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  /** `builtinDir`: where the built-in scenarios live (shown as "built-in", not as a folder) */
  constructor(
    private readonly model: RunsModel,
    private readonly builtinDir = '',
  ) {
    this.sub = model.onDidChange(() => this.changed.fire(undefined));
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) {
      const byScenario = new Map<string, RunsNode & { kind: 'scenario' }>();
      for (const r of this.model.all) {
        // a run of forks is shown under the episodes it forked (when they are still listed)
        if (r.episodes.length > 0 && r.episodes.every((e) => e.forkOf && this.model.episodeByFile(e.forkOf.trace)))
          continue;
        const key = scenarioKey(r);
        const group = byScenario.get(key) ?? { kind: 'scenario', name: r.scenario, file: r.scenarioFile, runs: [] };
        group.runs.push(r);
        byScenario.set(key, group);
      }
      return [...byScenario.values()].sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file));
    }
    switch (node.kind) {
      case 'scenario':
        return node.runs.map((run) => ({ kind: 'run', run }));
      case 'run':
        return node.run.episodes.map((episode) => ({ kind: 'episode', episode }));
      case 'episode': {
        const flag: RunsNode[] =
          node.episode.flaggedStep === null
            ? []
            : [{ kind: 'flag', episode: node.episode, step: node.episode.flaggedStep }];
        return [
          ...flag,
          ...this.model.forksOf(node.episode.file).map((episode): RunsNode => ({ kind: 'episode', episode })),
        ];
      }
      default:
        return [];
    }
  }

  getParent(node: RunsNode): RunsNode | undefined {
    switch (node.kind) {
      case 'run': {
        const key = scenarioKey(node.run);
        return {
          kind: 'scenario',
          name: node.run.scenario,
          file: node.run.scenarioFile,
          runs: this.model.all.filter((r) => scenarioKey(r) === key),
        };
      }
      case 'episode': {
        const parent = node.episode.forkOf && this.model.episodeByFile(node.episode.forkOf.trace);
        if (parent) return { kind: 'episode', episode: parent };
        const run = this.model.run(node.episode.runId);
        return run ? { kind: 'run', run } : undefined;
      }
      case 'flag':
        return { kind: 'episode', episode: node.episode };
      default:
        return undefined;
    }
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'scenario': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `scenario:${node.name}:${node.file}`;
        item.iconPath = new vscode.ThemeIcon('symbol-class');
        const where = this.whereOf(node.file);
        item.description = `${where ? `${where} · ` : ''}${node.runs.length} run${node.runs.length === 1 ? '' : 's'}`;
        if (node.file) item.tooltip = `${node.name}\n${node.file}`;
        item.contextValue = 'scenario';
        return item;
      }
      case 'run': {
        const r = node.run;
        const flagged = r.episodes.filter((e) => e.flaggedStep !== null).length;
        const running = r.episodes.some((e) => e.running);
        const item = new vscode.TreeItem(`${r.agent} · ${r.distribution}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${r.runId}`;
        item.description = `${flagged}/${r.episodes.length} flagged${running ? ' · running' : ''} · ${formatTime(r.startedAt)}`;
        if (r.calibratedOn) item.description += ` · calibrated on agent ${r.calibratedOn}`;
        item.tooltip = `run ${r.runId}\n${r.dir}${r.calibratedOn ? `\ncalibrated on agent ${r.calibratedOn}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(running ? 'loading~spin' : flagged ? 'warning' : 'check');
        item.contextValue = 'run';
        return item;
      }
      case 'episode': {
        const e = node.episode;
        const hasChildren = e.flaggedStep !== null || this.model.forksOf(e.file).length > 0;
        const label = e.forkOf ? `fork at step ${e.forkOf.step} · ${e.agent}` : `seed ${e.seed}`;
        const item = new vscode.TreeItem(
          label,
          hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
        );
        item.id = `episode:${e.file}`;
        const [icon, color] = e.running ? ['loading~spin'] : e.reason ? reasonIcon(e.reason) : ['question'];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        const status = e.running ? 'running' : e.reason ? END_REASON_TEXT[e.reason] : 'incomplete (no episode_end)';
        item.description = `${e.steps} steps · ${e.flaggedStep === null ? '' : `flagged at ${e.flaggedStep} · `}${status}`;
        const tip = new vscode.MarkdownString();
        tip.appendText(`${e.scenario} / ${e.agent}, seed ${e.seed} (${e.distribution})\n${status}, ${e.steps} steps\n`);
        if (e.flaggedStep !== null)
          tip.appendText(
            `flagged at step ${e.flaggedStep}${e.flaggedStep !== e.recordedFlaggedStep ? ` (recorded: ${e.recordedFlaggedStep ?? 'none'})` : ''}\n`,
          );
        if (e.error)
          tip.appendText(
            `error: ${e.error.message}${e.error.file ? ` (${e.error.file}:${e.error.line ?? ''})` : ''}\n`,
          );
        if (e.note) tip.appendText(`note: ${e.note}\n`);
        if (e.calibratedOn) tip.appendText(`calibrated on agent ${e.calibratedOn}\n`);
        if (e.forkOf)
          tip.appendText(`fork of ${e.forkOf.trace} at step ${e.forkOf.step}: agent ${e.agent} took over\n`);
        item.tooltip = tip;
        item.resourceUri = vscode.Uri.file(e.file);
        item.contextValue = e.flaggedStep === null ? 'episode' : 'episodeFlagged';
        item.command = {
          title: 'Open Trace in Replay',
          command: 'objectiveMonitor.openTrace',
          arguments: [vscode.Uri.file(e.file)],
        };
        return item;
      }
      case 'flag': {
        const item = new vscode.TreeItem(`flagged at step ${node.step}`, vscode.TreeItemCollapsibleState.None);
        item.id = `flag:${node.episode.file}`;
        item.iconPath = new vscode.ThemeIcon('flag', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.description = 'the running objective fell below the threshold';
        item.contextValue = 'flag';
        item.command = {
          title: 'Open Trace in Replay at the Flag',
          command: 'objectiveMonitor.openTrace',
          arguments: [vscode.Uri.file(node.episode.file), node.step],
        };
        return item;
      }
    }
  }

  /** The scenario's folder relative to the workspace folder ("." for the folder itself), "built-in",
   *  or the absolute folder when it is elsewhere; '' when the file is unknown. */
  private whereOf(file: string): string {
    if (!file) return '';
    const dir = path.dirname(file);
    if (this.builtinDir && (dir + path.sep).startsWith(this.builtinDir + path.sep)) return 'built-in';
    const root = vscode.workspace.workspaceFolders?.find((w) => w.uri.scheme === 'file')?.uri.fsPath;
    const rel = root ? path.relative(root, dir) : '';
    if (!root || rel.startsWith('..') || path.isAbsolute(rel)) return dir;
    return rel === '' ? '.' : rel.split(path.sep).join('/');
  }
}

/** Runs of one scenario file belong together; runs whose file is unknown go by the name. */
function scenarioKey(r: RunInfo): string {
  return `${r.scenario}\0${r.scenarioFile}`;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? ''
    : d.toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
}
