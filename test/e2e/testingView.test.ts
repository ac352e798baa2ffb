// E2E: scenarios in VS Code's Testing view, as the user sees them (Chromium driving the workbench).
// The example scenario is a test item with its agents as children, next to the built-in scenarios
// (each with its two agents). Run on the misaligned agent runs it through the engine, and the flagged
// episodes come back as failed tests (the aligned agent did not run); a click on a failed episode
// shows the flagged step's line of its trace with the message in a peek, whose action opens the
// replay; the Test Results view shows the failures' messages. The Calibrate profile rewrites the
// calibration and passes; Cancel Test Run stops the engine of a long run; a scenario with the guard
// on fails each episode the guard stopped, with the prediction's sentence at the trace's end record;
// Go to Test on an agent shows its line in the scenario file.
// Screenshot: test-results/e2e-testing-view.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { exampleFiles } from '../../src/extension/exampleScenario';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { contextMenuAction, pick, runCommand, waitUntil } from './workbench';

const RESULTS = path.join(ROOT, 'test-results');
let session: VscodeSession | undefined;
let folder = '';

/** The example's files with a slow simulator: each step waits 100 ms (without using the CPU), so a run
 *  of it lasts minutes and is still running whenever Cancel is clicked. Its scenario is named "slow". */
function slowExampleFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, content] of Object.entries(exampleFiles())) {
    if (rel.endsWith('.scenario.json')) {
      out['slow.scenario.json'] = JSON.stringify({ ...JSON.parse(content), name: 'slow' }, null, 2);
    } else if (rel === 'environment.ts') {
      const slow = content
        .replace(
          'export default function',
          'const PAUSE = new Int32Array(new SharedArrayBuffer(4));\n\nexport default function',
        )
        .replace(/( *)step\(action: Action\) \{\n/, '$&$1  Atomics.wait(PAUSE, 0, 0, 100);\n');
      assert.match(slow, /Atomics\.wait/, "the example environment's step was found");
      out[rel] = slow;
    } else out[rel] = content;
  }
  return out;
}

/** The repository's corridor example (its environment offers clone() and reseed(seed)) as the scenario
 *  "guarded": the guard on (horizon 12) and a fixed threshold of -3, which the misaligned agent's
 *  predicted path crosses in every episode. */
