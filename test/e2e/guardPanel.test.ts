// E2E: a trace recorded with the predictive guard (the CLI runs racing's misaligned agent with
// --guard in a fresh folder) opened in the replay panel of the real workbench: the header and the
// chart's description say it was a predicted stop, not a reactive flag, and the chart draws the
// prediction (its legend names it). Screenshot: test-results/e2e-guard-panel.png.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { pick, replayFrame, runCommand, webview } from './workbench';

const RESULTS = path.join(ROOT, 'test-results');
let session: VscodeSession | undefined;
let folder = '';
let recorded: { step: number; crossingStep: number; trace: string };

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-guard-'));
  // Many other recorded episodes, recorded first (the pick lists the newest run first): the Runs
  // model's first read of them takes a while after the window opens, and the command run right away
  // must wait for it to offer the guarded episode (it offered none and opened a file dialog, seen
  // under CI's load).
  const many = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist/cli.js'), 'run', 'coin', '--episodes', '600', '--recording', 'scores', '--json'],
    { cwd: folder, encoding: 'utf8', timeout: 300_000 },
  );
  assert.ok(many.status === 0 || many.status === 1, many.stderr);
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist/cli.js'), 'run', 'racing', '--agent', 'misaligned', '--guard', '--episodes', '1', '--json'],
    { cwd: folder, encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(r.status, 1, r.stderr);
  const [e] = JSON.parse(r.stdout).episodes as {
    reason: string;
    trace: string;
    prediction: { step: number; crossingStep: number };
  }[];
  assert.equal(e.reason, 'predicted_stop', r.stdout);
  recorded = { step: e.prediction.step, crossingStep: e.prediction.crossingStep, trace: e.trace };
  session = await startVscode({ folder, label: 'e2e-guard' });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

test(
  'a guarded episode in the replay panel: a predicted stop, apart from a reactive flag, with its projection',
  { timeout: 240_000 },
  async () => {
    const page = session!.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await session!.extensionHostReady();
    await runCommand(page, 'Objective Monitor: Open Trace in Replay');
    await pick(page, 'racing / misaligned');

    const frame = webview(page);
    const reason = frame.locator('.h-reason');
    await reason.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match((await reason.textContent()) ?? '', /◆ stopped before the predicted crossing after/);
    // the guard stopped before any step crossed: the header says a predicted stop, not a reactive flag
    assert.equal(await frame.locator('.h-flag').count(), 0);
    assert.equal(await frame.locator('.h-noflag').count(), 0);
    assert.match(
      (await frame.locator('.h-predicted').textContent()) ?? '',
      new RegExp(
        `^predicted stop before step ${recorded.step}: running objective predicted -?[\\d.]+ < threshold at step ${recorded.crossingStep} \\(guard\\)$`,
      ),
    );
    const label = async () => (await frame.locator('.chart-canvas').getAttribute('aria-label')) ?? '';
    const f = await replayFrame(page, 30_000);
    await f.waitForFunction(
      () => /Predicted stop/.test(document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    const text = await label();
    assert.match(
      text,
      new RegExp(
        `Predicted stop: the guard stopped before step ${recorded.step}; the running objective was predicted to fall to -?[\\d.]+, below the threshold at step ${recorded.crossingStep}\\.`,
      ),
    );
    assert.doesNotMatch(text, /Flag at step/);
    // the dashed projection is a dataset of its own: the legend names it
    assert.match(text, /Legend: [^.]*\bprediction\b/);

    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'e2e-guard-panel.png') });
  },
);
