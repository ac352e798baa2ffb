/// <reference lib="dom" />
// (the functions passed to page.evaluate run in the browser)
// The score chart in headless Chromium: a stopped episode opens zoomed on its flag with the whole
// episode one key (Z) or one button away; the margin is drawn at the cursor and named at the flag;
// many overlays keep the legend short and the x-axis covers the longest of them; the note under
// the chart says what the threshold means for the detector in use. The chart's accessible name
// (the canvas's aria-label) states the shown range, the flag's margin and the legend, and is what
// these tests read; screenshots go to test-results/.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { formatNumber } from '../../webview/format';
import { loadEpisode, openHarness, sendToPanel, viewState, type Harness } from './webviewHarness';

const screenshotDir = path.resolve(__dirname, '../../test-results');
type Gen = {
  __traceGen: {
    columns(
      from: number,
      n: number,
      divergeAt: number,
      prev: number,
      seed: number,
    ): { scores: Float64Array; thresholds: Float64Array; statistics: Float64Array };
    firstFlag(c: unknown): number | null;
  };
};

const chartLabel = (page: Page) =>
  page
    .locator('.chart-canvas')
    .getAttribute('aria-label')
    .then((s) => s ?? '');
async function waitLabel(page: Page, re: RegExp): Promise<string> {
  await page
    .waitForFunction(
      ({ src }) => new RegExp(src).test(document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? ''),
      { src: re.source },
      { timeout: 5000 },
    )
    .catch(async () => assert.match(await chartLabel(page), re));
  return chartLabel(page);
}
/** Painted pixels on the cursor's own canvas (the cursor line, its dot and the margin bracket). */
const cursorPixels = (page: Page) =>
  page.evaluate(() => {
    const c = document.querySelector('.chart-cursor') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });

