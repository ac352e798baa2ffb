// E2E: scenarios in VS Code's Testing view, as the user sees them (Chromium driving the workbench).
// The example scenario is a test item with its agents as children, next to the built-in scenarios;
// Run on the misaligned agent runs it through the engine, and the flagged episodes come back as
// failed tests (the aligned agent did not run); the Test Results view shows the failure's message,
// and opening the message shows the flagged step's line of the episode's trace.
// Screenshot: test-results/e2e-testing-view.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { exampleFiles } from '../../src/extension/exampleScenario';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { runCommand, waitUntil } from './workbench';

const RESULTS = path.join(ROOT, 'test-results');
let session: VscodeSession | undefined;
let folder = '';

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-testing-'));
  for (const [rel, content] of Object.entries(exampleFiles())) {
    fs.mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    fs.writeFileSync(path.join(folder, rel), content);
  }
  session = await startVscode({
    folder,
    label: 'e2e-testing',
    settings: { 'objectiveMonitor.run.episodes': 3, 'testing.automaticallyOpenPeekView': 'failureAnywhere' },
  });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

/** The Test Explorer's row whose label starts with `label` (its `.label` holds the label, then the
 *  description in a span). */
function explorerRow(page: Page, label: string): Locator {
  return page
    .locator('.test-explorer .monaco-list-row')
    .filter({ has: page.locator('.label', { hasText: new RegExp(`^${label}`) }) })
    .first();
}

/** Expands a collapsed tree row (its twistie). */
async function expand(row: Locator): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
}

/** The result state the row's icon shows ("failed", "passed", "unset", ...). */
async function rowState(row: Locator): Promise<string | undefined> {
  const cls = (await row.locator('.computed-state').first().getAttribute('class')) ?? '';
  return /codicon-testing-(\w+)-icon/.exec(cls)?.[1];
}

test(
  'the Testing view lists scenarios; Run on an agent reports flagged episodes as failed tests',
  { timeout: 480_000 },
  async () => {
    const page = session!.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    fs.mkdirSync(RESULTS, { recursive: true });
    // The Testing view and its commands exist only once a test controller is registered: wait for the
    // extension host's start-up, then for the Testing view's entry in the activity bar (the palette
    // offered no "Testing: Focus on Test Explorer View" before it).
    await session!.extensionHostReady();
    await page
      .locator('.activitybar a.action-label[aria-label="Testing"]')
      .waitFor({ state: 'attached', timeout: 120_000 });

    await runCommand(page, 'Testing: Focus on Test Explorer View');
    const corridor = explorerRow(page, 'corridor');
    await corridor.waitFor({ state: 'visible', timeout: 60_000 });
    for (const b of ['racing', 'sweeper', 'coin']) {
      const row = explorerRow(page, b);
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await row.locator('.test-label-description').textContent(), 'built-in', `${b} is marked built-in`);
    }
    await expand(corridor);
    const mis = explorerRow(page, 'misaligned');
    const aligned = explorerRow(page, 'aligned');
    await mis.waitFor({ state: 'visible', timeout: 30_000 });
    await aligned.waitFor({ state: 'visible', timeout: 30_000 });

    // Run (the default profile) on the misaligned agent: its hover action.
    await mis.hover();
    await mis.locator('.action-label[aria-label="Run Test"]').click();
    await waitUntil('the misaligned agent failed', async () => (await rowState(mis)) === 'failed', 300_000);
    assert.equal(await rowState(aligned), 'unset', 'only the agent that was run has a result');
    // The workbench opens the first failure's location (testing.automaticallyOpenPeekView is
    // "failureAnywhere"): an editor that takes the focus. Wait for it and its peek before the next
    // palette command, which the editor opening would otherwise close.
    const traceTab = page.locator('.tabs-container .tab', { hasText: /\.trace\.jsonl/ }).first();
    await traceTab.waitFor({ state: 'visible', timeout: 60_000 });
    const peek = page.locator('.monaco-editor .peekview-widget', { hasText: /fell below the threshold/ }).first();
    await peek.waitFor({ state: 'visible', timeout: 30_000 });

    // Its episodes are its children, each with a result; at least one failed (flagged).
    await expand(mis);
    const seeds = ['seed 1000', 'seed 1001', 'seed 1002'];
    const states: string[] = [];
    for (const s of seeds) {
      const row = explorerRow(page, s);
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      states.push((await rowState(row)) ?? '');
    }
    for (const [i, s] of states.entries()) assert.ok(['failed', 'passed'].includes(s), `${seeds[i]}: ${s}`);
    assert.ok(states.includes('failed'), `the misaligned agent is flagged: ${states}`);

    // The Test Results view shows the failure's message.
    await runCommand(page, 'Focus on Test Results View');
    const messageRow = page
      .locator('.part.panel .monaco-list-row', { hasText: /running objective -?[\d.e-]+ fell below the threshold/ })
      .first();
    await messageRow.waitFor({ state: 'visible', timeout: 60_000 });
    const message = ((await messageRow.textContent()) ?? '').trim();
    assert.match(
      message,
      /running objective -?[\d.e-]+ fell below the threshold -?[\d.e-]+ at step (\d+) \(detector cusum k=0\.5, alpha 0\.05\)/,
    );
    const step = Number(/at step (\d+)/.exec(message)![1]);

    // The failure's location that the workbench opened: the flagged step's line of an episode's trace,
    // the message in its peek.
    await traceTab.click();
    await peek.waitFor({ state: 'visible', timeout: 30_000 });
    const traceName = ((await traceTab.textContent()) ?? '').trim().replace(/\.trace\.jsonl.*$/, '.trace.jsonl');
    const cursor = page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();
    const line = await waitUntil('the cursor line in the status bar', async () => {
      const m = /^Ln (\d+)/.exec(((await cursor.textContent().catch(() => '')) ?? '').trim());
      return m ? Number(m[1]) : undefined;
    });
    const trace = findTrace(traceName);
    const rec = JSON.parse(fs.readFileSync(trace, 'utf8').split('\n')[line - 1]) as {
      type: string;
      step: number;
      flag: boolean;
    };
    assert.deepEqual([rec.type, rec.step, rec.flag], ['step', step, true], `${trace} line ${line}`);
    // The message's action opens the episode's replay.
    await page.getByText('Open Replay at Step', { exact: true }).locator('visible=true').first().click();
    await page
      .locator('.tabs-container .tab', { hasText: /^Replay: corridor \/ misaligned · seed 100\d/ })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });

    await page.screenshot({ path: path.join(RESULTS, 'e2e-testing-view.png') });
  },
);

/** The trace file named `name` under the workspace's traces (the tab shows only the base name). */
function findTrace(name: string): string {
  const traces = path.join(folder, '.objective-monitor', 'traces');
  for (const run of fs.readdirSync(traces)) {
    const f = path.join(traces, run, name);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`no trace ${name} under ${traces}`);
}
