// E2E for issue 14: a real Chromium drives the workbench. Run Scenario on a copy of the cliff fixture
// (pushing reaches the edge at step 4, the flag follows at step 8) -> in the replay panel, cursor to
// step 4 -> "Fork from here" -> agent 'back' in the quick pick. The parent's panel then shows the fork
// overlaid with the fork point, the first different action and the score gap marked (chart, timeline,
// words), and the fork's agent as a ghost in the scene. "Find the Point of No Return" then marks step 4
// with 'back', and says that there is none with 'push' (the agent that was flagged).
// Screenshot: /tmp/fork-panel.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { copyScenario } from '../scenarioCopy';
import { pick, runCommand, runScenarioFromPalette, runsRows, runsTreeRows, waitUntil } from './workbench';

let session: VscodeSession | undefined;
let folder = '';

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-fork-'));
  copyScenario(path.join(ROOT, 'test', 'fixtures', 'fork', 'cliff.scenario.json'), path.join(folder, 'cliff'));
  session = await startVscode({ folder, label: 'e2e-fork', settings: { 'objectiveMonitor.run.episodes': 1 } });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

/** The run's trace of agent 'push' (the parent: a fork's header names its parent in forkOf). */
function parentTrace(): string {
  const traces = path.join(folder, '.objective-monitor', 'traces');
  for (const run of fs.readdirSync(traces))
    for (const f of fs.readdirSync(path.join(traces, run))) {
      const file = path.join(traces, run, f);
      const h = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as {
        agent: { name: string };
        forkOf?: unknown;
      };
      if (h.agent.name === 'push' && !h.forkOf) return file;
    }
  throw new Error(`no trace of agent push under ${traces}`);
}

/** The replay panel frame whose `selector` says `text` (several panels may be open: parent and fork). */
async function frameWith(page: Page, selector: string, text: string, timeoutMs: number): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      const got = await f.$eval(selector, (e) => e.textContent ?? '').catch(() => '');
      if (got.includes(text)) return f;
    }
    if (Date.now() > deadline) throw new Error(`no replay panel shows ${selector} with "${text}"`);
    await page.waitForTimeout(100);
  }
}

const text = (f: Frame, selector: string) => f.$eval(selector, (e) => e.textContent ?? '');
const aria = (f: Frame, selector: string) => f.$eval(selector, (e) => e.getAttribute('aria-label') ?? '');

test(
  'Fork from here in the replay panel: parent and fork overlaid and marked, the fork ghosted; blame marks its step',
  { timeout: 420_000 },
  async () => {
    const page = session!.page;
    const frame = await runScenarioFromPalette(session!, 'cliff', 'push');
    await frame.locator('.h-flag', { hasText: 'flagged at step 8' }).waitFor({ state: 'visible', timeout: 120_000 });

    // cursor to step 4, then the panel's button; the agent is picked in VS Code's quick pick
    await frame.locator('.tl-slider').focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await frame.locator('.tl-step', { hasText: 'step 4 · last 8' }).waitFor({ state: 'visible', timeout: 10_000 });
    await frame.locator('button.tl-fork').click();
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Fork from Here' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    await pick(page, 'back');

    // the parent's panel (the one with the flag at step 8) comes back with its fork beside it
    const f = await frameWith(page, '.fork-marks .mark-fork', 'compared with its fork (agent back)', 120_000);
    assert.match(await text(f, '.h-flag'), /flagged at step 8/, 'this is the parent');
    assert.equal(await text(f, '.mark-fork'), '↳ fork point: step 4, compared with its fork (agent back)');
    assert.equal(await text(f, '.mark-action'), '≠ first different action: step 4');
    // the fork completes all 20 steps unflagged; the parent stopped at its flag, compared at its last step
    assert.match(
      await text(f, '.mark-gap'),
      /^Δ score gap \+\d[\d.]* \(fork -?[\d.]+ vs parent -?[\d.]+\) at the end, step 19$/,
    );
    assert.equal(await aria(f, '.tl-mark-fork'), 'fork point: step 4');

    // The Runs view lists the fork once, right under its parent's episode (not as a run of its own).
    const runsHeader = page.locator('.pane-header', { hasText: 'Objective Monitor Runs' });
    if ((await runsHeader.getAttribute('aria-expanded')) !== 'true') await runsHeader.click();
    await runsRows(page).filter({ hasText: 'push · deployment' }).first().click();
    const parentSeed = await waitUntil('the fork under its parent in the Runs view', async () => {
      const rows = await runsTreeRows(page);
      const forks = rows.flatMap((r, i) => (r?.label === 'fork at step 4 · back' ? [i] : []));
      if (forks.length !== 1) return undefined;
      const at = forks[0];
      const parent = rows
        .slice(0, at)
        .reverse()
        .find((r) => r && r.level < rows[at].level);
      return parent && parent.level === rows[at].level - 1 && /^seed \d+$/.test(parent.label)
        ? parent.label
        : undefined;
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}: rows ${JSON.stringify(await runsTreeRows(page))}`);
    });
    const parentHeader = JSON.parse(fs.readFileSync(parentTrace(), 'utf8').split('\n')[0]) as { seed: number };
    assert.equal(parentSeed, `seed ${parentHeader.seed}`, "under the parent's episode");
    // the chart overlays the fork, named as a fork in the legend
    await f.waitForFunction(
      () =>
        (document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? '').includes(
          'fork at step 4 · agent back',
        ),
      undefined,
      { timeout: 10_000 },
    );

    // the scene: the fork's agent as a ghost over the parent's, at the same step
    await f.focus('.tl-slider');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await f.waitForFunction(
      () => document.querySelector('.scene-caption')?.textContent === 'scene at step 7 · ghost: the fork (agent back)',
      undefined,
      { timeout: 10_000 },
    );

    // Find the Point of No Return on the focused panel: step 4 marked on the chart, the timeline, in words
    await runCommand(page, 'Objective Monitor: Find the Point of No Return');
    await pick(page, 'back');
    await f.waitForSelector('.fork-marks .mark-blame', { timeout: 120_000 });
    assert.match(
      await text(f, '.mark-blame'),
      /^⊘ point of no return: step 4 — agent back taking over there avoids the flag at step 8/,
    );
    assert.equal(await aria(f, '.tl-mark-blame'), 'point of no return: step 4');

    // for the screenshot: a step where the parent (pushed over the edge) and the ghost (stepped back) are apart
    await f.focus('.tl-slider');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await f.waitForFunction(
      () => document.querySelector('.scene-caption')?.textContent === 'scene at step 6 · ghost: the fork (agent back)',
      undefined,
      { timeout: 10_000 },
    );
    await page.screenshot({ path: '/tmp/fork-panel.png' });

    // blame with the flagged agent itself: no hand-over avoids the flag, and the panel says so
    await runCommand(page, 'Objective Monitor: Find the Point of No Return');
    await pick(page, 'push');
    await f.waitForFunction(
      () => (document.querySelector('.mark-blame')?.textContent ?? '').includes('no point of no return found'),
      undefined,
      { timeout: 120_000 },
    );
    assert.match(
      await text(f, '.mark-blame'),
      /^⊘ no point of no return found: agent push taking over at any step up to the flag \(step 8\) is still flagged/,
    );
    assert.equal(await f.$('.tl-mark-blame'), null, 'no step to tick on the timeline');
  },
);
