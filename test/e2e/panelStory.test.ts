// E2E: the replay panel tells the same story as the trace files and the Runs view, seen in its DOM.
// A live run overlays its other finished episodes (the chart's legend names their seeds and flags);
// the flag node in the Runs view moves the same panel to the flagged step; a detector setting
// changed in the workspace's settings.json re-flags the panel and its overlays; Compare Episodes
// opens a run's first episode with the others overlaid.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { pick, runCommand, runScenarioFromPalette, runsRowTexts, runsRows, waitUntil, webview } from './workbench';

let session: VscodeSession | undefined;
let folder = '';

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-story-'));
  session = await startVscode({ folder, label: 'e2e-story', settings: { 'objectiveMonitor.run.episodes': 3 } });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

interface DiskTrace {
  file: string;
  seed: number;
  steps: number;
  flaggedStep: number | null;
}

/** The deployment run's finished traces, as written on disk. */
function deploymentTraces(): DiskTrace[] {
  const out: DiskTrace[] = [];
  const traces = path.join(folder, '.objective-monitor', 'traces');
  for (const run of fs.existsSync(traces) ? fs.readdirSync(traces) : []) {
    for (const f of fs.readdirSync(path.join(traces, run)).filter((x) => x.endsWith('.trace.jsonl'))) {
      const recs = fs
        .readFileSync(path.join(traces, run, f), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; seed?: number; distribution?: string; flaggedStep?: number });
      const end = recs[recs.length - 1];
      if (recs[0].distribution !== 'deployment' || end.type !== 'episode_end') continue;
      out.push({
        file: path.join(traces, run, f),
        seed: recs[0].seed!,
        steps: recs.filter((r) => r.type === 'step').length,
        flaggedStep: end.flaggedStep ?? null,
      });
    }
  }
  return out;
}

/** The seed of the replay panel in the active tab ("Replay: racing / misaligned · seed N"). */
async function shownSeed(page: Page): Promise<number> {
  const tab = page.locator('.tabs-container .tab.active', { hasText: /Replay: racing \/ misaligned · seed \d+/ });
  await tab.waitFor({ state: 'visible', timeout: 60_000 });
  return Number(/seed (\d+)/.exec((await tab.textContent()) ?? '')![1]);
}

/** The overlays the chart's legend lists (its accessible label): seed -> flagged step (null: none). */
async function legendOverlays(page: Page): Promise<Map<number, number | null>> {
  const label = (await webview(page).locator('.chart-canvas').getAttribute('aria-label', { timeout: 10_000 })) ?? '';
  const legend = /Legend: (.*)\.$/.exec(label.replace(/ Cursor at step .*$/, ''))?.[1] ?? '';
  const out = new Map<number, number | null>();
  for (const m of legend.matchAll(/seed (\d+)( · flagged at step (\d+))?/g))
    out.set(Number(m[1]), m[3] ? Number(m[3]) : null);
  return out;
}

