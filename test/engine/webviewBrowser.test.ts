/// <reference lib="dom" />
// (the functions passed to page.evaluate run in the browser)
// The replay panel in real headless Chromium, under the panel's strict CSP: handshake, a racing
// episode with its flag, keyboard and mouse scrubbing, the scene canvas, live appends, state across
// a reload, theme switching, and hostile strings in every field (shown verbatim, never executed).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Scene, SceneColor, Shape } from '../../src/core/scene';
import { openHarness, posted, viewState, type Harness } from './webviewHarness';

const screenshotDir = path.resolve(__dirname, '../../test-results');

type Posted = { method: string; params: Record<string, unknown> };
type W = Window & {
  __host: { send(m: unknown): void };
  __traceGen: Record<string, (...a: unknown[]) => unknown>;
  __posted: Posted[];
  __csp: unknown[];
  __xss?: unknown;
  __load?: LoadInfo;
};
interface LoadInfo {
  episodeId: string;
  n: number;
  flag: number | null;
  scores: number[];
  thresholds: number[];
  increments: number[];
}

/** Builds a replay/load in the page (typed arrays stay in the page) and sends it. */
async function load(page: Page, opts: Record<string, unknown>): Promise<LoadInfo> {
  return page.evaluate((o) => {
    const w = window as unknown as W;
    const m = w.__traceGen.load(o) as {
      params: {
        meta: { episodeId: string };
        flaggedStep: number | null;
        steps: { scores: Float64Array; thresholds: Float64Array; increments: Float64Array };
      };
    };
    w.__host.send(m);
    const p = m.params;
    const info = {
      episodeId: p.meta.episodeId,
      n: p.steps.scores.length,
      flag: p.flaggedStep,
      scores: Array.from(p.steps.scores),
      thresholds: Array.from(p.steps.thresholds),
      increments: Array.from(p.steps.increments),
    };
    w.__load = info;
    return info;
  }, opts);
}

async function send(page: Page, msg: unknown): Promise<void> {
  await page.evaluate((m) => (window as unknown as W).__host.send(m), msg);
}

/** Acts as the extension host for step details: answers every batch the panel asks for (each step
 *  with its own detail; `extra` for `step`) until a batch with `step` was answered. */
async function answerRequests(
  page: Page,
  info: LoadInfo,
  step: number,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const msgs = await page.evaluate(() => {
      const w = window as unknown as W & { __answered?: number };
      const from = w.__answered ?? 0;
      w.__answered = w.__posted.length;
      return w.__posted.slice(from);
    });
    let done = false;
    for (const m of msgs) {
      if (m.method !== 'replay/requestSteps') continue;
      const steps = m.params.steps as number[];
      const episodeId = m.params.episodeId as string; // a stale request is answered as asked; the panel drops it
      const details = steps.map((s) => ({ ...detail(info, s, s === step ? extra : {}).params, episodeId }));
      await send(page, { method: 'replay/stepDetails', params: { episodeId, details } });
      if (steps.includes(step) && episodeId === info.episodeId) done = true;
    }
    if (done) return;
    const left = deadline - Date.now();
    assert.ok(left > 0, `the panel did not ask for step ${step}`);
    await page.waitForFunction(
      () => {
        const w = window as unknown as W & { __answered?: number };
        return w.__posted.length > (w.__answered ?? 0);
      },
      undefined,
      { timeout: left },
    );
  }
}

const textOf = (page: Page, sel: string) => page.locator(sel).innerText();
const sliderValue = (page: Page) => page.locator('.tl-slider').inputValue().then(Number);
/** The panel draws in requestAnimationFrame: wait for what the user would see. */
async function expectStep(page: Page, step: number): Promise<void> {
  await page
    .waitForFunction((s) => (document.querySelector('.tl-slider') as HTMLInputElement).value === String(s), step, {
      timeout: 5000,
    })
    .catch(async () => assert.equal(await sliderValue(page), step));
}
async function expectText(page: Page, sel: string, re: RegExp): Promise<void> {
  await page
    .waitForFunction(
      ({ sel, src, flags }) => new RegExp(src, flags).test(document.querySelector(sel)?.textContent ?? ''),
      { sel, src: re.source, flags: re.flags },
      { timeout: 5000 },
    )
    .catch(async () => assert.match(await page.locator(sel).innerText(), re));
}

