// Every view tells the same story: engine-written traces re-flagged under every detector setting
// show the same flagged step in the Runs view (episode description and flag node), in the trace
// cache the replay panel and its overlays flag through, in Problems (the language server's
// diagnostics of the open traces), from `objective-monitor reflag`, and from core's
// flagRecordedTrace. (Core, CLI and server outside VS Code: test/engine/reflagPaths.test.ts; the
// panel's header and overlays re-flagged, in its DOM: test/e2e/panelStory.test.ts.)
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { flagRecordedTrace, recordedTraceOf } from '../../../src/core/reflag';
import { readTrace } from '../../../src/core/traceReader';
import { createCalibrationLoader } from '../../../src/shared/calibrationLoader';
import { coerceSettings, flagSettingsOf } from '../../../src/shared/settings';
import type { RunsNode } from '../../../src/extension/runsTree';
import {
  REFLAG_MATRIX,
  REFLAG_RUNS,
  cliOptions,
  copyReflagScenario,
  describeSection,
  reflagRunArgs,
  type DetectorSection,
} from '../../reflagMatrix';
import { EXTENSION_ID, api, setSetting, waitFor, workspaceRoot, runCli } from '../helpers';
import { closeReplayTabs } from '../replayTabs';
import { log } from '../log';

type Api = Awaited<ReturnType<typeof api>>;
const KEYS = ['window', 'cusumK', 'alpha', 'fixedThreshold', 'kind'] as const;

function episodesOf(a: Api, runId: string): RunsNode[] {
  const tree = a.ctx.tree;
  for (const s of tree.getChildren())
    for (const r of tree.getChildren(s)) {
      if (r.kind === 'run' && r.run.runId === runId) return tree.getChildren(r);
    }
  return [];
}

/** The flagged step each view shows now, per trace file; undefined when a view is not there yet. */
async function viewsNow(a: Api, runIds: string[], files: string[], stepLines: Map<string, number[]>) {
  const eps = runIds.flatMap((id) => episodesOf(a, id));
  const out = new Map<
    string,
    {
      runsView?: number | null;
      flagNode?: string | null;
      cache: number | null;
      problems: number | null | 'several';
    }
  >();
  for (const file of files) {
    const ep = eps.find((e) => e.kind === 'episode' && e.episode.file === file);
    const t = await a.ctx.store.load(file);
    const flagNode = ep ? a.ctx.tree.getChildren(ep).find((n) => n.kind === 'flag') : undefined;
    const flagged = vscode.languages
      .getDiagnostics(vscode.Uri.file(file))
      .filter((d) => d.source === 'objective-monitor' && d.code === 'flagged');
    const lines = stepLines.get(file)!;
    out.set(file, {
      runsView: ep?.kind === 'episode' ? ep.episode.flaggedStep : undefined,
      flagNode: ep ? (flagNode ? String(a.ctx.tree.getTreeItem(flagNode).label) : null) : undefined,
      cache: a.ctx.store.flags(t, a.ctx.config.flagSettings).flaggedStep,
      problems:
        flagged.length > 1 ? 'several' : flagged.length === 0 ? null : lines.indexOf(flagged[0].range.start.line),
    });
  }
  return out;
}

describe('every view tells the same story: re-flag paths under every detector setting', function () {
  const runIds: string[] = [];
  const files: string[] = [];
  const stepLines = new Map<string, number[]>();

  before(async function () {
    const a = await api();
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
    await vscode.commands.executeCommand('objectiveMonitor.refreshRuns');
    await waitFor(
      'the runs in the Runs view',
      () => runIds.reduce((n, id) => n + episodesOf(a, id).length, 0) === files.length,
    );
    // The first run compared: its first episode in the panel, the others overlaid.
    const runNode = a.ctx.tree
      .getChildren()
      .flatMap((s) => a.ctx.tree.getChildren(s))
      .find((n) => n.kind === 'run' && n.run.runId === runIds[0]);
    const panel = await vscode.commands.executeCommand<{ file: string }>('objectiveMonitor.compareEpisodes', runNode);
    assert.equal(panel.file, files[0]);
  });

  after(async () => {
    for (const k of KEYS) await setSetting(`detector.${k}`, undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await closeReplayTabs();
  });

  it('Runs view, replay panel, Problems, CLI and core agree on every trace', async () => {
    const a = await api();
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
        async () => {
          const now = await viewsNow(a, runIds, files, stepLines);
          const wrong: string[] = [];
          files.forEach((f, i) => {
            const want = expected.get(f)!;
            const v = now.get(f)!;
            const label = want === null ? null : `flagged at step ${want}`;
            if (v.runsView !== want) wrong.push(`${i}: Runs view ${v.runsView}`);
            if (v.flagNode !== label) wrong.push(`${i}: flag node ${v.flagNode}`);
            if (v.cache !== want) wrong.push(`${i}: panel flags ${v.cache}`);
            if (v.problems !== want) wrong.push(`${i}: Problems ${v.problems}`);
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
