// Driving the real workbench from Playwright: the command palette, quick picks and the replay webview.
import path from 'node:path';
import type { Frame, FrameLocator, Locator, Page } from 'playwright-core';
import { ROOT, type VscodeSession } from '../integration/vscodeServer';

/** F1, type the command's title, click it. Retried: right after start-up the extension's commands
 *  may not be registered yet, and F1 can land on something that keeps keys (a modal editor, a
 *  webview, a dialog). On the last failure a screenshot goes to test-results/e2e-palette-failed.png. */
export async function runCommand(page: Page, title: string): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`>${title}`, { timeout: 10_000 });
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await row.click({ timeout: 10_000 });
      return;
    } catch (e) {
      last = e;
      await page.keyboard.press('Escape');
      await page
        .locator('.part.statusbar')
        .click({ position: { x: 2, y: 2 }, timeout: 5_000 })
        .catch(() => undefined);
    }
  }
  await page.screenshot({ path: path.join(ROOT, 'test-results', 'e2e-palette-failed.png') }).catch(() => undefined);
  throw new Error(`command "${title}" could not be run from the palette: ${(last as Error).message}`);
}

/** Right-clicks `row` (a locator, found again at each try: the tree re-renders), clicks the context
 *  menu's `entry`, and waits for `done` to show. The whole gesture is repeated until it does: under load a click on an entry can land while the menu is
 *  still being laid out and leave it open with nothing run (seen in CI on two entries in one day). */
export async function contextMenuAction(
  page: Page,
  row: Locator,
  entry: string,
  done: Locator,
  timeoutMs = 60_000,
): Promise<void> {
  const within = (l: Locator, ms: number) =>
    l.waitFor({ state: 'visible', timeout: ms }).then(
      () => true,
      () => false,
    );
  await waitUntil(
    `"${entry}" in a context menu to take effect`,
    async () => {
      await page.keyboard.press('Escape');
      await row.click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-label', { hasText: entry }).first();
      if (!(await within(item, 5_000))) return false;
      await item.click();
      return within(done, 5_000);
    },
    timeoutMs,
  );
}

/** Picks the row with `label` in the open quick pick. */
export async function pick(page: Page, label: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(label);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

/** The opening of a run as a user makes it: once the workbench and its extension host are up, F1 ->
 *  Run Scenario -> `scenario` -> `agent`, each picker answered only once it shows its title (the
 *  palette's input is the same widget, and text typed while it closes answers nothing). Returns the
 *  replay webview that the run opens. */
export async function runScenarioFromPalette(
  session: VscodeSession,
  scenario: string,
  agent: string,
): Promise<FrameLocator> {
  const page = session.page;
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await session.extensionHostReady(); // the commands run only once the extension host is up
  await runCommand(page, 'Objective Monitor: Run Scenario');
  const title = page.locator('.quick-input-widget .quick-input-title');
  await title.filter({ hasText: 'Objective Monitor: Run Scenario' }).waitFor({ state: 'visible', timeout: 30_000 });
  await pick(page, scenario);
  await title.filter({ hasText: 'agent for' }).waitFor({ state: 'visible', timeout: 30_000 });
  await pick(page, agent);
  return webview(page);
}

/** The content frame of the most recently created webview that is on screen (the replay panel): a
 *  panel hidden behind another tab keeps its iframe, and the last iframe is not always the one shown. */
export function webview(page: Page): FrameLocator {
  return page
    .locator('iframe.webview.ready')
    .filter({ visible: true })
    .last()
    .contentFrame()
    .frameLocator('iframe#active-frame');
}

/** The frame of the visible replay panel (for evaluating in the webview's own page). */
export async function replayFrame(page: Page, timeoutMs = 10_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      const slider = await f.$('.tl-slider').catch(() => null);
      if (slider && (await slider.isVisible().catch(() => false))) return f;
    }
    if (Date.now() > deadline) throw new Error('no visible replay panel frame');
    await page.waitForTimeout(100);
  }
}

/** Polls `cond` until it returns a truthy value (returned), or throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  cond: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The rows of the Objective Monitor Runs view, in order. */
export function runsRows(page: Page): Locator {
  return page
    .locator('.pane', { has: page.locator('.pane-header', { hasText: 'Objective Monitor Runs' }) })
    .locator('.monaco-list-row');
}

/** One row of the Runs view as shown: its label, description (what follows the label, '' when none),
 *  tree depth (`aria-level`, 1 for a scenario) and the codicon of its icon ('' when none). */
export interface RunsRow {
  label: string;
  description: string;
  level: number;
  icon: string;
}

/** The Runs view's rows by position (a list's rows are not in DOM order; `data-index` orders them). */
export async function runsTreeRows(page: Page): Promise<RunsRow[]> {
  const rows = await runsRows(page).evaluateAll((els) =>
    els.map((e) => ({
      i: Number(e.getAttribute('data-index')),
      label: e.querySelector('.label-name')?.textContent ?? '',
      description: e.querySelector('.label-description')?.textContent ?? '',
      level: Number(e.getAttribute('aria-level')),
      icon: /codicon-([\w-]+)/.exec(e.querySelector('.custom-view-tree-node-item-icon')?.className ?? '')?.[1] ?? '',
    })),
  );
  const out: RunsRow[] = [];
  for (const { i, ...row } of rows) out[i] = row;
  return out;
}

/** The Runs view's row labels (without descriptions) by position. */
export async function runsRowTexts(page: Page): Promise<string[]> {
  return (await runsTreeRows(page)).map((r) => r?.label);
}