describe('replay chart (headless Chromium)', { timeout: 120_000 }, () => {
  let h: Harness;
  let page: Page;
  before(async () => {
    h = await openHarness();
    page = h.page;
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    fs.mkdirSync(screenshotDir, { recursive: true });
  });
  after(async () => {
    await h?.close();
  });

  test('a stopped episode opens zoomed on its flag, with room after it; Z and the button show the whole episode and back', async () => {
    // an episode that stopped at its flag: the flag is the last step
    const flagAt = await page.evaluate(() => {
      const g = (window as unknown as Gen).__traceGen;
      return g.firstFlag(g.columns(0, 2000, 600, 0, 21));
    });
    assert.ok(flagAt !== null && flagAt > 600);
    const ep = await loadEpisode(page, {
      n: flagAt + 1,
      divergeAt: 600,
      seed: 21,
      protocol: 'stop',
      end: { reason: 'flagged_stop' },
    });
    const flag = ep.flag!;
    assert.equal(flag, ep.n - 1, 'stopped at the flag');
    const margin = formatNumber(ep.scores[flag] - ep.thresholds[flag]);
    const label = await waitLabel(page, /steps \d+–\d+ shown of 0–/);
    const z = (await viewState(page)).zoom!;
    assert.ok(z, 'opened zoomed');
    assert.ok(z.from > 0 && z.from <= flag - 20, `context before the flag: ${JSON.stringify(z)}`);
    assert.ok(z.to >= flag + 4, `room after the flag, which is not pinned to the right edge: ${JSON.stringify(z)}`);
    assert.ok(z.to - z.from < ep.n / 2, 'the last part of the episode');
    assert.match(
      label,
      new RegExp(
        `steps ${z.from}–${z.to} shown of 0–${ep.n - 1}\\. Flag at step ${flag}, margin ${margin.replace(/[.+-]/g, '\\$&')}\\.`,
      ),
    );
    assert.ok(Number(margin) < 0, 'a flag is below its threshold');
    assert.equal(await page.locator('.tl-zoom').innerText(), 'whole episode');
    await page.screenshot({ path: path.join(screenshotDir, 'replay-chart-stop-zoomed.png') });

    await page.locator('body').press('Z');
    await waitLabel(page, new RegExp(`steps 0–${ep.n - 1} shown`));
    assert.equal((await viewState(page)).zoom, null);
    assert.equal(await page.locator('.tl-zoom').innerText(), 'zoom to flag');
    await page.screenshot({ path: path.join(screenshotDir, 'replay-chart-stop-whole.png') });
    await page.locator('.tl-zoom').click();
    await waitLabel(page, new RegExp(`steps ${z.from}–${z.to} shown`));
    assert.deepEqual((await viewState(page)).zoom, z);
    // Home moves the zoomed view to the start; End brings it back with room after the last step; F shows the flag as first opened
    await page.locator('body').press('Home');
    await waitLabel(page, /steps 0–\d+ shown/);
    await page.locator('body').press('End');
    const end = /steps (\d+)–(\d+) shown/.exec(await waitLabel(page, /steps [1-9]\d*–\d+ shown/))!;
    assert.ok(Number(end[2]) > ep.n - 1, `the last step is not pinned to the right edge: ${end[0]}`);
    await page.locator('body').press('Home');
    await page.locator('body').press('f');
    await waitLabel(page, new RegExp(`steps ${z.from}–${z.to} shown`));
  });

  test('a live episode that stops at its flag zooms on it when it ends, if the user was following', async () => {
    const ep = await loadEpisode(page, {
      n: 0,
      seed: 31,
      live: true,
      band: false,
      meta: { episodeId: 'ep-live-stop' },
    });
    await page.evaluate((id) => {
      const w = window as unknown as Gen & { __host: { send(m: unknown): void } };
      w.__host.send({
        method: 'replay/append',
        params: { episodeId: id, steps: w.__traceGen.columns(0, 500, 400, 0, 31), flaggedStep: null },
      });
    }, ep.episodeId);
    await page.waitForFunction(() => (document.querySelector('.tl-slider') as HTMLInputElement).value === '499');
    assert.equal((await viewState(page)).zoom, null, 'live: the whole episode');
    await sendToPanel(page, {
      method: 'replay/end',
      params: {
        episodeId: ep.episodeId,
        end: { reason: 'flagged_stop', steps: 500, score: 1, flaggedStep: 499, durationMs: 10 },
      },
    });
    await waitLabel(page, /Flag at step 499/);
    await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('vscodeState') ?? '{}').zoom !== null);
    const z = (await viewState(page)).zoom!;
    assert.ok(z.from < 499 - 20 && z.to > 499, JSON.stringify(z));
  });

  test('the margin is drawn at the cursor: a bracket and its value, none where there is no threshold', async () => {
    const ep = await loadEpisode(page, { n: 400, divergeAt: 1000, seed: 8, band: false });
    const body = page.locator('body');
    await body.press('Home');
    for (let i = 0; i < 3; i++) await body.press('Shift+ArrowRight');
    const s = 30;
    const label = await waitLabel(page, new RegExp(`Cursor at step ${s}, margin`));
    assert.match(
      label,
      new RegExp(`margin ${formatNumber(ep.scores[s] - ep.thresholds[s]).replace(/[.+-]/g, '\\$&')}\\.$`),
    );
    const withMargin = await cursorPixels(page);
    // the same episode with no threshold at any step (a detector without calibration)
    const nan = new Array(400).fill(NaN);
    await page.evaluate(
      ({ ep, nan }) =>
        (window as unknown as { __host: { send(m: unknown): void } }).__host.send({
          method: 'replay/reflag',
          params: {
            episodeId: ep,
            detector: { kind: 'cusum', k: 0.5 },
            calibration: null,
            thresholds: Float64Array.from(nan),
            statistics: Float64Array.from(nan),
            flaggedStep: null,
          },
        }),
      { ep: ep.episodeId, nan },
    );
    await waitLabel(page, new RegExp(`Cursor at step ${s}, margin —\\.$`));
    await page.waitForFunction(() => /No threshold line/.test(document.querySelector('.chart-note')!.textContent!));
    const without = await cursorPixels(page);
    assert.ok(
      withMargin > without + 150,
      `the bracket and its label paint pixels: ${withMargin} with a threshold, ${without} without`,
    );
  });

  test('many overlays: the legend collapses beyond a few, and the x-axis covers the longest overlaid episode', async () => {
    const ep = await loadEpisode(page, { n: 300, divergeAt: 1000, seed: 4 });
    await page.evaluate((id) => {
      const w = window as unknown as Gen & { __host: { send(m: unknown): void } };
      const overlays = Array.from({ length: 10 }, (_, k) => ({
        episodeId: `ov-${k}`,
        label: `seed ${100 + k}`,
        flaggedStep: null,
        scores: w.__traceGen.columns(0, k === 6 ? 900 : 250 + 20 * k, 2000, 0, 100 + k).scores,
      }));
      w.__host.send({ method: 'replay/overlay', params: { episodeId: id, overlays } });
    }, ep.episodeId);
    const label = await waitLabel(page, /Legend: .*more/);
    assert.match(label, /steps 0–899 shown of 0–899\./, 'the axis reaches the 900-step overlay');
    assert.match(label, /Legend: running objective, threshold, seed 100, seed 101, seed 102, \+7 more, calibration/);
    await page.screenshot({ path: path.join(screenshotDir, 'replay-chart-overlays.png') });
  });

  test('the note under the chart says what the threshold means for each detector', async () => {
    const ep = await loadEpisode(page, { n: 300, seed: 6, meta: { detector: { kind: 'cusum', k: 0.5 } } });
    const note = page.locator('.chart-note');
    await page.waitForFunction(() => /CUSUM/.test(document.querySelector('.chart-note')!.textContent!));
    assert.match(await note.innerText(), /Threshold \(CUSUM k=0\.5\): .*jumps up to meet it as a shortfall builds up/);
    assert.match((await note.getAttribute('title'))!, /C_t = max\(0, C_\{t−1\} − z_t − k\)/);
    const cal = { alpha: 0.05, file: 'x.calibration.json', computedAt: '2025-01-01T00:00:00Z' };
    const reflag = (detector: unknown, calibration: unknown) =>
      sendToPanel(page, {
        method: 'replay/reflag',
        params: {
          episodeId: ep.episodeId,
          detector,
          calibration,
          thresholds: new Float64Array(300),
          statistics: new Float64Array(300),
          flaggedStep: null,
        },
      });
    for (const [detector, re] of [
      [{ kind: 'envelope' }, /Threshold \(envelope, α = 0\.05\): .*false-alarm rate/],
      [{ kind: 'window', window: 20 }, /Threshold \(window 20\): the score 20 steps earlier/],
      [{ kind: 'fixed', threshold: -3 }, /Threshold \(fixed\): the level −3|Threshold \(fixed\): the level -3/],
    ] as const) {
      await reflag(detector, detector.kind === 'fixed' ? null : cal);
      await page.waitForFunction(
        ({ src }) => new RegExp(src).test(document.querySelector('.chart-note')!.textContent!),
        { src: re.source },
      );
    }
    await page.screenshot({ path: path.join(screenshotDir, 'replay-chart-note.png') });
    assert.deepEqual(h.consoleErrors, []);
  });
});
