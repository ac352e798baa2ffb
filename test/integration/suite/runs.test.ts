// A real run of the built-in racing scenario with the misaligned agent, through the engine child:
// traces on disk, the Runs view, the replay panel, re-flagging on a settings change, Stop Run.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runController';
import type { RunsNode } from '../../../src/extension/runsTree';
import { api, childProcesses, groupMembers, setSetting, waitFor, workspaceRoot } from '../helpers';
import { closeReplayTabs, replayTabs, replayTabsOf } from '../replayTabs';
import { log } from '../log';

type Api = Awaited<ReturnType<typeof api>>;

function episodesOf(a: Api, runId: string): RunsNode[] {
  const tree = a.ctx.tree;
  for (const s of tree.getChildren())
    for (const r of tree.getChildren(s)) {
      if (r.kind === 'run' && r.run.runId === runId) return tree.getChildren(r);
    }
  return [];
}

/** The episode_end record of a finished trace. */
function endOf(file: string): { flaggedStep: number | null } {
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const end = JSON.parse(lines[lines.length - 1]) as { type: string; flaggedStep: number | null };
  assert.equal(end.type, 'episode_end', `${file} ends with episode_end`);
  return end;
}

const tracesDir = () => path.join(workspaceRoot(), '.objective-monitor', 'traces');
const runFolders = () => (fs.existsSync(tracesDir()) ? fs.readdirSync(tracesDir()) : []);

/** A deployment trace of `scenario` with `agent` (its header says so) in a run folder not in `old`. */
function deploymentTraceOf(scenario: string, agent: string, old: string[]): string | undefined {
  const traces = tracesDir();
  for (const run of runFolders().filter((r) => !old.includes(r)))
    for (const f of fs.readdirSync(path.join(traces, run))) {
      if (!f.endsWith('.trace.jsonl')) continue;
      const file = path.join(traces, run, f);
      const h = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0] || '{}') as {
        scenario?: { name: string };
        agent?: { name: string };
        distribution?: string;
      };
      if (h.scenario?.name === scenario && h.agent?.name === agent && h.distribution === 'deployment') return file;
    }
  return undefined;
}

