// E2E: a real Chromium drives the real VS Code workbench (the server in code-server) with the
// extension in development mode. F1 -> "Objective Monitor: Run Scenario" -> racing -> misaligned;
// the replay panel shows the flagged step's text; scrubbing to the flag shows it in the inspector.
// Every view names a step by its trace index and counts steps as "N steps (0–N-1)"; the stopped
// episode opens zoomed on its flag (Z toggles); the note under the chart explains the threshold;
// playback against the real host keeps the scene on the cursor at 30 steps/s and at the fastest speed.
// Screenshot: test-results/e2e-replay.png (also the README's docs/screenshot-replay.png).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { replayFrame, runScenarioFromPalette, webview } from './workbench';

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
      const lines = fs
        .readFileSync(path.join(traces, run, f), 'utf8')
        .trimEnd()
        .split('\n');
      const head = JSON.parse(lines[0]);
      const end = JSON.parse(lines[lines.length - 1]);
      if (head.distribution === 'deployment' && end.type === 'episode_end' && end.flaggedStep !== null)
        out.set(head.episodeId, end.flaggedStep);
    }
  }
  return out;
}

test(
  'command palette -> Run Scenario -> racing -> misaligned -> the replay shows and scrubs to the flagged step',
  { timeout: 240_000 },
  async () => {
    const page = session!.page;
    await runScenarioFromPalette(session!, 'racing', 'misaligned');

    // The panel header names the flagged step: "flagged at step N: running objective S < threshold H".
    const frame = webview(page);
    const flagText = frame.locator('.h-flag');
    await flagText.waitFor({ state: 'visible', timeout: 120_000 });
    const text = (await flagText.textContent()) ?? '';
    const m = /flagged at step (\d+)/.exec(text);
    assert.ok(m, `header text: ${text}`);
    const shownStep = Number(m[1]);
    const flags = await waitForFlags();
    assert.ok(
      [...flags.values()].includes(shownStep),
      `step ${shownStep} is a recorded flag (${JSON.stringify([...flags])})`,
    );

    // Scrub: jump to the flag with the timeline's flag button; the inspector marks the flagged step.
    await frame.locator('button.tl-flag').click();
    await frame.locator('.badge-flag').waitFor({ state: 'visible', timeout: 10_000 });
    // one step convention: the trace's 0-based index names a step, a count says which indices it covers
    const header = (await frame.locator('.h-reason').textContent()) ?? '';
    const counted = /after (\d+) steps \(0–(\d+)\)/.exec(header);
    assert.ok(counted && Number(counted[2]) === Number(counted[1]) - 1, `header: ${header}`);
    const last = Number(counted[2]);
    assert.equal(await frame.locator('.tl-step').textContent(), `step ${shownStep} · last ${last}`);
    assert.equal(await frame.locator('.inspector-title').textContent(), `step ${shownStep} (of steps 0–${last})`);
    await frame
      .locator('.scene-caption', { hasText: `scene at step ${shownStep}` })
      .waitFor({ state: 'visible', timeout: 10_000 });
    // Step back once and forward again with the keyboard: the badge leaves and returns.
    await frame.locator('.tl-slider').focus();
    await page.keyboard.press('ArrowLeft');
    await frame.locator('.badge-flag').waitFor({ state: 'hidden', timeout: 10_000 });
    await page.keyboard.press('ArrowRight');
    await frame.locator('.badge-flag').waitFor({ state: 'visible', timeout: 10_000 });

    // The host answered the inspector's request for the step's detail (action, observation).
    await frame.locator('.inspector', { hasText: 'observation' }).waitFor({ state: 'visible', timeout: 10_000 });
    await frame.locator('.inspector', { hasText: 'while loading' }).waitFor({ state: 'hidden', timeout: 10_000 });

    // The note under the chart says what the threshold means for this detector.
    const note = (await frame.locator('.chart-note').textContent()) ?? '';
    assert.match(note, /^Threshold \((envelope|window|CUSUM|fixed)/);
    if (/CUSUM/.test(note)) assert.match(note, /jumps up to meet it/);

    // The episode stopped at its flag: the chart opened zoomed on it; Z shows the whole episode and back.
    const zoomBtn = frame.locator('button.tl-zoom');
    await frame.locator('button.tl-zoom', { hasText: 'whole episode' }).waitFor({ state: 'visible', timeout: 10_000 });
    const zoomedLabel = (await frame.locator('.chart-canvas').getAttribute('aria-label')) ?? '';
    const shown = /steps (\d+)–(\d+) shown of 0–(\d+)\. Flag at step (\d+), margin (-\d[\d.e+-]*)/.exec(zoomedLabel);
    assert.ok(shown, `chart label: ${zoomedLabel}`);
    assert.ok(
      Number(shown[1]) > 0 && Number(shown[2]) > shownStep,
      `zoomed on the flag with room after it: ${zoomedLabel}`,
    );
    await page.keyboard.press('z');
    await frame.locator('button.tl-zoom', { hasText: 'zoom to flag' }).waitFor({ state: 'visible', timeout: 10_000 });
    // the whole axis: this episode and any longer one drawn over it (the run's other episodes)
    const whole = /steps 0–(\d+) shown of 0–(\d+)\./.exec(
      (await frame.locator('.chart-canvas').getAttribute('aria-label')) ?? '',
    );
    assert.ok(whole && whole[1] === whole[2] && Number(whole[2]) >= last, `whole episode shown: ${whole?.[0]}`);
    await page.keyboard.press('z');
    await frame.locator('button.tl-zoom', { hasText: 'whole episode' }).waitFor({ state: 'visible', timeout: 10_000 });

    // Playback against the real host: the scene shows the cursor's step, or one at most two frames behind.
    const f = await replayFrame(page);
    const speeds = await frame
      .locator('.tl-speed option')
      .evaluateAll((os) => os.map((o) => Number((o as HTMLOptionElement).value)));
    for (const speed of [30, Math.max(...speeds)]) {
      await frame.locator('.tl-speed').selectOption(String(speed));
      await frame.locator('.tl-slider').focus();
      await page.keyboard.press('Home');
      await frame
        .locator('.scene-caption', { hasText: /^scene at step 0$/ })
        .waitFor({ state: 'visible', timeout: 10_000 });
      await f.evaluate(SAMPLER);
      await page.keyboard.press('Space');
      await frame
        .locator('.tl-play', { hasText: '❚❚' })
        .waitFor({ state: 'attached', timeout: 5_000 })
        .catch(() => undefined);
      const t0 = Date.now();
      await f.waitForFunction(
        (t) => Date.now() - t > 2500 || document.querySelector('.tl-play')!.textContent === '▶',
        t0,
        { timeout: 20_000, polling: 50 },
      );
      if ((await frame.locator('.tl-play').textContent()) === '❚❚') await page.keyboard.press('Space');
      const got = (await f.evaluate(
        '(() => { window.__sampling = false; return { samples: window.__samples, answers: window.__answers }; })()',
      )) as { samples: { cursor: number; shown: number; at: number }[]; answers: string[] };
      const samples = got.samples.filter((x) => x.cursor > 0);
      // at most two frames behind: the scene shows the step the cursor was on two frames ago, or a later one
      const late = samples.filter(
        (x, i) => x.shown < 0 || x.shown > x.cursor || x.shown < (i >= 2 ? samples[i - 2].cursor : 0),
      );
      assert.ok(samples.length > 0, `${speed}/s: playback moved`);
      assert.deepEqual(
        late.slice(0, 5),
        [],
        `${speed}/s: the scene trailed the cursor by more than two frames in ${late.length} of ${samples.length} frames; ` +
          `frames ${samples.map((x) => `${x.at}ms:${x.cursor}/${x.shown}`).join(' ')}; answers ${got.answers.join(' ')}`,
      );
    }

    // Back on the flag, zoomed as first opened (context before it, room after it), for the screenshot.
    await page.keyboard.press('f');
    await frame.locator('.badge-flag').waitFor({ state: 'visible', timeout: 10_000 });
    if ((await zoomBtn.textContent()) === 'zoom to flag') await zoomBtn.click();
    await f.waitForFunction(
      (l) => (document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? '').startsWith(l),
      zoomedLabel.slice(0, zoomedLabel.indexOf('.') + 1),
      { timeout: 10_000 },
    );
    await frame.locator('.inspector', { hasText: 'while loading' }).waitFor({ state: 'hidden', timeout: 10_000 });

    // The Runs view lists the run, its scenario and the flagged episodes.
    await page.locator('.pane-header', { hasText: 'Objective Monitor Runs' }).click();
    await page
      .locator('.monaco-list-row', { hasText: 'racing' })
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
    await page.locator('.monaco-list-row', { hasText: 'misaligned · deployment' }).first().click();
    await page
      .locator('.monaco-list-row', { hasText: `flagged at ${shownStep}` })
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });

    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'e2e-replay.png') });
  },
);

