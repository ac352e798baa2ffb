/// <reference lib="dom" />
// (the functions passed to page.evaluate run in the browser)
// The replay page's first chart in headless Chromium: the page's script draws no chart before it has
// data (an empty chart laid out and drawn while the page starts is time on the way to the first
// chart, docs/performance.md "The page before the chart"), the first load is drawn once, and the chart
// made with that load looks exactly as the same data drawn again later. The first view makes no Intl
// number format (the page's first costs 40-160 ms; webview/tickText.ts writes the ticks instead).
// chart.js's draws are counted from the canvas itself: each one starts by clearing the chart's canvas.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { openHarness, posted, sendToPanel, type Harness } from './webviewHarness';

const screenshotDir = path.resolve(__dirname, '../../test-results');
type W = Window & {
  __chartDraws: number;
  __intl: number;
  __traceGen: { load(o: unknown): { params: Record<string, unknown> } };
  __host: { send(m: unknown): void };
};

/** The 1M-step open's early view in small: a scores-only trace with a fixed threshold, no scene,
 *  its first steps while the rest is read (`reading`), or the whole of it. */
function sendLoad(page: Page, n: number, reading: boolean): Promise<void> {
  return page.evaluate(
    ({ n, reading }) => {
      const w = window as unknown as W;
      const m = w.__traceGen.load({
        n,
        divergeAt: n + 1,
        // the early view has no end yet: only the first steps are read
        live: reading,
        band: false,
        meta: {
          episodeId: 'ep-big',
          recording: 'scores',
          hasScene: false,
          detector: { kind: 'fixed', threshold: -50 },
          calibration: null,
        },
      });
      if (reading) m.params.reading = { bytesRead: 131072, bytes: 134217728 };
      w.__host.send(m);
    },
    { n, reading },
  );
}

/** Two animation frames: a redraw chart.js throttles to the next frame (a resize) has had its turn. */
const twoFrames = (page: Page) =>
  page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

const draws = (page: Page) => page.evaluate(() => (window as unknown as W).__chartDraws);
const chartImage = (page: Page) =>
  page.evaluate(() => (document.querySelector('.chart-canvas') as HTMLCanvasElement).toDataURL());

describe('replay page: the first chart (headless Chromium)', { timeout: 120_000 }, () => {
  let h: Harness;
  let page: Page;
  before(async () => {
    h = await openHarness();
    page = h.page;
    // counted from before the page's own script runs: chart.js clears the chart's canvas on every draw;
    // number formats made through Intl (the first one in a page is slow), directly or by toLocaleString
    await page.addInitScript(() => {
      const w = window as unknown as W;
      w.__chartDraws = 0;
      w.__intl = 0;
      Intl.NumberFormat = new Proxy(Intl.NumberFormat, {
        construct(target, args) {
          w.__intl++;
          return Reflect.construct(target, args);
        },
        apply(target, self, args) {
          w.__intl++;
          return Reflect.apply(target, self, args);
        },
      });
      const toLocale = Number.prototype.toLocaleString;
      Number.prototype.toLocaleString = function (this: number, ...a: []) {
        w.__intl++;
        return toLocale.apply(this, a);
      };
      const clear = CanvasRenderingContext2D.prototype.clearRect;
      CanvasRenderingContext2D.prototype.clearRect = function (...a: [number, number, number, number]) {
        if (this.canvas.classList.contains('chart-canvas')) w.__chartDraws++;
        return clear.apply(this, a);
      };
    });
    await page.reload();
  });
  after(async () => {
    await h?.close();
  });

  test('no chart is drawn before the first load; each load is drawn once, with no Intl number format', async () => {
    await page.waitForFunction(() =>
      (window as unknown as { __posted: { method: string }[] }).__posted.some((m) => m.method === 'replay/ready'),
    );
    assert.equal((await posted(page)).filter((m) => m.method === 'replay/ready').length, 1);
    // the script has run: the chart's canvas is there, not sized or drawn by chart.js
    assert.equal(await draws(page), 0, 'chart draws before any data');
    assert.equal(await page.locator('.chart-canvas').evaluate((c) => (c as HTMLCanvasElement).style.width), '');

    await sendLoad(page, 1040, true);
    await page.locator('.header-note', { hasText: 'reading the trace' }).waitFor({ state: 'visible' });
    await page.waitForFunction(() =>
      /^Running objective, steps 0–1039 shown of 0–1039\./.test(
        document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? '',
      ),
    );
    await twoFrames(page);
    assert.equal(await draws(page), 1, 'draws of the first view');
    assert.equal(await page.evaluate(() => (window as unknown as W).__intl), 0, 'Intl number formats made');
    const painted = await page.locator('.chart-canvas').evaluate((c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n / (cv.width * cv.height);
    });
    assert.ok(painted > 0.01, `chart painted: ${painted}`);
    fs.mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, 'webview-first-draw.png') });

    // the whole trace replaces the early view: one more draw
    await sendLoad(page, 5000, false);
    await page.locator('.header-note', { hasText: 'reading the trace' }).waitFor({ state: 'detached' });
    await page.waitForFunction(() =>
      /^Running objective, steps 0–4999 shown/.test(
        document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? '',
      ),
    );
    await twoFrames(page);
    assert.equal(await draws(page), 2, 'draws after the whole load');
  });

  test('the chart made with its first data looks as the same data drawn again', async () => {
    await page.reload();
    await sendLoad(page, 1040, true);
    await page.waitForFunction(() =>
      /^Running objective, steps 0–1039 shown/.test(
        document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? '',
      ),
    );
    await twoFrames(page);
    const made = await chartImage(page);
    const before = await draws(page);
    // an empty overlay set redraws the same chart through chart.js's update (colours, fonts, axes)
    await sendToPanel(page, { method: 'replay/overlay', params: { episodeId: 'ep-big', overlays: [] } });
    await page.waitForFunction((n) => (window as unknown as W).__chartDraws > n, before);
    await twoFrames(page);
    assert.ok(made === (await chartImage(page)), 'the chart as first made differs from the same data redrawn');
  });
});
