// A trace over 50 MB open in a tab: VS Code never syncs it to the language server, so the
// extension publishes its problems itself (collection objective-monitor-large) from the server's
// summary read from disk. What the user sees: the flagged step in the Problems panel, on its line.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, setSetting, waitFor, workspaceRoot } from '../helpers';
import { log } from '../log';
import { SYNC_LIMIT, writeBigTrace } from '../bigTrace';

/** Lines before the first step record: header, reset. */
const LINES_BEFORE_STEPS = 2;

function flagDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'objective-monitor' && d.code === 'flagged');
}

async function closeTabsOf(uri: vscode.Uri): Promise<void> {
  const tabs = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString());
  if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
}

describe('problems of a trace over 50 MB open in a tab', function () {
  const steps = 520_000;
  const dropAt = 360_000;
  let file: string;
  let uri: vscode.Uri;
  let flagged: number;
  let flaggedScore: number;

  before(function () {
    file = path.join(workspaceRoot(), 'big-tab.trace.jsonl');
    uri = vscode.Uri.file(file);
    const w = writeBigTrace(file, steps, dropAt, -10, 'completed', 2);
    flagged = w.flagged;
    flaggedScore = w.flaggedScore;
    assert.ok(w.bytes > SYNC_LIMIT, `${w.bytes} bytes is over the 50 MB sync limit`);
    assert.ok(flagged > dropAt && flagged < steps);
  });

  after(async () => {
    await closeTabsOf(uri);
    await setSetting('detector.kind', undefined);
    await setSetting('detector.fixedThreshold', undefined);
    fs.rmSync(file, { force: true });
  });

  it('shows the flagged step on its line, follows settings and file changes, and clears when the tab closes', async () => {
    await activateExtension();
    const t0 = Date.now();
    await vscode.commands.executeCommand('vscode.open', uri);
    await waitFor(
      'a tab for the large trace',
      () =>
        vscode.window.tabGroups.all.some((g) =>
          g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString()),
        ),
      30_000,
    );
    assert.ok(
      !vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()),
      'VS Code did not sync the large trace to extensions',
    );

    const [d] = await waitFor(
      'the flagged-step problem of the large trace',
      () => {
        const x = flagDiagnostics(uri);
        return x.length > 0 ? x : undefined;
      },
      90_000,
      200,
    );
    log(
      `flagged-step problem of a ${(fs.statSync(file).size / 1e6).toFixed(0)} MB trace in a tab: ${Date.now() - t0} ms`,
    );
    assert.match(
      d.message,
      new RegExp(
        `running objective ${flaggedScore} fell below the threshold -10 at step ${flagged} \\(detector fixed -10\\)`,
      ),
    );
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning, 'a completed episode: a warning (not stopped)');
    assert.equal(
      d.range.start.line,
      flagged + LINES_BEFORE_STEPS,
      'the problem sits on the step record of the flagged step',
    );
    assert.equal(flagDiagnostics(uri).length, 1, 'one flag problem, no duplicates from the server');

    // A settings change re-flags it from disk: with a level of 0 the first step below it is the
    // one where the score first goes negative.
    const expected = dropAt + Math.floor(dropAt / 3);
    await setSetting('detector.fixedThreshold', 0);
    await setSetting('detector.kind', 'fixed');
    const re = await waitFor(
      'the re-flagged problem',
      () => flagDiagnostics(uri).find((x) => x.message.includes(`at step ${expected} `)),
      60_000,
      200,
    );
    assert.match(re.message, /detector fixed 0\).*re-flagged with the current settings \(recorded: step \d+\)/);
    assert.equal(re.range.start.line, expected + LINES_BEFORE_STEPS);
    await setSetting('detector.kind', undefined);
    await setSetting('detector.fixedThreshold', undefined);
    await waitFor(
      'the recorded flag back',
      () =>
        flagDiagnostics(uri).find(
          (x) => x.message.includes(`at step ${flagged} `) && !x.message.includes('re-flagged'),
        ),
      60_000,
      200,
    );

    // The file rewritten (an episode stopped at the flag) is read again: now an error.
    const w2 = writeBigTrace(file, 600_000, 400_000, -10, 'flagged_stop', 2);
    assert.ok(w2.bytes > SYNC_LIMIT, `${w2.bytes} bytes is over the 50 MB sync limit`);
    const stopped = await waitFor(
      'the problem of the rewritten file',
      () => flagDiagnostics(uri).find((x) => x.message.includes(`at step ${w2.flagged} `)),
      60_000,
      200,
    );
    assert.equal(stopped.severity, vscode.DiagnosticSeverity.Error, 'an episode stopped at the flag: an error');
    assert.equal(stopped.range.start.line, w2.flagged + LINES_BEFORE_STEPS);

    await closeTabsOf(uri);
    await waitFor(
      'the problems cleared with the tab closed',
      () => vscode.languages.getDiagnostics(uri).length === 0,
      30_000,
      100,
    );
  });
});
