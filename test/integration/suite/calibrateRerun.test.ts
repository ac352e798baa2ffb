// Calibrate Threshold shows its progress in a live panel and ends with what it found (read back
// from the calibration file); Re-run Episode with a replay panel focused re-runs that panel's
// episode without asking, in a panel whose title says it is a re-run.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runController';
import { activateExtension, waitFor } from '../helpers';
import { closeReplayTabs, replayTabsOf } from '../replayTabs';

/** The open tab of a webview panel titled `title`. */
function calibrationTab(title: string): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .find((t) => t.input instanceof vscode.TabInputWebview && t.label === title);
}

describe('Calibrate Threshold and Re-run Episode', () => {
  let scenario: string;
  let name: string;

  before(async () => {
    await activateExtension();
    const dir = await vscode.commands.executeCommand<string>('objectiveMonitor.createExampleScenario', {
      folder: 'calib',
    });
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.scenario.json'))!;
    scenario = path.join(dir, file);
    name = JSON.parse(fs.readFileSync(scenario, 'utf8')).name;
  });

  it('shows progress in a live panel and ends with thresholds, episodes used and the false-alarm bound', async () => {
    const spec = JSON.parse(fs.readFileSync(scenario, 'utf8'));
    const planned: number = spec.calibration.seeds.count;
    // Every webview tab label the workbench reports, in order. The extension host learns of tabs a
    // round trip after the panel is made, so on a fast machine a small calibration can end first:
    // what proves a live panel is the running title ("Calibrating …", renamed when it ends) showing
    // before the final one, not when the command's promise settled.
    const seen: string[] = [];
    const record = () => {
      for (const t of vscode.window.tabGroups.all.flatMap((g) => g.tabs))
        if (t.input instanceof vscode.TabInputWebview && seen[seen.length - 1] !== t.label) seen.push(t.label);
    };
    const tabSub = vscode.window.tabGroups.onDidChangeTabs(record);
    const running = vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.calibrateThreshold', {
      scenario,
      agent: 'misaligned',
    });
    // A tab for this calibration's panel under its running title. (What the panel shows, its count of
    // training episodes and what was found: e2e commands.test.ts.)
    const liveTitle = `Calibrating ${name} / misaligned`;
    await waitFor('the calibration panel titled as running', () => {
      record();
      return seen.includes(liveTitle);
    });
    const r = await running;
    assert.ok(r && 'exit' in r, JSON.stringify(r));
    assert.equal(r.exit.code, 0, r.exit.stderr);

    // What it found is the file's content.
    const c = r.calibration!;
    assert.ok(c, 'the outcome carries the calibration result');
    assert.equal(c.file, path.join(path.dirname(scenario), `${name}.misaligned.calibration.json`));
    const onDisk = JSON.parse(fs.readFileSync(c.file, 'utf8'));
    assert.equal(c.alpha, onDisk.alpha);
    assert.equal(c.fitEpisodes + c.conformalEpisodes, planned, 'every training episode used');
    assert.deepEqual(
      c.detectors.map((d) => d.kind),
      ['envelope', 'window', 'cusum'],
    );
    for (const d of c.detectors) {
      assert.equal(d.threshold, onDisk.detectors[d.kind].h, `${d.kind} threshold`);
      assert.equal(d.bound, onDisk.detectors[d.kind].bound, `${d.kind} bound`);
      assert.ok(d.bound > 0 && d.bound <= c.alpha + 1e-12, `${d.kind} bound ${d.bound} within alpha`);
    }

    await waitFor('the calibration panel titled with the result', () =>
      calibrationTab(`Calibration: ${name} / misaligned`),
    ).finally(() => tabSub.dispose());
    record();
    const done = seen.indexOf(`Calibration: ${name} / misaligned`);
    assert.ok(
      seen.indexOf(liveTitle) >= 0 && seen.indexOf(liveTitle) < done,
      `the running title came before the result's; tabs seen in order: ${seen.join(', ')}`,
    );
  });

  it("re-runs the focused replay's episode without asking, in a panel titled as a re-run", async () => {
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario,
      agent: 'misaligned',
      episodes: 2,
    });
    assert.ok('exit' in r && r.shownTrace, JSON.stringify(r));
    const original = r.shownTrace!;
    await closeReplayTabs();
    await vscode.commands.executeCommand('objectiveMonitor.openTrace', vscode.Uri.file(original));
    // focused, its title naming the episode
    const tab = await waitFor('the replay tab focused', () => replayTabsOf(original).find((t) => t.isActive));
    assert.match(tab.label, /seed \d+$/);
    assert.equal(vscode.window.activeTextEditor, undefined, 'a webview has focus, no text editor');

    // No argument, no trace editor: the focused panel names the episode. A picker would never
    // resolve here, so a question asked would time this test out.
    const again = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.rerunEpisode');
    assert.ok(again && 'exit' in again && again.shownTrace, JSON.stringify(again));
    assert.notEqual(again.shownTrace, original);
    const head = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8').split('\n')[0]);
    assert.equal(head(again.shownTrace!).seed, head(original).seed, 'the same seed');
    assert.equal(head(again.shownTrace!).scenario.file, scenario);
    // the re-run panel's title tells it apart
    await waitFor('the re-run tab', () => replayTabsOf(again.shownTrace!, 're-run').length > 0);
    assert.equal(replayTabsOf(again.shownTrace!, 're-run')[0].label, `${tab.label} (re-run)`);
  });
});
