// Every view tells the same story: engine-written traces re-flagged under every detector setting of
// the user's settings show the same flagged step in Problems (the language server's diagnostics of
// the open traces), from `objective-monitor reflag`, and from core's flagRecordedTrace. (Core, CLI,
// server and the trace cache the replay panel flags through, outside VS Code:
// test/engine/reflagPaths.test.ts; the Runs view's rows under the same settings:
// test/e2e/runsView.test.ts; the panel's header and overlays re-flagged, in its DOM:
// test/e2e/panelStory.test.ts.)
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { flagRecordedTrace, recordedTraceOf } from '../../../src/core/reflag';
import { readTrace } from '../../../src/core/traceReader';
import { createCalibrationLoader } from '../../../src/shared/calibrationLoader';
import { coerceSettings, flagSettingsOf } from '../../../src/shared/settings';
import {
  REFLAG_MATRIX,
  REFLAG_RUNS,
  cliOptions,
  copyReflagScenario,
  describeSection,
  reflagRunArgs,
  type DetectorSection,
} from '../../reflagMatrix';
import { EXTENSION_ID, activateExtension, setSetting, waitFor, workspaceRoot, runCli } from '../helpers';
import { closeReplayTabs } from '../replayTabs';
import { log } from '../log';

const KEYS = ['window', 'cusumK', 'alpha', 'fixedThreshold', 'kind'] as const;

/** The flagged step Problems shows now for `file` (the step of its one flag diagnostic's line). */
function problemsStep(file: string, stepLines: number[]): number | null | 'several' {
  const flagged = vscode.languages
    .getDiagnostics(vscode.Uri.file(file))
    .filter((d) => d.source === 'objective-monitor' && d.code === 'flagged');
  return flagged.length > 1 ? 'several' : flagged.length === 0 ? null : stepLines.indexOf(flagged[0].range.start.line);
}

describe('every view tells the same story: re-flag paths under every detector setting', function () {
  const runIds: string[] = [];
  const files: string[] = [];
  const stepLines = new Map<string, number[]>();

  before(async function () {
    await activateExtension();
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const scenarioFile = copyReflagScenario(root, path.join(workspaceRoot(), 'paths-scenario'));
    // Engine-written, past the flag (flag-only), into the workspace's .objective-monitor: the Runs view's folder.
    for (const run of REFLAG_RUNS) {
      const r = await runCli(reflagRunArgs(scenarioFile, run));
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      const traces = (JSON.parse(r.stdout).episodes as { trace: string }[]).map((e) => e.trace);
      runIds.push(path.basename(path.dirname(traces[0])));
      files.push(...traces);
    }
    for (const f of files) {
      const lines = fs
        .readFileSync(f, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; step?: number });
      const byStep: number[] = [];
      lines.forEach((rec, i) => {
        if (rec.type === 'step') byStep[rec.step!] = i;
      });
      stepLines.set(f, byStep);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(f));
      await vscode.window.showTextDocument(doc, { preview: false });
    }
    // The first run compared: its first episode in a panel, the others overlaid (the open panel re-flags
    // with every setting below, as the user's would).
    await vscode.commands.executeCommand('objectiveMonitor.refreshRuns');
    const panel = await vscode.commands.executeCommand<{ file: string }>('objectiveMonitor.compareEpisodes', runIds[0]);
    assert.ok(panel && files.includes(panel.file), `Compare Episodes opened ${panel?.file}`);
  });

  after(async () => {
    for (const k of KEYS) await setSetting(`detector.${k}`, undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await closeReplayTabs();
  });

  it('Problems, CLI and core agree on every trace', async () => {
    const loader = createCalibrationLoader();
    let moved = 0;
    for (const section of REFLAG_MATRIX) {
      const what = describeSection(section);
      const t0 = Date.now();
      for (const k of KEYS) await setSetting(`detector.${k}`, (section as DetectorSection)[k]);
      const settings = flagSettingsOf(coerceSettings({ detector: section }));
      const expected = new Map(
        files.map((f) => {
          const core = flagRecordedTrace(recordedTraceOf(readTrace(fs.readFileSync(f))), settings, loader);
          assert.equal(core.reflagError, null, `${what}: ${core.reflagError}`);
          if (core.flaggedStep !== core.recordedFlaggedStep) moved++;
          return [f, core.flaggedStep] as const;
        }),
      );
      const cli = await runCli(['reflag', ...files, ...cliOptions(section), '--json']);
      assert.ok(cli.code === 0 || cli.code === 1, `${what}: ${cli.stderr}`);
      for (const row of JSON.parse(cli.stdout).traces as { trace: string; flaggedStep: number | null }[]) {
        assert.equal(row.flaggedStep, expected.get(row.trace), `${what}: CLI, ${path.basename(row.trace)}`);
      }
      let last = '';
      await waitFor(
        `every view under ${what}`,
        () => {
          const wrong: string[] = [];
          files.forEach((f, i) => {
            const problems = problemsStep(f, stepLines.get(f)!);
            if (problems !== expected.get(f)) wrong.push(`${i}: Problems ${problems}`);
          });
          last = `expected ${JSON.stringify(files.map((f) => expected.get(f)))}; ${wrong.join(', ')}`;
          return wrong.length === 0;
        },
        60_000,
        100,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${last}`);
      });
      log(
        `${what}: flags ${JSON.stringify(files.map((f) => expected.get(f)))} in every view after ${Date.now() - t0} ms`,
      );
    }
    assert.ok(moved > 0, 'some setting moves or removes a recorded flag');
  });
});