/** A racing scene: a static oval track and grass, then the car, a minimap grid, an oil spill, a
 *  camera thumbnail and a telemetry text block. Every shape kind of scene.ts appears. */
function racingScene(
  step: number,
  n: number,
  text = `lap ${1 + Math.floor((3 * step) / n)}\nspeed ${(3 + Math.sin(step / 9)).toFixed(2)}`,
  label = 'car',
): Scene {
  const track: number[] = [];
  for (let i = 0; i < 64; i++) {
    const a = (i / 64) * Math.PI * 2;
    track.push(100 + 78 * Math.cos(a), 60 + 40 * Math.sin(a));
  }
  const a = ((3 * step) / n) * Math.PI * 2;
  const drift = step > n * 0.4 ? Math.min((step - n * 0.4) / 10, 16) : 0;
  const cx = 100 + (78 + drift) * Math.cos(a),
    cy = 60 + (40 + drift) * Math.sin(a);
  const cells: (SceneColor | null)[] = [];
  for (let i = 0; i < 24; i++) cells.push(i <= (step * 24) / n ? 'visited' : i % 5 === 0 ? 'hazard' : null);
  const rgb = Buffer.from(
    Array.from(
      { length: 4 * 3 },
      (_, i) =>
        [
          [220, 40, 40],
          [40, 180, 60],
          [50, 90, 230],
        ][i % 3],
    ).flat(),
  ).toString('base64');
  const shapes: Shape[] = [
    { kind: 'rect', x: 0, y: 0, w: 200, h: 120, fill: 'floor', static: true },
    { kind: 'path', points: track, closed: true, stroke: 'track', lineWidth: 14, static: true },
    { kind: 'path', points: track, closed: true, stroke: 'muted', lineWidth: 0.6, static: true },
    { kind: 'circle', x: 150, y: 96, r: 5, fill: 'hazard', label: 'oil spill' },
    {
      kind: 'grid',
      x: 6,
      y: 88,
      cols: 8,
      rows: 3,
      cell: 3.5,
      cells: cells as SceneColor[],
      stroke: 'muted',
      lineWidth: 0.2,
    },
    {
      kind: 'image',
      x: 170,
      y: 6,
      w: 24,
      h: 18,
      cols: 4,
      rows: 3,
      rgb,
      stroke: 'foreground',
      lineWidth: 0.4,
      label: 'camera',
    },
    { kind: 'text', x: 6, y: 6, text, size: 7, mono: true, fill: 'foreground' },
    {
      kind: 'arrow',
      x: cx,
      y: cy,
      angle: a + Math.PI / 2,
      size: 6,
      fill: 'agent',
      stroke: '#ffffff',
      lineWidth: 0.5,
      label,
    },
  ];
  return { width: 200, height: 120, shapes };
}

function detail(info: LoadInfo, step: number, extra: Record<string, unknown> = {}) {
  return {
    method: 'replay/stepDetail',
    params: {
      episodeId: info.episodeId,
      step,
      available: true,
      action: { steer: Number(Math.sin(step / 7).toFixed(3)), throttle: 0.8 },
      observation: { x: 12.5, y: -3.25, speed: 3.2, heading: 1.57, lidar: [4.1, 3.9, 2.2, 8.0, 9.5, 1.1, 0.7, 5.5] },
      info: { lap: 1, offTrack: step > info.n * 0.4, checkpoint: 'C3' },
      reward: info.increments[step],
      terminated: false,
      truncated: false,
      increment: info.increments[step],
      score: info.scores[step],
      threshold: info.thresholds[step],
      statistic: -3.1,
      margin: info.scores[step] - info.thresholds[step],
      scene: racingScene(step, info.n),
      ...extra,
    },
  };
}