function guardedExampleFiles(): Record<string, string> {
  const src = path.join(ROOT, 'examples/corridor');
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(src)) {
    const content = fs.readFileSync(path.join(src, f), 'utf8');
    if (f.endsWith('.scenario.json')) {
      const { $schema: _schema, ...s } = JSON.parse(content) as Record<string, unknown>;
      const guarded = { ...s, name: 'guarded', detector: { kind: 'fixed', threshold: -3 } };
      out['guarded.scenario.json'] = JSON.stringify({ ...guarded, guard: { enabled: true, horizon: 12 } }, null, 2);
    } else out[f] = content;
  }
  return out;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
}

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-testing-'));
  writeFiles(folder, exampleFiles());
  writeFiles(path.join(folder, 'slow'), slowExampleFiles());
  writeFiles(path.join(folder, 'guarded'), guardedExampleFiles());
  session = await startVscode({
    folder,
    label: 'e2e-testing',
    settings: { 'objectiveMonitor.run.episodes': 3, 'testing.automaticallyOpenPeekView': 'never' },
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
/** Expands a row, waiting for it to have children first: an item whose children were only just added
 *  (an agent's episodes, as its run ends) has no aria-expanded until the tree re-renders it. */
async function expand(row: Locator): Promise<void> {
  await waitUntil('the row expanded', async () => {
    const state = await row.getAttribute('aria-expanded');
    if (state === 'false') {
      await row.locator('.monaco-tl-twistie').click();
      // one click at a time: a second one before the row re-renders would fold it again
      await waitUntil(
        'the twistie answered',
        async () => (await row.getAttribute('aria-expanded')) !== 'false',
        10_000,
      );
    }
    return state === 'true';
  });
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
      // its two agents as children (collapsed again: the agents' rows below are the example's)
      await expand(row);
      assert.deepEqual(
        await waitUntil(`${b}'s agents`, async () => {
          const c = await childLabels(page, b);
          return c.length ? c : undefined;
        }),
        ['aligned', 'misaligned'],
        `${b}'s agents`,
      );
      await row.locator('.monaco-tl-twistie').click();
      await waitUntil(`${b} collapsed`, async () => (await row.getAttribute('aria-expanded')) === 'false');
    }
    await expand(corridor);
    const mis = explorerRow(page, 'misaligned');
    const aligned = explorerRow(page, 'aligned');
    await mis.waitFor({ state: 'visible', timeout: 30_000 });
    await aligned.waitFor({ state: 'visible', timeout: 30_000 });
    assert.deepEqual(await childLabels(page, 'corridor'), ['aligned', 'misaligned'], "the example's agents");

    // Run (the default profile) on the misaligned agent: its hover action.
    await mis.hover();
    await mis.locator('.action-label[aria-label="Run Test"]').click();
    await waitUntil('the misaligned agent failed', async () => (await rowState(mis)) === 'failed', 300_000);
    assert.equal(await rowState(aligned), 'unset', 'only the agent that was run has a result');
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

    // A click on a failed episode opens its failure's location: the flagged step's line of its trace,
    // the message in a peek. (Clicked, not left to testing.automaticallyOpenPeekView, which is off:
    // the workbench peeks at whichever failure it hears of first, and that was sometimes the agent's
    // summary at its line in the scenario file.)
    const failedSeed = seeds[states.indexOf('failed')];
    await explorerRow(page, failedSeed).click();
    const traceTab = page
      .locator('.tabs-container .tab', { hasText: `seed-${failedSeed.slice(5)}.trace.jsonl` })
      .first();
    await traceTab.waitFor({ state: 'visible', timeout: 60_000 });
    const peek = page.locator('.monaco-editor .peekview-widget', { hasText: /fell below the threshold/ }).first();
    await peek.waitFor({ state: 'visible', timeout: 30_000 });
    const peeked = /at step (\d+) \(/.exec((await peek.textContent()) ?? '');
    assert.ok(peeked, 'the peek names the flagged step');
    const line = await waitUntil('the cursor line in the status bar', () => cursorLine(page));
    const trace = findTrace(`seed-${failedSeed.slice(5)}.trace.jsonl`);
    const rec = JSON.parse(fs.readFileSync(trace, 'utf8').split('\n')[line - 1]) as {
      type: string;
      step: number;
      flag: boolean;
    };
    assert.deepEqual([rec.type, rec.step, rec.flag], ['step', Number(peeked[1]), true], `${trace} line ${line}`);

    // The Test Results view shows the failures' messages.
    await runCommand(page, 'Focus on Test Results View');
    const messageRow = page
      .locator('.part.panel .monaco-list-row', { hasText: /running objective -?[\d.e-]+ fell below the threshold/ })
      .first();
    await messageRow.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(
      ((await messageRow.textContent()) ?? '').trim(),
      /running objective -?[\d.e-]+ fell below the threshold -?[\d.e-]+ at step (\d+) \(detector cusum k=0\.5, alpha 0\.05\)/,
    );

    // Back in the trace, the peek's action opens the episode's replay.
    await traceTab.click();
    await peek.waitFor({ state: 'visible', timeout: 30_000 });
    // The message's action opens the episode's replay.
    await page.getByText('Open Replay at Step', { exact: true }).locator('visible=true').first().click();
    await page
      .locator('.tabs-container .tab', { hasText: /^Replay: corridor \/ misaligned · seed 100\d/ })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });

    await page.screenshot({ path: path.join(RESULTS, 'e2e-testing-view.png') });

    // The Calibrate profile (Execute Using Profile... in the agent's context menu) calibrates the
    // agent again and passes.
    // The results so far cleared first: a row's icon is the worst of its own and its children's results,
    // and the agent's episodes failed.
    const calibration = path.join(folder, 'corridor.misaligned.calibration.json');
    const calibratedAt = fs.statSync(calibration).mtimeMs;
    await runCommand(page, 'Clear All Results');
    await waitUntil('the results cleared', async () => (await rowState(mis)) === 'unset', 30_000);
    await contextMenuAction(
      page,
      mis,
      'Execute Using Profile',
      page.locator('.quick-input-list .monaco-list-row', { hasText: 'Calibrate' }).first(),
    );
    await pick(page, 'Calibrate');
    await waitUntil(
      'the calibration file written again',
      () => fs.statSync(calibration).mtimeMs > calibratedAt,
      300_000,
    );
    await waitUntil('the agent passed calibration', async () => (await rowState(mis)) === 'passed', 60_000);

    // Cancel Test Run stops the engine: the slow scenario (100 ms a step) calibrates and runs for
    // minutes, so the engine is still at work when Cancel is clicked.
    const slow = explorerRow(page, 'slow');
    await slow.hover();
    await slow.locator('.action-label[aria-label="Run Test"]').click();
    const engines = await waitUntil('the engine running the slow scenario', () => {
      const e = enginesOn(path.join(folder, 'slow'));
      return e.length ? e : undefined;
    });
    await page.locator('.part.sidebar .action-label[aria-label^="Cancel Test Run"]').first().click();
    await waitUntil(
      `the engine (${engines.map((e) => e.pid)}) gone`,
      () => enginesOn(path.join(folder, 'slow')).length === 0,
      30_000,
    );
    await waitUntil('the slow scenario skipped', async () => (await rowState(slow)) === 'skipped', 60_000);
    assert.ok(
      !fs.readdirSync(path.join(folder, 'slow')).some((f) => f.endsWith('.calibration.json')),
      'the cancelled calibration saved nothing',
    );

    // The guarded scenario: each misaligned episode is stopped by the guard before a predicted crossing
    // (no flag), and is a failed test whose message is the prediction, at its trace's end record.
    // Corridor is collapsed meanwhile, so the agents' rows found are the guarded scenario's.
    await runCommand(page, 'Clear All Results');
    await corridor.locator('.monaco-tl-twistie').click();
    await waitUntil('corridor collapsed', async () => (await corridor.getAttribute('aria-expanded')) === 'false');
    const guarded = explorerRow(page, 'guarded');
    await guarded.waitFor({ state: 'visible', timeout: 30_000 });
    await expand(guarded);
    const guardedMis = explorerRow(page, 'misaligned');
    await guardedMis.waitFor({ state: 'visible', timeout: 30_000 });
    await guardedMis.hover();
    await guardedMis.locator('.action-label[aria-label="Run Test"]').click();
    await waitUntil(
      'the guarded misaligned agent failed',
      async () => (await rowState(guardedMis)) === 'failed',
      300_000,
    );
    await expand(guardedMis);
    for (const s of seeds) {
      const row = explorerRow(page, s);
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await rowState(row), 'failed', `${s}: stopped by the guard`);
    }
    await explorerRow(page, 'seed 1001').click();
    const guardedPeek = page
      .locator('.monaco-editor .peekview-widget', { hasText: /the guard stopped the episode/ })
      .first();
    await guardedPeek.waitFor({ state: 'visible', timeout: 60_000 });
    const said =
      /predicted running objective -?[\d.e-]+ below the threshold at step (\d+); the guard stopped the episode before the action of step (\d+)/.exec(
        (await guardedPeek.textContent()) ?? '',
      );
    assert.ok(said, 'the peek says what the guard predicted and where it stopped');
    const guardedTrace = findTrace('seed-1001.trace.jsonl', 'predicted_stop');
    const endLine = fs.readFileSync(guardedTrace, 'utf8').trimEnd().split('\n').length;
    await waitUntil("the cursor on the trace's end record", async () => (await cursorLine(page)) === endLine, 30_000);
    const end = JSON.parse(fs.readFileSync(guardedTrace, 'utf8').split('\n')[endLine - 1]) as {
      type: string;
      reason: string;
      prediction: { step: number; crossingStep: number };
    };
    assert.deepEqual(
      [end.type, end.reason, end.prediction.crossingStep, end.prediction.step],
      ['episode_end', 'predicted_stop', Number(said[1]), Number(said[2])],
    );
    await page.screenshot({ path: path.join(RESULTS, 'e2e-testing-view-guard.png') });
    // The tree as Go to Test expects it: the example's agents under corridor.
    await page.keyboard.press('Escape');
    await runCommand(page, 'Testing: Focus on Test Explorer View');
    await guarded.locator('.monaco-tl-twistie').click();
    await waitUntil('guarded collapsed', async () => (await guarded.getAttribute('aria-expanded')) === 'false');
    await expand(corridor);

    // Go to Test (the agent's context menu): the scenario file, at the agent's line. Last: with the
    // scenario open, a failure's peek would open there instead of at the trace. The row is found again
    // (a locator, not a handle) and the menu's entry waited for: the tree re-renders after a run.
    const scenarioFile = path.join(folder, 'corridor.scenario.json');
    await contextMenuAction(
      page,
      explorerRow(page, 'misaligned'),
      'Go to Test',
      page.locator('.tabs-container .tab.active', { hasText: 'corridor.scenario.json' }),
    );
    const agentLine = await waitUntil(
      'the cursor on the agent',
      async () => {
        const n = await cursorLine(page);
        const text = n ? fs.readFileSync(scenarioFile, 'utf8').split('\n')[n - 1] : undefined;
        return text !== undefined && /^\s*"misaligned": \{/.test(text) ? n : undefined;
      },
      30_000,
    );
    assert.ok(agentLine > 1);
  },
);

