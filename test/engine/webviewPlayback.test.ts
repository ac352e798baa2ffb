/// <reference lib="dom" />
// (the functions passed to page.evaluate run in the browser)
// Playback keeps the scene and the inspector on the cursor at every speed the panel offers. The
// step details come from the fixture's host (detailHost.js), which answers batches with the latency
// of the real extension host; the panel has to ask ahead of the cursor to keep up. Every frame of
// playback is sampled in the page: the cursor (the slider) and the step the scene shows.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { loadEpisode, openHarness, type Harness } from './webviewHarness';

interface Sample {
  cursor: number;
  shown: number;
  loading: boolean;
}
type W = Window & {
  __detailHost: { start(o: { latencyMs: number; perStepMs: number }): void; stop(): void; served: number };
  __samples: Sample[];
  __sampling: boolean;
};

/** Samples every frame until stopped: the cursor, the scene's step, and whether the inspector waits. */
async function startSampling(page: Page): Promise<void> {
  // a string, not a function: the test's TypeScript loader would wrap a named inner function in a
  // helper the page does not have
  await page.evaluate(`(() => {
    const w = window;
    w.__samples = [];
    w.__sampling = true;
    const slider = document.querySelector('.tl-slider');
    const caption = document.querySelector('.scene-caption');
    const inspector = document.querySelector('.inspector');
    const tick = () => {
      if (!w.__sampling) return;
      const m = /scene at step (\\d+)/.exec(caption.textContent || '');
      w.__samples.push({ cursor: Number(slider.value), shown: m ? Number(m[1]) : -1, loading: /while loading/.test(inspector.textContent || '') });
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
}

async function stopSampling(page: Page): Promise<Sample[]> {
  return page.evaluate(() => {
    const w = window as unknown as W;
    w.__sampling = false;
    return w.__samples;
  });
}

describe('replay playback keeps the scene on the cursor (headless Chromium)', { timeout: 180_000 }, () => {
  let h: Harness;
  let page: Page;
  before(async () => {
    h = await openHarness();
    page = h.page;
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    // the real host: a round trip through the workbench and a read of each step's line
    await page.evaluate(() => (window as unknown as W).__detailHost.start({ latencyMs: 40, perStepMs: 1 }));
  });
  after(async () => {
    await h?.close();
  });

  test("at every offered speed the scene shows the cursor's step, trailing by at most two frames", async () => {
    const n = 20_000;
    await loadEpisode(page, { n, seed: 5, divergeAt: n + 1, band: false });
    const speeds = await page
      .locator('.tl-speed option')
      .evaluateAll((os) => os.map((o) => Number((o as HTMLOptionElement).value)));
    assert.ok(speeds.length >= 6 && speeds.includes(30), `offered speeds: ${speeds}`);
    const body = page.locator('body');
    const report: string[] = [];
    for (const speed of speeds) {
      await page.selectOption('.tl-speed', String(speed));
      await body.press('Home');
      // paused, the panel has fetched the cursor's step (and the first steps playback will land on)
      await page.waitForFunction(
        () => /scene at step 0$/.test(document.querySelector('.scene-caption')!.textContent!),
        undefined,
        { timeout: 10_000 },
      );
      await startSampling(page);
      await body.press('Space');
      await page.waitForFunction(() => document.querySelector('.tl-play')!.textContent === '❚❚');
      // 1.5 s of playback, or until it stops at the last step
      const started = Date.now();
      await page.waitForFunction(
        ({ t0 }) => Date.now() - t0 > 1500 || document.querySelector('.tl-play')!.textContent === '▶',
        { t0: started },
        { timeout: 15_000, polling: 50 },
      );
      const samples = (await stopSampling(page)).filter((s) => s.cursor > 0); // from the first frame that moved
      if ((await page.locator('.tl-play').innerText()) === '❚❚') await body.press('Space');
      // at most two frames behind: the scene shows the step the cursor was on two frames ago, or a later one
      const late = samples.filter(
        (s, i) => s.shown < 0 || s.shown > s.cursor || s.shown < (i >= 2 ? samples[i - 2].cursor : 0),
      );
      const moved = samples.length ? samples[samples.length - 1].cursor : 0;
      report.push(`${speed}/s: ${samples.length} frames, cursor to ${moved}, ${late.length} late`);
      assert.ok(speed < 5 || moved > 0, `${speed}/s: playback moved the cursor`);
      assert.deepEqual(
        late.slice(0, 5),
        [],
        `${speed}/s: the scene fell more than two frames behind the cursor in ${late.length} of ${samples.length} frames`,
      );
    }
    console.log(report.join('\n'));
    assert.deepEqual(h.consoleErrors, []);
  });

  test('the panel asks in batches and keeps a bounded cache', async () => {
    const posted = await page.evaluate(
      () => (window as unknown as { __posted: { method: string; params: { steps?: number[] } }[] }).__posted,
    );
    const batches = posted.filter((m) => m.method === 'replay/requestSteps').map((m) => m.params.steps!);
    assert.ok(batches.length > 0);
    assert.ok(
      batches.every((b) => b.length >= 1 && b.length <= 64),
      'every batch within the protocol cap',
    );
    assert.ok(
      batches.some((b) => b.length > 1),
      'steps are asked for ahead, several at once',
    );
    assert.equal(posted.filter((m) => m.method === 'replay/requestStep').length, 0);
  });
});
