// E2E: the replay panel and the Runs view tell the same story as the trace files, seen in their DOM.
// A live run overlays its other finished episodes (the chart's legend names their seeds and flags);
// the Runs view shows the run's episodes (steps, flag, end reason and its icon) and a flag node that
// moves the same panel to the flagged step; a run's row offers Compare Episodes (inline and in its
// context menu), an episode's does not; a detector setting changed in the workspace's settings.json
// re-flags the panel, its overlays and the Runs view; Compare Episodes opens a run's first episode
// with the others overlaid. Then runs made with the CLI: the Runs view tells two scenarios of one
// name apart by their folder, and under every detector setting of test/reflagMatrix.ts its rows
// (episode descriptions and flag nodes) show the flagged step core computes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { flagRecordedTrace, recordedTraceOf } from '../../src/core/reflag';
import { readTrace } from '../../src/core/traceReader';
import { exampleFiles } from '../../src/extension/exampleScenario';
import { createCalibrationLoader } from '../../src/shared/calibrationLoader';
import { coerceSettings, flagSettingsOf } from '../../src/shared/settings';
import { cliRunner, type RunJson } from '../engine/cliRunner';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { REFLAG_MATRIX, REFLAG_RUNS, copyReflagScenario, describeSection, reflagRunArgs } from '../reflagMatrix';
import {
  pick,
  runCommand,
  runScenarioFromPalette,
  runsRowTexts,
  runsRows,
  runsTreeRows,
  waitUntil,
  webview,
  type RunsRow,
} from './workbench';

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
  reason: string;
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
        .map(
          (l) =>
            JSON.parse(l) as {
              type: string;
              seed?: number;
              distribution?: string;
              flaggedStep?: number;
              reason?: string;
            },
        );
      const end = recs[recs.length - 1];
      if (recs[0].distribution !== 'deployment' || end.type !== 'episode_end') continue;
      out.push({
        file: path.join(traces, run, f),
        seed: recs[0].seed!,
        steps: recs.filter((r) => r.type === 'step').length,
        flaggedStep: end.flaggedStep ?? null,
        reason: end.reason ?? '',
      });
    }
  }
  return out;
}

/** Writes the workspace's .vscode/settings.json, as a user editing it does. */
function writeSettings(settings: Record<string, unknown>): void {
  fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify(settings));
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

/** The Runs view's row labelled exactly `label` at tree depth `level` (1: scenario, 2: run, 3: episode). */
function runsRow(page: Page, label: string, level: number): Locator {
  return runsRows(page)
    .and(page.locator(`[aria-level="${level}"]`))
    .filter({ has: page.locator('.label-name').getByText(label, { exact: true }) })
    .first();
}

/** Expands (`open`) or collapses a tree row by its twistie, and waits until it shows so. */
async function setExpanded(row: Locator, open: boolean): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) !== String(open)) await row.locator('.monaco-tl-twistie').click();
  await waitUntil(
    'the row expanded or collapsed',
    async () => (await row.getAttribute('aria-expanded')) === String(open),
  );
}

/** The flags the Runs view shows for the episodes of the run row `run` under the first scenario row
 *  `scenario`: seed -> [the step its description says it is flagged at, its flag node's step] (null:
 *  none shown). Undefined while the run's rows are not there. */
function shownFlags(
  rows: RunsRow[],
  scenario: string,
  run: string,
): Map<number, [number | null, number | null]> | undefined {
  const s = rows.findIndex((r) => r?.level === 1 && r.label === scenario);
  if (s < 0) return undefined;
  let i = s + 1;
  while (i < rows.length && rows[i]?.level > 1 && !(rows[i].level === 2 && rows[i].label === run)) i++;
  if (rows[i]?.level !== 2) return undefined;
  const out = new Map<number, [number | null, number | null]>();
  let seed: number | undefined;
  for (i++; i < rows.length && rows[i]?.level > 2; i++) {
    const r = rows[i];
    if (r.level === 3 && /^seed \d+$/.test(r.label)) {
      seed = Number(r.label.slice(5));
      const d = /· flagged at (\d+) ·/.exec(r.description);
      out.set(seed, [d ? Number(d[1]) : null, null]);
    } else if (r.level === 4 && seed !== undefined) {
      const f = /^flagged at step (\d+)$/.exec(r.label);
      if (f) out.get(seed)![1] = Number(f[1]);
    }
  }
  return out;
}