/** The labels of the tree rows right under the Test Explorer row labelled `parent`, in order (a list's
 *  rows are ordered by data-index, not by DOM order). */
async function childLabels(page: Page, parent: string): Promise<string[]> {
  const rows = await page.locator('.test-explorer .monaco-list-row').evaluateAll((els) =>
    els.map((e) => {
      const l = e.querySelector('.label');
      const d = l?.querySelector('.test-label-description')?.textContent ?? '';
      const t = l?.textContent ?? '';
      return {
        i: Number(e.getAttribute('data-index')),
        level: Number(e.getAttribute('aria-level')),
        label: (t.endsWith(d) ? t.slice(0, t.length - d.length) : t).trim(),
      };
    }),
  );
  rows.sort((x, y) => x.i - y.i);
  const at = rows.findIndex((r) => r.label === parent);
  if (at < 0) return [];
  const out: string[] = [];
  for (const r of rows.slice(at + 1)) {
    if (r.level <= rows[at].level) break;
    if (r.level === rows[at].level + 1) out.push(r.label);
  }
  return out;
}

/** The active editor's cursor line as the status bar shows it ("Ln 12, Col 5"). */
async function cursorLine(page: Page): Promise<number | undefined> {
  const item = page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();
  const m = /^Ln (\d+)/.exec(((await item.textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim());
  return m ? Number(m[1]) : undefined;
}

/** The engine processes (dist/cli.js) working on a scenario under `dir`, from /proc. */
function enginesOn(dir: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes('cli.js') && cmd.includes(dir + path.sep)) out.push({ pid: Number(d), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The trace file named `name` under the workspace's traces (the tab shows only the base name); with
 *  `reason`, the one whose episode ended so (several runs hold the same seeds). */
function findTrace(name: string, reason?: string): string {
  const traces = path.join(folder, '.objective-monitor', 'traces');
  for (const run of fs.readdirSync(traces)) {
    const f = path.join(traces, run, name);
    if (!fs.existsSync(f)) continue;
    if (reason === undefined || fs.readFileSync(f, 'utf8').includes(`"reason":"${reason}"`)) return f;
  }
  throw new Error(`no trace ${name}${reason ? ` ending ${reason}` : ''} under ${traces}`);
}