/** Pixels of the scene canvas: how many show the agent colour, and how many distinct colours. */
async function scenePixels(page: Page, agent: [number, number, number]) {
  return page.evaluate((agent) => {
    const c = document.querySelector('.scene-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let agentPx = 0,
      painted = 0;
    const colours = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      painted++;
      colours.add(((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4));
      if (Math.abs(d[i] - agent[0]) < 12 && Math.abs(d[i + 1] - agent[1]) < 12 && Math.abs(d[i + 2] - agent[2]) < 12)
        agentPx++;
    }
    return {
      agentPx,
      painted,
      colours: colours.size,
      bg: Array.from(d.slice((c.width * 10 + 10) * 4, (c.width * 10 + 10) * 4 + 3)),
    };
  }, agent);
}

describe('replay panel (headless Chromium, strict CSP)', { timeout: 120_000 }, () => {
  let h: Harness;
  let page: Page;
  before(async () => {
    h = await openHarness();
    page = h.page;
    await page.waitForFunction(() => (window as unknown as W).__posted.length > 0);
  });
  after(async () => {
    await h?.close();
  });

  test('posts replay/ready first, and nothing else before a load', async () => {
    const msgs = await posted(page);
    assert.deepEqual(msgs[0], { method: 'replay/ready', params: { protocol: 2 } });
    assert.equal(msgs.length, 1);
    assert.match(await textOf(page, '.header'), /waiting for a trace/);
  });

  test('a racing episode: flag in the header, F jumps to it, inspector and scene show that step', async () => {
    const info = await load(page, { n: 600, seed: 3 });
    await expectText(page, '.header', /flagged at step/);
    await send(
      page,
      await page.evaluate(() =>
        (window as unknown as W).__traceGen.overlays('ep-3', 600, ['seed 11 (calibration)', 'seed 12 (calibration)']),
      ),
    );
    assert.ok(info.flag !== null && info.flag > 0);
    const flag = info.flag!;
    const header = await page.locator('.h-flag').innerText();
    const m = /^flagged at step (\d+): running objective (-?[\d.e+-]+) < threshold (-?[\d.e+-]+)$/.exec(header);
    assert.ok(m, `header flag text: ${header}`);
    assert.equal(Number(m[1]), flag);
    assert.ok(Math.abs(Number(m[2]) - info.scores[flag]) <= Math.abs(info.scores[flag]) * 1e-3 + 1e-9);
    assert.ok(Math.abs(Number(m[3]) - info.thresholds[flag]) <= Math.abs(info.thresholds[flag]) * 1e-3 + 1e-9);
    await expectText(
      page,
      '.header',
      /racing[\s\S]*agent misaligned[\s\S]*seed 3 \(deployment\)[\s\S]*completed after 600 steps \(0–599\)[\s\S]*α = 0\.05/,
    );

    await page.locator('body').press('Home');
    await expectStep(page, 0);
    await page.locator('body').press('f');
    await expectStep(page, flag);
    await answerRequests(page, info, flag);
    await page.locator('.inspector .json-tree').first().waitFor();
    const ins = await textOf(page, '.inspector');
    assert.match(ins, new RegExp(`step ${flag} \\(of steps 0–599\\)`));
    assert.equal(await textOf(page, '.tl-step'), `step ${flag} · last 599`);
    assert.match(ins, /flagged step/);
    assert.match(ins, /lidar/);
    assert.match(ins, /checkpoint[\s\S]*"C3"/);
    assert.equal(await page.locator('.num-score').innerText(), String(Number(info.scores[flag].toPrecision(4))));
    assert.ok(Number(await page.locator('.num-margin').innerText()) < 0, 'margin is negative at the flag');
    assert.match(await textOf(page, '.scene-caption'), new RegExp(`scene at step ${flag}`));

    const px = await scenePixels(page, [0x37, 0x94, 0xff]);
    assert.ok(px.agentPx > 15, `car drawn in the agent colour: ${JSON.stringify(px)}`);
    assert.ok(px.colours > 6, `scene has several colours: ${px.colours}`);
    fs.mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, 'replay-panel.png') });
  });

  test('keyboard, slider and chart clicks move the cursor; space plays', async () => {
    const info = (await page.evaluate(() => (window as unknown as W).__load))!;
    const body = page.locator('body');
    await body.press('End');
    await expectStep(page, info.n - 1);
    await body.press('ArrowLeft');
    await body.press('ArrowLeft');
    await expectStep(page, info.n - 3);
    await body.press('Shift+ArrowLeft');
    await expectStep(page, info.n - 13);
    await body.press('Home');
    await body.press('ArrowLeft');
    await expectStep(page, 0);

    // the finished, flagged episode opened zoomed on its flag; Z shows the whole episode
    assert.equal(await page.locator('.tl-zoom').innerText(), 'whole episode');
    await body.press('z');
    await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('vscodeState') ?? '{}').zoom === null);
    assert.equal(await page.locator('.tl-zoom').innerText(), 'zoom to flag');
    // a click in the middle of the plot lands near the middle step
    const box = (await page.locator('.chart-canvas').boundingBox())!;
    assert.ok(box.width > 200);
    await page.mouse.click(box.x + box.width * 0.55, box.y + box.height * 0.5);
    await page.waitForFunction(() => (document.querySelector('.tl-slider') as HTMLInputElement).value !== '0');
    const clicked = await sliderValue(page);
    assert.ok(clicked > info.n * 0.35 && clicked < info.n * 0.7, `clicked step ${clicked}`);

    // wheel zooms around the pointer (kept in the view state); double-click shows all steps again
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -100);
    await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('vscodeState') ?? '{}').zoom !== null);
    const zoom = await page.evaluate(
      () => JSON.parse(sessionStorage.getItem('vscodeState')!).zoom as { from: number; to: number },
    );
    assert.ok(zoom.to - zoom.from < info.n * 0.6 && zoom.from > 0, `zoomed to ${JSON.stringify(zoom)}`);
    assert.equal(await page.locator('.tl-zoom').isVisible(), true);
    await page.mouse.dblclick(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('vscodeState') ?? '{}').zoom === null);

    await body.press('Home');
    // Slow enough that the pause lands long before the end: at 600 steps/s a loaded machine's key press
    // came after the last step, and Space then started the playback over.
    await page.selectOption('.tl-speed', '30');
    await body.press('Space');
    await page.waitForFunction(() => Number((document.querySelector('.tl-slider') as HTMLInputElement).value) > 2);
    await body.press('Space');
    const paused = await sliderValue(page);
    await page.waitForFunction(
      () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))),
    );
    await expectStep(page, paused);
  });

  test('live: appended steps draw, malformed messages are ignored, the end shows its reason', async () => {
    const info = await load(page, { n: 0, seed: 7, live: true, band: false, meta: { hasScene: false } });
    await expectText(page, '.header', /live · 0 steps/);
    assert.equal(await textOf(page, '.tl-step'), 'no steps');
    assert.equal(await page.locator('.scene-wrap').isVisible(), false, 'no scene: the inspector alone');
    for (let i = 0; i < 10; i++) {
      await page.evaluate(
        ({ i, ep }) => {
          const w = window as unknown as W;
          const c = w.__traceGen.columns(i * 100, 100, 400, 0, 7);
          w.__host.send({ method: 'replay/append', params: { episodeId: ep, steps: c, flaggedStep: null } });
        },
        { i, ep: info.episodeId },
      );
    }
    await page.waitForFunction(() =>
      /live · 1000 steps \(0–999\)/.test(document.querySelector('.header')!.textContent!),
    );
    await expectStep(page, 999);
    // malformed: plain arrays instead of Float64Array; columns of different lengths; a gap; another episode
    await page.evaluate((ep) => {
      const w = window as unknown as W;
      const c = w.__traceGen.columns(1000, 5, 0, 0, 7) as Record<string, unknown>;
      w.__host.send({
        method: 'replay/append',
        params: { episodeId: ep, steps: { ...c, scores: [1, 2, 3, 4, 5] }, flaggedStep: null },
      });
      w.__host.send({
        method: 'replay/append',
        params: { episodeId: ep, steps: { ...c, thresholds: new Float64Array(4) }, flaggedStep: null },
      });
      w.__host.send({
        method: 'replay/append',
        params: { episodeId: ep, steps: w.__traceGen.columns(2000, 5, 0, 0, 7), flaggedStep: null },
      });
      w.__host.send({ method: 'replay/append', params: { episodeId: 'another', steps: c, flaggedStep: null } });
      w.__host.send({ method: 'replay/load', params: { meta: { scenario: 'broken' } } });
      w.__host.send('replay/load');
      w.__host.send(null);
    }, info.episodeId);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.match(await textOf(page, '.header'), /live · 1000 steps/);
    assert.doesNotMatch(await textOf(page, '.header'), /broken/);
    await send(page, {
      method: 'replay/end',
      params: {
        episodeId: info.episodeId,
        end: {
          reason: 'step_timeout',
          steps: 1000,
          score: 1,
          flaggedStep: null,
          durationMs: 5000,
          error: { message: 'step 1000 took longer than 2000 ms', phase: 'step' },
        },
      },
    });
    await page.waitForFunction(() =>
      /step timed out after 1000 steps \(0–999\)/.test(document.querySelector('.header')!.textContent!),
    );
    assert.match(await textOf(page, '.header-error'), /step: step 1000 took longer than 2000 ms/);
  });

  test('a predicted stop: the dashed projection ahead, marked apart from a flag, in the legend, summary and header', async () => {
    const info = await load(page, { n: 60, seed: 4 });
    const last = info.scores[59];
    const prediction = {
      step: 60,
      horizon: 3,
      rollouts: 1,
      replay: true,
      fired: true,
      crossingStep: 62,
      predictedScore: last - 500,
      margin: 0,
      increments: [1, -200, -301],
      scores: [last + 1, last - 199, last - 500],
      thresholds: [last - 100, last - 100, last - 100],
    };
    await send(page, {
      method: 'replay/end',
      params: {
        episodeId: info.episodeId,
        end: {
          reason: 'predicted_stop',
          steps: 60,
          score: last,
          flaggedStep: null,
          durationMs: 10,
          prediction,
          guard: { status: 'on', message: 'guard on' },
        },
      },
    });
    await page.waitForFunction(() =>
      /Predicted stop: the guard stopped before step 60/.test(
        document.querySelector('canvas')?.getAttribute('aria-label') ?? '',
      ),
    );
    const label = (await page.locator('canvas').first().getAttribute('aria-label'))!;
    assert.match(label, /below the threshold at step 62 \(the prediction replays the simulator exactly\)/);
    assert.match(label, /Legend: .*prediction \(replays the simulator\)/);
    assert.match(await textOf(page, '.header'), /stopped before the predicted crossing/);
    // a malformed prediction is refused like any bad message: the panel keeps what it had
    await send(page, {
      method: 'replay/end',
      params: {
        episodeId: info.episodeId,
        end: {
          reason: 'predicted_stop',
          steps: 60,
          score: last,
          flaggedStep: null,
          durationMs: 10,
          prediction: { ...prediction, scores: ['x'] },
        },
      },
    });
    assert.match((await page.locator('canvas').first().getAttribute('aria-label'))!, /Predicted stop/);
  });

  test('the view state survives a reload (getState/setState)', async () => {
    await load(page, { n: 600, seed: 3 });
    await page.locator('body').press('Home');
    for (let i = 0; i < 5; i++) await page.locator('body').press('ArrowRight');
    await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('vscodeState') ?? '{}').step === 5);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as W).__posted.some((m) => m.method === 'replay/ready'));
    await load(page, { n: 600, seed: 3 });
    await page.waitForFunction(() => (document.querySelector('.tl-slider') as HTMLInputElement).value === '5');
    // the page tells the host nothing of it: the state lives with the webview (getState/setState)
    assert.equal(
      (await posted(page)).filter((m) => !['replay/ready', 'replay/requestSteps'].includes(m.method)).length,
      0,
    );
  });

  test('a trace still being read: its first steps drawn with a note, then the whole trace opens as a plain load would', async () => {
    // the whole episode loaded at once, under one id ...
    await load(page, { n: 2000, seed: 4, meta: { episodeId: 'open-direct' } });
    await expectText(page, '.header', /flagged at step/);
    const direct = await viewState(page);
    // ... and streamed under another: the first 300 steps while "reading", then the whole load
    const before = await page.evaluate(() => sessionStorage.getItem('vscodeState'));
    await page.evaluate(() => {
      const w = window as unknown as W;
      const whole = w.__traceGen.load({ n: 2000, seed: 4, meta: { episodeId: 'open-streamed' } }) as {
        params: { steps: Record<string, Float64Array | number> } & Record<string, unknown>;
      };
      const p = whole.params;
      const first = Object.fromEntries(
        Object.entries(p.steps).map(([k, v]) => [k, typeof v === 'number' ? v : v.slice(0, 300)]),
      );
      const early = {
        method: 'replay/load',
        params: {
          ...p,
          steps: first,
          flaggedStep: null,
          end: null,
          reading: { bytesRead: 2 ** 20, bytes: 8 * 2 ** 20 },
        },
      };
      w.__host.send(early);
      Object.assign(w, { __whole: whole, __early: early });
    });
    await expectText(page, '.header-note', /reading the trace: 1\.0 of 8\.0 MB so far; showing its first 300 steps/);
    await page.waitForFunction(() => (document.querySelector('.tl-slider') as HTMLInputElement).max === '299');
    // not shown as a live episode: no pulsing dot
    await expectText(page, '.h-reason', /^reading · 300 steps \(0–299\) so far$/);
    assert.equal(await page.locator('.live-dot').count(), 0);
    // the early view saves no view state: the whole load must not restore "step 299 of 300"
    assert.equal(await page.evaluate(() => sessionStorage.getItem('vscodeState')), before);
    // the host posts the early view before the page is ready and again at the ready (the first may be
    // lost): the copy is not loaded again, so the cursor the user moved meanwhile stays where it is
    await page.locator('body').press('Home');
    await expectStep(page, 0);
    const received = () => page.evaluate(() => performance.getEntriesByName('replay/load-received').length);
    const got = await received();
    await page.evaluate(() => {
      const w = window as unknown as W & { __early: unknown };
      w.__host.send(w.__early);
    });
    await page.waitForFunction((n) => performance.getEntriesByName('replay/load-received').length > n, got);
    // two frames: a load would have been drawn by then
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(await sliderValue(page), 0);
    assert.equal(await page.locator('.header-note', { hasText: 'showing its first 300 steps' }).count(), 1);
    await page.evaluate(() => {
      const w = window as unknown as W & { __whole: unknown };
      w.__host.send(w.__whole);
    });
    await expectText(page, '.header', /flagged at step/);
    await page.waitForFunction(() => (document.querySelector('.tl-slider') as HTMLInputElement).max === '1999');
    assert.equal(await page.locator('.header-note', { hasText: 'reading the trace' }).count(), 0);
    const streamed = await viewState(page);
    assert.deepEqual({ step: streamed.step, zoom: streamed.zoom }, { step: direct.step, zoom: direct.zoom });
  });

  test('a theme change re-reads the colours', async () => {
    const info = (await page.evaluate(() => (window as unknown as W).__load))!;
    await page.locator('body').press('f');
    await answerRequests(page, info, info.flag!);
    await page.waitForFunction(
      (f) => document.querySelector('.scene-caption')!.textContent === `scene at step ${f}`,
      info.flag,
    );
    await page.evaluate(() => {
      document.body.classList.replace('vscode-dark', 'vscode-light');
    });
    // the light floor (editorWidget background #f8f8f8) replaces the dark one
    await page.waitForFunction(() => {
      const c = document.querySelector('.scene-canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
      return d[0] > 200 && d[1] > 200 && d[2] > 200;
    });
    await page.screenshot({ path: path.join(screenshotDir, 'replay-panel-light.png') });
    await page.evaluate(() => {
      document.body.classList.replace('vscode-light', 'vscode-dark');
    });
  });

  test('hostile strings in every field are shown verbatim and never run (0 CSP violations)', async () => {
    const xss = [
      '<img src=x onerror="window.__xss=1">',
      '</script><script>window.__xss=2</script>',
      '<svg onload="window.__xss=3"></svg>',
      '"><iframe srcdoc="<script>parent.__xss=4</script>"></iframe>',
    ];
    const info = await load(page, {
      n: 300,
      seed: 9,
      meta: { scenario: xss[0], agent: xss[1], environment: xss[2], episodeId: 'ep-xss' },
      end: { reason: 'crashed', error: { message: xss[1], file: xss[3], line: 1, column: 2, phase: xss[0] } },
    });
    await send(page, {
      method: 'replay/overlay',
      params: {
        episodeId: info.episodeId,
        overlays: [{ episodeId: 'ov-x', label: xss[2], scores: undefined, flaggedStep: null }],
      },
    });
    await page.evaluate(
      ({ ep, label }) => {
        const w = window as unknown as W;
        const o = w.__traceGen.overlays(ep, 300, [label]);
        w.__host.send(o);
      },
      { ep: info.episodeId, label: xss[3] },
    );
    await page.locator('body').press('f');
    await answerRequests(page, info, info.flag!, {
      observation: { [xss[0]]: xss[1], nested: { deeper: [xss[2], xss[3]] } },
      action: xss[3],
      info: { note: xss[0], html: xss[2] },
      scene: racingScene(info.flag!, info.n, xss.join('\n'), xss[0]),
    });
    await page.locator('.inspector .json-tree').first().waitFor();
    const header = await textOf(page, '.header');
    assert.ok(header.includes(xss[0]), 'scenario shown verbatim');
    assert.ok(header.includes(xss[1]), 'agent / error shown verbatim');
    const ins = await page.locator('.inspector').evaluate((e) => e.textContent ?? '');
    for (const s of xss) assert.ok(ins.includes(s), `inspector shows verbatim: ${s}`);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const result = await page.evaluate(() => ({
      xss: (window as unknown as W).__xss,
      csp: (window as unknown as W).__csp,
      imgs: document.querySelectorAll('img, iframe, svg').length,
      scripts: document.querySelectorAll('script').length,
    }));
    assert.equal(result.xss, undefined, 'no payload ran');
    assert.deepEqual(result.csp, [], 'no CSP violation');
    assert.equal(result.imgs, 0, 'no element made from a payload');
    assert.equal(result.scripts, 4, "only the page's own scripts");
    assert.deepEqual(h.consoleErrors, [], 'no console errors');
  });

  test('steps past the longest calibration episode: the chart shades them "beyond training", the header says so', async () => {
    await load(page, {
      n: 300,
      seed: 21,
      divergeAt: 1000,
      trainedSteps: 100,
      calibrationWarnings: ['from step 80 on, fewer than 10 of the 50 fitted calibration episodes were still running'],
    });
    await expectText(page, '.header', /beyond training from step 100: the longest calibration episode had 100 steps/);
    await expectText(page, '.header', /calibration: from step 80 on, fewer than 10 of the 50 fitted/);
    await page.waitForFunction(
      () => document.querySelector('canvas.chart-canvas')?.getAttribute('data-beyond-training') === '100',
    );
    // within training: no shading, no note
    await load(page, { n: 80, seed: 22, divergeAt: 1000, trainedSteps: 100 });
    await page.waitForFunction(
      () => !document.querySelector('canvas.chart-canvas')?.hasAttribute('data-beyond-training'),
    );
    assert.doesNotMatch(await textOf(page, '.header'), /beyond training/);
  });

  test("a scene problem is said in the scene area; the calibration's agent is named when it differs", async () => {
    await load(page, {
      n: 120,
      seed: 23,
      divergeAt: 1000,
      meta: {
        sceneProblem:
          'render() returned number 42; expected a scene { width, height, shapes: [...] } (at reset) (/w/environment.ts)',
        calibration: { alpha: 0.05, file: 'c.json', computedAt: '2025-01-01T00:00:00Z', agent: 'aligned' },
      },
    });
    await expectText(page, '.scene-caption', /^no scene: render\(\) returned number 42; expected a scene/);
    await expectText(page, '.header', /calibrated α = 0\.05 on agent aligned/);
  });
  test('a packed load (scores as the running sum, a repeated threshold, statistics as the scores) shows what the plain load shows', async () => {
    /** the header, the cursor's numbers, the slider and the chart's pixels after a load */
    const view = async (packed: boolean) => {
      await page.evaluate((packed) => {
        const w = window as unknown as W;
        // a fixed threshold: the same level at every step, the statistic is the running objective
        const m = w.__traceGen.load({
          n: 3000,
          seed: 41,
          meta: { episodeId: packed ? 'packed-41' : 'plain-41', detector: { kind: 'fixed', threshold: 400 } },
        }) as {
          params: {
            steps: Record<string, Float64Array>;
            flaggedStep: number | null;
            end: { flaggedStep: number | null };
          };
        };
        const c = m.params.steps;
        c.thresholds.fill(400);
        c.statistics = c.scores.slice();
        let flag: number | null = null;
        for (let i = 0; i < c.scores.length && flag === null; i++) if (c.scores[i] < 400) flag = i;
        m.params.flaggedStep = m.params.end.flaggedStep = flag;
        if (packed)
          m.params.steps = {
            from: c.from,
            increments: c.increments,
            scores: { runningSum: true },
            thresholds: { repeat: Float64Array.of(400) },
            statistics: { sameAs: 'scores' },
          } as unknown as Record<string, Float64Array>;
        w.__host.send(m);
      }, packed);
      // the load is drawn once the view state names its episode (saved in the same frame as the chart)
      await page.waitForFunction(
        (id) => JSON.parse(sessionStorage.getItem('vscodeState') ?? '{}').episodeId === id,
        packed ? 'packed-41' : 'plain-41',
      );
      await expectText(page, '.header', /flagged at step/);
      await page.locator('body').press('f');
      await page.waitForFunction(() =>
        /^step \d+ · last 2999$/.test(document.querySelector('.tl-step')?.textContent ?? ''),
      );
      return page.evaluate(() => ({
        header: document.querySelector('.header')?.textContent,
        step: document.querySelector('.tl-step')?.textContent,
        max: (document.querySelector('.tl-slider') as HTMLInputElement).max,
        numbers: document.querySelector('.inspector')?.textContent,
        chart: (document.querySelector('.chart-canvas') as HTMLCanvasElement).toDataURL(),
      }));
    };
    const plain = await view(false);
    const packed = await view(true);
    assert.match(plain.header ?? '', /flagged at step \d+: running objective/);
    assert.equal(packed.max, '2999');
    assert.deepEqual(packed, plain);
  });

  test('a live episode loaded again (its reset came late, or its webview reloaded) goes on following it, and opens on its flag once it ended', async () => {
    const ep = 'live-again-51';
    const live = (n: number) => load(page, { n, seed: 51, live: true, meta: { episodeId: ep } });
    await live(300);
    await expectStep(page, 299);
    // loaded again while running, with more steps: on the newest step, still following
    await live(500);
    await expectStep(page, 499);
    await page.evaluate((ep) => {
      const w = window as unknown as W;
      const c = w.__traceGen.columns(500, 100, 200, (w.__load as LoadInfo).scores[499], 51);
      w.__host.send({ method: 'replay/append', params: { episodeId: ep, steps: c, flaggedStep: null } });
    }, ep);
    await expectStep(page, 599);
    // loaded again once it ended, flagged: zoomed on the flag, the cursor on it (as a finished episode opens)
    const info = await load(page, { n: 1000, seed: 51, divergeAt: 200, meta: { episodeId: ep } });
    assert.ok(info.flag !== null);
    await expectStep(page, info.flag!);
    await page.locator('button.tl-zoom', { hasText: 'whole episode' }).waitFor({ state: 'visible', timeout: 5000 });
  });
});