/** Waits until the Runs view shows `want` (seed -> flagged step, null: none) for the run's episodes,
 *  in both each episode's description and its flag node; the failure says what it showed. */
async function runsViewShows(
  page: Page,
  scenario: string,
  run: string,
  want: Map<number, number | null>,
  what: string,
): Promise<void> {
  const key = (m: Map<number, unknown>) => JSON.stringify([...m].sort((x, y) => x[0] - y[0]));
  const expected = key(new Map([...want].map(([seed, step]) => [seed, [step, step]])));
  let last = '';
  await waitUntil(
    what,
    async () => {
      last = key(shownFlags(await runsTreeRows(page), scenario, run) ?? new Map());
      return last === expected;
    },
    60_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}: the Runs view shows ${last} (seed, [description, flag node]), expected ${expected}`);
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

    // The shown episode's row: its steps, flag and end reason, and the icon of a stop at the flag.
    assert.equal(shown.reason, 'flagged_stop', 'the misaligned agent is stopped at the flag');
    const epRow = (await runsTreeRows(page)).find((r) => r?.label === `seed ${seed}`);
    assert.equal(epRow?.description, `${shown.steps} steps · flagged at ${shown.flaggedStep} · stopped at the flag`);
    assert.equal(epRow?.icon, 'debug-stop', "the episode's icon");
    // A run's row offers Compare Episodes, inline and in its context menu; an episode's row does not.
    const runRow = runsRow(page, 'misaligned · deployment', 2);
    await runRow.hover();
    const compareInline = runRow.locator('.actions .action-label[aria-label^="Compare Episodes"]');
    await compareInline.waitFor({ state: 'visible', timeout: 10_000 });
    const episodeRow = runsRow(page, `seed ${seed}`, 3);
    await episodeRow.hover();
    await episodeRow.locator('.actions .action-label').first().waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await episodeRow.locator('.actions .action-label[aria-label^="Compare Episodes"]').count(), 0);
    await runRow.click({ button: 'right' });
    const menuEntry = page.locator('.monaco-menu .action-label', { hasText: 'Compare Episodes' }).first();
    await menuEntry.waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.press('Escape');
    await menuEntry.waitFor({ state: 'hidden', timeout: 10_000 });

    // A threshold no score reaches, set in the workspace's settings: nothing is flagged in the Runs view.
    const racingRuns = (want: (t: DiskTrace) => number | null, what: string) =>
      runsViewShows(page, 'racing', 'misaligned · deployment', new Map(traces.map((t) => [t.seed, want(t)])), what);
    writeSettings({ 'objectiveMonitor.detector.kind': 'fixed', 'objectiveMonitor.detector.fixedThreshold': -1e12 });
    await racingRuns(() => null, 'no flags in the Runs view under a -1e12 fixed threshold');
    // A threshold every score is below: step 0 is flagged everywhere, panel, overlays and Runs view.
    writeSettings({ 'objectiveMonitor.detector.kind': 'fixed', 'objectiveMonitor.detector.fixedThreshold': 1e12 });
    await frame.locator('.h-flag', { hasText: /flagged at step 0\b/ }).waitFor({ state: 'visible', timeout: 60_000 });
    await legendShows(page, new Map(others.map((t) => [t.seed, 0])), 'the overlays re-flagged at step 0');
    await racingRuns(() => 0, 'the Runs view re-flagged at step 0');
    // Back to the recorded flags.
    writeSettings({});
    await legendShows(page, new Map(others.map((t) => [t.seed, t.flaggedStep])), 'the recorded flags back');
    await racingRuns((t) => t.flaggedStep, 'the recorded flags back in the Runs view');

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

test(
  'the Runs view tells scenarios of one name apart and shows the flags of every detector setting',
  { timeout: 300_000 },
  async () => {
    const page = session!.page;
    // Runs made with the CLI in the workspace, as in a terminal: the example scenario in two folders
    // (one name), and the re-flag scenario's runs recorded past the flag.
    const om = cliRunner(120_000);
    const cli = (...args: string[]): RunJson => {
      const r = om(folder, ...args, '--json');
      assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout) as RunJson;
    };
    for (const [dir, agent] of [
      ['examples/first', 'misaligned'],
      ['copies/corridor-copy', 'aligned'],
    ]) {
      for (const [rel, content] of Object.entries(exampleFiles())) {
        fs.mkdirSync(path.dirname(path.join(folder, dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(folder, dir, rel), content);
      }
      cli('run', path.join(dir, 'corridor.scenario.json'), '--agent', agent, '--episodes', '1');
    }
    const scenarioFile = copyReflagScenario(ROOT, path.join(folder, 'paths-scenario'));
    const episodes = new Map<string, { seed: number; trace: string }[]>();
    for (const run of REFLAG_RUNS) {
      const args = reflagRunArgs(scenarioFile, run).filter((a) => a !== '--json');
      episodes.set(run.agent, cli(...args).episodes);
    }
    // the Runs view's Refresh action (in its title bar, shown on hover)
    const runsHeader = page.locator('.pane-header', { hasText: 'Objective Monitor Runs' });
    await runsHeader.hover();
    await runsHeader.locator('.action-label[aria-label^="Refresh Runs"]').click();

    // Two groups named corridor, told apart by their folder, each with its own run. (Both rows shown
    // also says their tree item ids differ: the view refuses a tree with a repeated id.)
    const { rows, groups } = await waitUntil('two scenario groups named corridor', async () => {
      const rows = await runsTreeRows(page);
      const groups = rows.flatMap((r, i) => (r?.level === 1 && r.label === 'corridor' ? [i] : []));
      return groups.length === 2 ? { rows, groups } : undefined;
    });
    const runsUnder = (g: number) => {
      const out: string[] = [];
      for (let i = g + 1; i < rows.length && rows[i]?.level > 1; i++) if (rows[i].level === 2) out.push(rows[i].label);
      return out;
    };
    assert.deepEqual(
      groups.map((g) => [rows[g].description, runsUnder(g)]),
      [
        ['copies/corridor-copy · 1 run', ['aligned · deployment']],
        ['examples/first · 1 run', ['misaligned · deployment']],
      ],
      'each group names its folder and holds its own run',
    );

    // Room for the re-flag scenario's episodes: the other groups collapsed, its two runs expanded.
    // (from the bottom up: collapsing a row moves only the rows below it)
    const others = (await runsTreeRows(page)).flatMap((r, i) => (r?.level === 1 && r.label !== 'paths' ? [i] : []));
    for (const i of others.reverse()) await setExpanded(runsRows(page).and(page.locator(`[data-index="${i}"]`)), false);
    for (const run of REFLAG_RUNS) await setExpanded(runsRow(page, `${run.agent} · deployment`, 2), true);

    const loader = createCalibrationLoader();
    let moved = 0;
    for (const section of REFLAG_MATRIX) {
      const what = describeSection(section);
      writeSettings(Object.fromEntries(Object.entries(section).map(([k, v]) => [`objectiveMonitor.detector.${k}`, v])));
      const settings = flagSettingsOf(coerceSettings({ detector: section }));
      for (const run of REFLAG_RUNS) {
        const want = new Map(
          episodes.get(run.agent)!.map((e) => {
            const core = flagRecordedTrace(recordedTraceOf(readTrace(fs.readFileSync(e.trace))), settings, loader);
            assert.equal(core.reflagError, null, `${what}: ${core.reflagError}`);
            if (core.flaggedStep !== core.recordedFlaggedStep) moved++;
            return [e.seed, core.flaggedStep] as const;
          }),
        );
        await runsViewShows(page, 'paths', `${run.agent} · deployment`, want, `${what}: ${run.agent}'s episodes`);
      }
    }
    assert.ok(moved > 0, 'some setting moves or removes a recorded flag');
    writeSettings({});
  },
);
