// E2E: the extension's commands as a new user meets them in the real workbench (Chromium driving
// the VS Code server). Create Example Scenario asks where to write, with the default shown;
// Calibrate Threshold's pickers say "Calibrate Threshold", a live panel shows the training episodes
// as they finish, and a notification tells what was found with a button that opens the
// calibration; Re-run Episode with a replay focused re-runs that episode without asking, in a
// panel whose title says "(re-run)"; the Runs view names the scenario's folder.
// Screenshots: test-results/e2e-calibration.png, test-results/e2e-rerun.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { pick, runCommand, waitUntil, webview } from './workbench';

const RESULTS = path.join(ROOT, 'test-results');
let session: VscodeSession | undefined;
let folder = '';

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-cmd-'));
  session = await startVscode({ folder, label: 'e2e-commands', settings: { 'objectiveMonitor.run.episodes': 3 } });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

/** The notification whose text holds `text`: a toast, or in the notification center (an info toast
 *  hides after a while on a slow machine; the center keeps it). */
async function notification(page: Page, text: string, timeoutMs: number) {
  const note = page.locator('.notification-list-item', { hasText: text }).first();
  try {
    await note.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    await runCommand(page, 'Notifications: Show Notifications');
    await note.waitFor({ state: 'visible', timeout: 20_000 });
  }
  return note;
}

/** The title of the open quick input (picker or input box). */
async function quickInputTitle(page: Page): Promise<string> {
  const title = page.locator('.quick-input-widget .quick-input-title');
  await title.waitFor({ state: 'visible', timeout: 30_000 });
  return (await title.textContent()) ?? '';
}

test(
  'Create Example Scenario -> Calibrate Threshold -> Run -> Re-run Episode from the focused replay',
  { timeout: 480_000 },
  async () => {
    const page = session!.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    fs.mkdirSync(RESULTS, { recursive: true });

    // Create Example Scenario asks where, the default shown.
    await runCommand(page, 'Objective Monitor: Create Example Scenario');
    assert.match(await quickInputTitle(page), /Create Example Scenario/);
    const input = page.locator('.quick-input-widget input');
    assert.equal(await input.inputValue(), 'objective-monitor-example', 'the default folder is shown');
    await input.fill('scenarios/walk');
    await page.keyboard.press('Enter');
    const scenarioFile = path.join(folder, 'scenarios', 'walk', 'corridor.scenario.json');
    await waitUntil('the example written where asked', () => fs.existsSync(scenarioFile));
    // The command then opens the scenario in an editor, which takes the focus: a picker shown before
    // that editor is open would be closed by it.
    await page
      .locator('.tabs-container .tab', { hasText: 'corridor.scenario.json' })
      .waitFor({ state: 'visible', timeout: 30_000 });

    // Calibrate Threshold: both pickers carry its title.
    await runCommand(page, 'Objective Monitor: Calibrate Threshold');
    const scenarioTitle = await quickInputTitle(page);
    assert.match(scenarioTitle, /Calibrate Threshold/);
    assert.doesNotMatch(scenarioTitle, /Run Scenario/);
    await pick(page, 'corridor');
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'agent for corridor' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await quickInputTitle(page), /^Objective Monitor: Calibrate Threshold — agent for corridor/);
    await pick(page, 'misaligned');

    // The live panel counts the training episodes, then shows what was found.
    const frame = webview(page);
    const count = frame.locator('.cal-count');
    await count.waitFor({ state: 'visible', timeout: 120_000 });
    assert.match((await count.textContent()) ?? '', /^\d+ \/ 60 training episodes/);
    await frame
      .locator('.cal-title', { hasText: 'Calibrated corridor / misaligned' })
      .waitFor({ state: 'visible', timeout: 180_000 });
    assert.match((await count.textContent()) ?? '', /^60 \/ 60 training episodes/);
    assert.equal(await frame.locator('.cal-cell.cal-ok').count(), 60, 'one finished cell per training episode');
    const calFile = path.join(folder, 'scenarios', 'walk', 'corridor.misaligned.calibration.json');
    const onDisk = JSON.parse(fs.readFileSync(calFile, 'utf8'));
    assert.deepEqual(await frame.locator('.cal-row .cal-kind').allTextContents(), ['envelope', 'window', 'cusum']);
    const bounds = await frame.locator('.cal-row .cal-bound').allTextContents();
    assert.ok(
      bounds[0].startsWith(`${onDisk.detectors.envelope.k}/${onDisk.detectors.envelope.n + 1} = `),
      `bound ${bounds[0]}`,
    );
    await frame.locator('.cal-file', { hasText: calFile }).waitFor({ state: 'visible', timeout: 10_000 });

    // The notification says what was found and opens the calibration.
    const note = await notification(page, 'calibrated: thresholds envelope', 30_000);
    const text = (await note.locator('.notification-list-item-message').textContent()) ?? '';
    assert.match(text, /episodes used/);
    assert.match(text, /false-alarm bound \d+\/\d+ = /);
    await page.screenshot({ path: path.join(RESULTS, 'e2e-calibration.png') });
    await note.locator('.monaco-button', { hasText: 'Open Calibration' }).click();
    await page
      .locator('.tabs-container .tab', { hasText: 'corridor.misaligned.calibration.json' })
      .waitFor({ state: 'visible', timeout: 30_000 });

    // A run opens its replay; with the replay focused, Re-run Episode asks nothing.
    await runCommand(page, 'Objective Monitor: Run Scenario');
    assert.match(await quickInputTitle(page), /^Objective Monitor: Run Scenario/);
    await pick(page, 'corridor');
    await pick(page, 'misaligned');
    const replayTab = page
      .locator('.tabs-container .tab', { hasText: /Replay: corridor \/ misaligned · seed \d+$/ })
      .first();
    await replayTab.waitFor({ state: 'visible', timeout: 120_000 });
    // The run's end (a re-run refuses while a run is in progress).
    await notification(page, 'of 3 episodes flagged', 180_000);
    await page.keyboard.press('Escape');
    const original = ((await replayTab.textContent()) ?? '').trim();
    await replayTab.click();
    await webview(page).locator('.chart-box').click();
    await runCommand(page, 'Objective Monitor: Re-run Episode');
    const rerunTab = page.locator('.tabs-container .tab', { hasText: '(re-run)' }).first();
    const asked = page.locator('.quick-input-widget .quick-input-title', { hasText: 'Re-run Episode' });
    const first = await Promise.race([
      rerunTab.waitFor({ state: 'visible', timeout: 180_000 }).then(() => 'panel'),
      asked.waitFor({ state: 'visible', timeout: 180_000 }).then(() => 'asked'),
    ]);
    assert.equal(first, 'panel', "Re-run Episode re-ran the focused replay's episode instead of asking");
    const seed = /seed (\d+)/.exec(original)?.[1];
    assert.ok(seed, `original tab ${original}`);
    await page
      .locator('.tabs-container .tab', { hasText: `seed ${seed} (re-run)` })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });

    // The Runs view names the scenario's folder.
    await page.locator('.pane-header', { hasText: 'Objective Monitor Runs' }).click();
    await page
      .locator('.monaco-list-row', { hasText: 'scenarios/walk' })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await page.screenshot({ path: path.join(RESULTS, 'e2e-rerun.png') });
  },
);
