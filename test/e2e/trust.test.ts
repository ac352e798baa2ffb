// Workspace Trust granted without a reload: the folder opens in Restricted Mode, Run Scenario is
// refused with a message offering "Manage Workspace Trust"; the user follows it and clicks Trust in
// the Workspace Trust editor; Run Scenario then runs — same page, same extension host process.
// Replaying a recorded trace works while restricted.
// Screenshot: test-results/e2e-trust.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, extensionHostPid, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { writeTrace } from '../traceFixture';
import { pick, runCommand, webview } from './workbench';

let session: VscodeSession | undefined;
let folder = '';

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-trust-'));
  // a recorded trace to replay in Restricted Mode (flagged at step 2: the running objective 1, 2, -3 < -1)
  writeTrace(path.join(folder, 'fixture.trace.jsonl'), [1, 1, -5, -5, 1], { threshold: -1 });
  session = await startVscode({
    folder,
    trust: true,
    label: 'e2e-trust',
    settings: { 'objectiveMonitor.run.episodes': 2 },
  });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

test(
  'Restricted Mode refuses Run Scenario; after Trust in the trust editor it runs without a reload',
  { timeout: 240_000 },
  async () => {
    const page = session!.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    // Workspace Trust's state is known only once the extension host is up (the remote file system is
    // activated through it); the workbench is drawn long before. Start-up first, then the UI's steps.
    await session!.extensionHostReady();
    const restricted = page.locator('.statusbar-item', { hasText: 'Restricted Mode' });
    await restricted.waitFor({ state: 'visible', timeout: 30_000 });

    // Refused, with the way out. (The headless window shows no toasts; the notification center lists it.)
    await runCommand(page, 'Objective Monitor: Run Scenario');
    await runCommand(page, 'Notifications: Show Notifications');
    const refusal = page
      .locator('.notifications-center .notification-list-item', { hasText: 'Restricted Mode' })
      .first();
    await refusal.waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(!fs.existsSync(path.join(folder, '.objective-monitor', 'traces')), 'nothing ran');
    await page.keyboard.press('Escape');

    // Replaying is reading: a trace opens in the replay, loaded, in Restricted Mode.
    await runCommand(page, 'Go to File...');
    await page.locator('.quick-input-widget input').fill('fixture.trace.jsonl');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'fixture.trace.jsonl' })
      .first()
      .click({ timeout: 30_000 });
    await page
      .locator('.tabs-container .tab.active', { hasText: 'fixture.trace.jsonl' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    await runCommand(page, 'Objective Monitor: Open Trace in Replay');
    await webview(page)
      .locator('.h-flag', { hasText: /^flagged at step 2\b/ })
      .waitFor({ state: 'visible', timeout: 60_000 });
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Notifications: Show Notifications');

    const hostBefore = extensionHostPid(session!);
    assert.ok(hostBefore, 'the extension host is running');
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });

    // The message's button opens the Workspace Trust editor; Trust grants it.
    await refusal.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).click();
    const editor = page.locator('.workspace-trust-editor');
    await editor.waitFor({ state: 'visible', timeout: 30_000 });
    await editor
      .locator('.workspace-trust-buttons-row .monaco-button', { hasText: /^Trust/ })
      .first()
      .click();
    await restricted.waitFor({ state: 'hidden', timeout: 30_000 });
    await page.keyboard.press('Escape'); // close the trust editor (modal)
    await editor.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);

    // The same command now runs, in the same window and extension host.
    await runCommand(page, 'Objective Monitor: Run Scenario');
    await pick(page, 'racing');
    await pick(page, 'misaligned');
    const flagText = webview(page).locator('.h-flag');
    await flagText.waitFor({ state: 'visible', timeout: 120_000 });
    assert.match((await flagText.textContent()) ?? '', /flagged at step \d+/);
    const traces = path.join(folder, '.objective-monitor', 'traces');
    assert.ok(fs.readdirSync(traces).length >= 1, 'a run was written');
    assert.equal(navigations, 0, 'the workbench page did not reload');
    assert.equal(extensionHostPid(session!), hostBefore, 'the extension host was not restarted');
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'e2e-trust.png') });
  },
);