/** Waits until the legend lists exactly `want` (seed -> flagged step); the failure says what it listed. */
async function legendShows(page: Page, want: Map<number, number | null>, what: string): Promise<void> {
  const key = (m: Map<number, number | null>) => JSON.stringify([...m].sort((x, y) => x[0] - y[0]));
  let last = new Map<number, number | null>();
  await waitUntil(
    what,
    async () => {
      last = await legendOverlays(page);
      return key(last) === key(want);
    },
    60_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}: the legend lists ${key(last)}, expected ${key(want)}`);
  });
}

test(
  'the replay panel shows the overlays, the flag, re-flags and Compare Episodes as the files and the Runs view say',
  { timeout: 420_000 },
  async () => {
    const page = session!.page;
    const frame = await runScenarioFromPalette(session!, 'racing', 'misaligned');
    await frame.locator('.h-flag').waitFor({ state: 'visible', timeout: 120_000 });
    const traces = await waitUntil(
      '3 finished deployment traces on disk',
      () => {
        const t = deploymentTraces();
        return t.length === 3 ? t : undefined;
      },
      180_000,
    );

    // The live panel (loaded through the webview handshake) overlays the run's 2 other episodes.
    const seed = await shownSeed(page);
    const shown = traces.find((t) => t.seed === seed)!;
    assert.ok(shown, `the shown seed ${seed} is one of the run's (${traces.map((t) => t.seed)})`);
    assert.match(
      (await frame.locator('.h-flag').textContent()) ?? '',
      new RegExp(`flagged at step ${shown.flaggedStep}\\b`),
    );
    const others = traces.filter((t) => t !== shown);
    await legendShows(page, new Map(others.map((t) => [t.seed, t.flaggedStep])), 'the 2 other episodes overlaid');
    // the axis reaches the longest overlaid episode: the overlays carry the traces' scores
    const axis = /shown of 0–(\d+)\./.exec((await frame.locator('.chart-canvas').getAttribute('aria-label')) ?? '');
    assert.equal(Number(axis?.[1]), Math.max(...traces.map((t) => t.steps)) - 1, `chart axis ${axis?.[0]}`);

    // The flag node in the Runs view moves the same panel to the flagged step.
    assert.ok(shown.flaggedStep !== null && shown.flaggedStep > 0, `flagged at ${shown.flaggedStep}`);
    await frame.locator('.tl-slider').focus();
    await page.keyboard.press('Home');
    await frame.locator('.tl-step', { hasText: /^step 0 ·/ }).waitFor({ state: 'visible', timeout: 10_000 });
    // room for the Runs view: the folder's pane collapsed
    await page.locator('.pane-header', { hasText: path.basename(folder) }).click();
    await page.locator('.pane-header', { hasText: 'Objective Monitor Runs' }).click();
    await runsRows(page).filter({ hasText: 'misaligned · deployment' }).first().click();
    // the flag node under this episode's row (another episode may be flagged at the same step)
    const flagRow = await waitUntil('the flag node of the shown episode', async () => {
      const rows = await runsRowTexts(page);
      const at = rows.findIndex((r) => r === `seed ${seed}`);
      const j = at < 0 ? -1 : rows.findIndex((r, i) => i > at && r?.includes('flagged at step'));
      return j >= 0 && rows[j] === `flagged at step ${shown.flaggedStep}` ? String(j) : undefined;
    });
    const atFlag = frame.locator('.tl-step', { hasText: new RegExp(`^step ${shown.flaggedStep} ·`) });
    await waitUntil('the panel at the flagged step after a click on the flag node', async () => {
      await runsRows(page)
        .and(page.locator(`[data-index="${flagRow}"]`))
        .click();
      return atFlag.waitFor({ state: 'visible', timeout: 5_000 }).then(
        () => true,
        () => false,
      );
    }).catch(async (e: Error) => {
      await page.screenshot({ path: path.join(ROOT, 'test-results', 'e2e-story-failed.png') });
      throw new Error(
        `${e.message}; clicked row ${flagRow} of ${JSON.stringify(await runsRowTexts(page))}; the timeline shows ${await frame.locator('.tl-step').textContent()}`,
      );
    });
    assert.equal(
      await page.locator('.tabs-container .tab', { hasText: `Replay: racing / misaligned · seed ${seed}` }).count(),
      1,
      'one panel per trace',
    );

    // A threshold every score is below, set in the workspace's settings: step 0 is flagged everywhere.
    fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    fs.writeFileSync(
      path.join(folder, '.vscode', 'settings.json'),
      JSON.stringify({ 'objectiveMonitor.detector.kind': 'fixed', 'objectiveMonitor.detector.fixedThreshold': 1e12 }),
    );
    await frame.locator('.h-flag', { hasText: /flagged at step 0\b/ }).waitFor({ state: 'visible', timeout: 60_000 });
    await legendShows(page, new Map(others.map((t) => [t.seed, 0])), 'the overlays re-flagged at step 0');
    // Back to the recorded flags.
    fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), '{}');
    await legendShows(page, new Map(others.map((t) => [t.seed, t.flaggedStep])), 'the recorded flags back');

    // Compare Episodes on the run: the first episode opens with the others overlaid.
    await runCommand(page, 'View: Close All Editors');
    await page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: 10_000 });
    await runCommand(page, 'Objective Monitor: Compare Episodes');
    await pick(page, 'misaligned · deployment');
    const first = await shownSeed(page);
    const rows = await runsRowTexts(page);
    const firstRow = rows
      .slice(rows.findIndex((r) => r === 'misaligned · deployment'))
      .find((r) => /^seed \d+$/.test(r ?? ''));
    assert.equal(firstRow, `seed ${first}`, "the run's first episode in the Runs view");
    await legendShows(
      page,
      new Map(traces.filter((t) => t.seed !== first).map((t) => [t.seed, t.flaggedStep])),
      'the other episodes overlaid',
    );
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'e2e-story.png') }).catch(() => undefined);
  },
);