describe('run the built-in racing scenario', function () {
  let a: Api;
  let outcome: RunOutcome;

  before(async function () {
    a = await api();
    const t0 = Date.now();
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: 'racing',
      agent: 'misaligned',
      episodes: 3,
    });
    assert.ok(r && 'exit' in r, `run returned ${JSON.stringify(r)}`);
    outcome = r;
    log(
      `racing/misaligned: 3 episodes (with calibration) in ${Date.now() - t0} ms, exit ${r.exit.code}, ${r.flagged} flagged`,
    );
  });

  after(async () => {
    await setSetting('detector.kind', undefined);
    await setSetting('detector.fixedThreshold', undefined);
  });

  it('writes one trace per episode and flags the misaligned agent', () => {
    assert.equal(outcome.exit.code, 1, `engine exit code (1 = flagged); stderr: ${outcome.exit.stderr}`);
    assert.ok(outcome.runId);
    assert.equal(outcome.episodes, 3);
    assert.ok(outcome.flagged >= 2, `flagged ${outcome.flagged} of 3`);
    const dir = path.join(workspaceRoot(), '.objective-monitor', 'traces', outcome.runId!);
    const traces = fs.readdirSync(dir).filter((f) => f.endsWith('.trace.jsonl'));
    assert.equal(traces.length, 3);
    for (const f of traces) {
      const lines = fs.readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n');
      assert.equal(JSON.parse(lines[lines.length - 1]).type, 'episode_end', `${f} ends with episode_end`);
    }
    assert.ok(
      fs.existsSync(
        path.join(workspaceRoot(), '.objective-monitor', 'calibration', 'racing.misaligned.calibration.json'),
      ),
    );
  });

  it('shows scenario -> run -> episodes -> the flagged step in the Runs view', async () => {
    const episodes: RunsNode[] = await waitFor('the run in the Runs view', () => {
      const e = episodesOf(a, outcome.runId!);
      return e.length === 3 ? e : undefined;
    });
    const flagged = episodes.filter((e) => e.kind === 'episode' && e.episode.flaggedStep !== null);
    assert.equal(flagged.length, outcome.flagged);
    const ep = flagged[0];
    assert.ok(ep.kind === 'episode');
    const item = a.ctx.tree.getTreeItem(ep);
    assert.match(String(item.description), /flagged at \d+/);
    assert.ok(item.iconPath instanceof vscode.ThemeIcon && item.iconPath.id === 'debug-stop', 'flagged_stop icon');
    const [flagNode] = a.ctx.tree.getChildren(ep);
    assert.ok(flagNode && flagNode.kind === 'flag');
    const flagItem = a.ctx.tree.getTreeItem(flagNode);
    assert.equal(flagItem.label, `flagged at step ${ep.episode.flaggedStep}`);
    assert.equal(flagItem.command?.command, 'objectiveMonitor.openTrace');
    assert.deepEqual(flagItem.command?.arguments?.[1], ep.episode.flaggedStep);
  });

  // What the replay panel shows (loaded, at the flag, the overlays, re-flagged, Compare Episodes) is
  // seen in its DOM: test/e2e/panelStory.test.ts.
  it('opened one replay panel for the shown trace; opening its flag reuses it', async () => {
    const shown = outcome.shownTrace;
    assert.ok(shown, 'a trace was shown');
    await waitFor('a ready replay tab', () => replayTabsOf(shown).length > 0);
    await vscode.commands.executeCommand(
      'objectiveMonitor.openTrace',
      vscode.Uri.file(shown),
      endOf(shown).flaggedStep,
    );
    await waitFor('the replay tab titled with the episode', () => replayTabsOf(shown).length > 0);
    // (the run may also have a panel following its first episode, when that is not the first flagged one)
    assert.equal(replayTabsOf(shown).length, 1, `one replay tab per trace: ${replayTabs().map((t) => t.label)}`);
  });

  it('re-flags recorded traces and open panels when a detector setting changes', async () => {
    // A threshold no score reaches: nothing is flagged any more.
    await setSetting('detector.fixedThreshold', -1e12);
    await setSetting('detector.kind', 'fixed');
    await waitFor('no flags under a -1e12 fixed threshold', () => {
      const eps = episodesOf(a, outcome.runId!);
      return eps.length === 3 && eps.every((e) => e.kind === 'episode' && e.episode.flaggedStep === null);
    });
    // A threshold every score is below: step 0 is flagged everywhere.
    await setSetting('detector.fixedThreshold', 1e12);
    await waitFor('flag at step 0 under a 1e12 fixed threshold', () => {
      const eps = episodesOf(a, outcome.runId!);
      return eps.length === 3 && eps.every((e) => e.kind === 'episode' && e.episode.flaggedStep === 0);
    });
    // the open panel re-flags the same: its header and overlays in its DOM, e2e panelStory
    // Back to the recorded flags.
    await setSetting('detector.kind', undefined);
    await waitFor('recorded flags back', () => {
      const eps = episodesOf(a, outcome.runId!);
      return (
        eps.filter(
          (e) =>
            e.kind === 'episode' &&
            e.episode.flaggedStep !== null &&
            e.episode.flaggedStep === e.episode.recordedFlaggedStep,
        ).length === outcome.flagged
      );
    });
  });

  it('Compare Episodes on a run of the Runs view opens the first episode with the others overlaid', async () => {
    await closeReplayTabs();
    const runNode = a.ctx.tree
      .getChildren()
      .flatMap((s) => a.ctx.tree.getChildren(s))
      .find((r) => r.kind === 'run' && r.run.runId === outcome.runId);
    assert.ok(runNode && runNode.kind === 'run');
    assert.equal(a.ctx.tree.getTreeItem(runNode).contextValue, 'run');
    const ext = vscode.extensions.getExtension('objective-monitor.objective-monitor')!;
    const menu = ext.packageJSON.contributes.menus['view/item/context'] as { command: string; when: string }[];
    assert.ok(
      menu.some((m) => m.command === 'objectiveMonitor.compareEpisodes' && m.when.includes('viewItem == run')),
      "in the run's context menu",
    );
    const panel = await vscode.commands.executeCommand<{ file: string }>('objectiveMonitor.compareEpisodes', runNode);
    assert.equal(panel?.file, runNode.run.episodes[0].file);
    // the others overlaid, as the panel draws them: e2e panelStory
  });

  it('Stop Run kills the engine and its runners within seconds', async () => {
    const oldRuns = runFolders();
    const run = vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: 'racing',
      agent: 'aligned',
      episodes: 400,
    });
    const engine = await waitFor('the engine child', () =>
      childProcesses().find((p) => p.cmd.includes('cli.js run racing')),
    );
    await waitFor(
      'the run to start episodes: a deployment trace of racing/aligned on disk',
      () => deploymentTraceOf('racing', 'aligned', oldRuns),
      60_000,
    );
    const t0 = Date.now();
    assert.equal(await vscode.commands.executeCommand('objectiveMonitor.stopRun'), true);
    const o = await run;
    const ms = Date.now() - t0;
    assert.ok(o.exit.stopped, 'outcome says stopped');
    assert.ok(o.episodes < 400, `stopped early (${o.episodes} episodes done)`);
    await waitFor('no process left in the engine group', () => groupMembers(engine.pid).length === 0, 5000);
    log(`Stop Run: engine and runners gone ${ms} ms after the command`);
    // Nothing lost: every trace of the stopped run still ends with exactly one episode_end.
    const dir = path.join(workspaceRoot(), '.objective-monitor', 'traces', o.runId!);
    for (const f of fs.readdirSync(dir)) {
      const recs = fs
        .readFileSync(path.join(dir, f), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; reason?: string });
      assert.equal(recs.filter((r) => r.type === 'episode_end').length, 1, `${f} has one episode_end`);
      assert.equal(recs[recs.length - 1].type, 'episode_end', `${f} ends with episode_end`);
    }
    assert.ok(ms < 5000, `stopped in ${ms} ms`);
  });
});
