// A real run of the built-in racing scenario with the misaligned agent, through the engine child:
// traces on disk, the replay panel's tab, Compare Episodes on the run, Stop Run. (What the Runs view
// shows of such a run — episodes, icons, the flag node, a run row's actions, re-flagging on a
// settings change — is seen in its rows in the workbench: test/e2e/panelStory.test.ts.)
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runController';
import { activateExtension, childProcesses, groupMembers, waitFor, workspaceRoot } from '../helpers';
import { closeReplayTabs, replayTabs, replayTabsOf } from '../replayTabs';
import { log } from '../log';

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
  let outcome: RunOutcome;

  before(async function () {
    await activateExtension();
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

  // Which episode comes first (the Runs view's first row) and the others overlaid: e2e panelStory.
  it('Compare Episodes on a run (given its id) opens one of its episodes in a replay panel', async () => {
    await closeReplayTabs();
    const panel = await vscode.commands.executeCommand<{ file: string }>(
      'objectiveMonitor.compareEpisodes',
      outcome.runId,
    );
    assert.equal(path.dirname(panel?.file ?? ''), path.join(tracesDir(), outcome.runId!));
    await waitFor("the episode's replay tab", () => replayTabsOf(panel.file).length === 1);
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