/** Samples every frame of the webview until stopped: the cursor (the slider) and the scene's step.
 *  A string: the test's TypeScript loader would wrap a named inner function in a helper the page lacks. */
const SAMPLER = `(() => {
  window.__samples = [];
  window.__answers = [];
  window.__sampling = true;
  window.__t0 = performance.now();
  if (!window.__listening) {
    window.__listening = true;
    // when the host's answers arrive, for the failure message
    window.addEventListener('message', (e) => {
      const d = e.data;
      if (window.__sampling && d && d.method === 'replay/stepDetails') window.__answers.push(Math.round(performance.now() - window.__t0) + 'ms:' + d.params.details.map((x) => x.step).slice(0, 1) + '+' + d.params.details.length);
    });
  }
  const slider = document.querySelector('.tl-slider');
  const caption = document.querySelector('.scene-caption');
  const tick = () => {
    if (!window.__sampling) return;
    const m = /scene at step (\\d+)/.exec(caption.textContent || '');
    window.__samples.push({ cursor: Number(slider.value), shown: m ? Number(m[1]) : -1, at: Math.round(performance.now() - window.__t0) });
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

async function waitForFlags(): Promise<Map<string, number>> {
  const start = Date.now();
  for (;;) {
    const f = recordedFlags();
    if (f.size > 0) return f;
    if (Date.now() - start > 60_000) throw new Error('no flagged deployment trace on disk');
    await new Promise((r) => setTimeout(r, 200));
  }
}
