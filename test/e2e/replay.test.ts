// E2E: a real Chromium drives the real VS Code workbench (the server in code-server) with the
// extension in development mode. F1 -> "Objective Monitor: Run Scenario" -> racing -> misaligned;
// the replay panel shows the flagged step's text; scrubbing to the flag shows it in the inspector.
// Screenshot: test-results/e2e-replay.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { pick, runCommand, webview } from './workbench';

const RESULTS = path.join(ROOT, 'test-results');
let session: VscodeSession | undefined;
let folder = '';

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-e2e-'));
  // Few episodes keep the run short; the built-in racing calibration runs first.
  session = await startVscode({ folder, label: 'e2e', settings: { 'objectiveMonitor.run.episodes': 3 } });
  await session.open([['extensionDevelopmentPath', ROOT]]);
});

after(async () => {
  await session?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

/** The flagged step as the engine recorded it, from the trace files on disk. */
function recordedFlags(): Map<string, number> {
  const out = new Map<string, number>();
  const traces = path.join(folder, '.objective-monitor', 'traces');
  for (const run of fs.existsSync(traces) ? fs.readdirSync(traces) : []) {
    for (const f of fs.readdirSync(path.join(traces, run))) {
      const lines = fs.readFileSync(path.join(traces, run, f), 'utf8').trimEnd().split('\n');
      const head = JSON.parse(lines[0]);
      const end = JSON.parse(lines[lines.length - 1]);
      if (head.distribution === 'deployment' && end.type === 'episode_end' && end.flaggedStep !== null) out.set(head.episodeId, end.flaggedStep);
    }
  }
  return out;
}

test('command palette -> Run Scenario -> racing -> misaligned -> the replay shows and scrubs to the flagged step', { timeout: 240_000 }, async () => {
  const page = session!.page;
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await session!.extensionHostReady(); // start-up first: the commands run only once the extension host is up
  await runCommand(page, 'Objective Monitor: Run Scenario');
  await pick(page, 'racing');
  await pick(page, 'misaligned');

  // The panel header names the flagged step: "flagged at step N: running objective S < threshold H".
  const frame = webview(page);
  const flagText = frame.locator('.h-flag');
  await flagText.waitFor({ state: 'visible', timeout: 120_000 });
  const text = (await flagText.textContent()) ?? '';
  const m = /flagged at step (\d+)/.exec(text);
  assert.ok(m, `header text: ${text}`);
  const shownStep = Number(m[1]);
  const flags = await waitForFlags();
  assert.ok([...flags.values()].includes(shownStep), `step ${shownStep} is a recorded flag (${JSON.stringify([...flags])})`);

  // Scrub: jump to the flag with the timeline's flag button; the inspector marks the flagged step.
  await frame.locator('button.tl-flag').click();
  await frame.locator('.badge-flag').waitFor({ state: 'visible', timeout: 10_000 });
  assert.match((await frame.locator('.tl-step').textContent()) ?? '', new RegExp(`^${shownStep} /`));
  // Step back once and forward again with the keyboard: the badge leaves and returns.
  await frame.locator('.tl-slider').focus();
  await page.keyboard.press('ArrowLeft');
  await frame.locator('.badge-flag').waitFor({ state: 'hidden', timeout: 10_000 });
  await page.keyboard.press('ArrowRight');
  await frame.locator('.badge-flag').waitFor({ state: 'visible', timeout: 10_000 });

  // The host answered the inspector's request for the step's detail (action, observation).
  await frame.locator('.inspector', { hasText: 'observation' }).waitFor({ state: 'visible', timeout: 10_000 });
  await frame.locator('.inspector', { hasText: 'while loading' }).waitFor({ state: 'hidden', timeout: 10_000 });

  // The Runs view lists the run, its scenario and the flagged episodes.
  await page.locator('.pane-header', { hasText: 'Objective Monitor Runs' }).click();
  await page.locator('.monaco-list-row', { hasText: 'racing' }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator('.monaco-list-row', { hasText: 'misaligned · deployment' }).first().click();
  await page.locator('.monaco-list-row', { hasText: `flagged at ${shownStep}` }).first().waitFor({ state: 'visible', timeout: 10_000 });

  fs.mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, 'e2e-replay.png') });
});

async function waitForFlags(): Promise<Map<string, number>> {
  const start = Date.now();
  for (;;) {
    const f = recordedFlags();
    if (f.size > 0) return f;
    if (Date.now() - start > 60_000) throw new Error('no flagged deployment trace on disk');
    await new Promise((r) => setTimeout(r, 200));
  }
}
