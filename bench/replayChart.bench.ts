/// <reference lib="dom" />
// Replay panel chart benchmark, in headless Chromium with the real bundle under the panel's CSP:
//  - time from posting `replay/load` to the chart drawn, for 10k, 100k and 1M steps
//    (the columns are built in the page first, so only the message, validation, decimation and
//    chart.js drawing are timed);
//  - time per frame while a live episode grows by 1M steps/s (33 appends per second of ~30k steps).
// Prints a markdown table. Run: node --import tsx bench/replayChart.bench.ts (or node bench/run.mjs replayChart)
// Times on these shared 2-core VMs drift by 2x between runs: compare medians within one run.

import { openHarness } from '../test/engine/webviewHarness';

type Gen = {
  load(o: unknown): { params: { meta: { episodeId: string } } };
  columns(from: number, n: number, div: number, prev: number, seed: number): unknown;
};
type BW = Window & { __host: { send(m: unknown): void }; __traceGen: Gen };

const SIZES = [10_000, 100_000, 1_000_000];
const RUNS = 5;
const LIVE_SECONDS = 2;
const LIVE_RATE = 1_000_000;

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};
const pct = (a: number[], p: number) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));

async function main(): Promise<void> {
  const h = await openHarness({ width: 830, height: 950 });
  const { page } = h;
  await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
  const chartSize = await page.evaluate(() => {
    const c = document.querySelector('.chart-canvas') as HTMLCanvasElement;
    return `${c.clientWidth}x${c.clientHeight}`;
  });
  const version = h.browser.version();
  const rows: string[] = [];

  for (const n of SIZES) {
    const totals: number[] = [],
      inside: number[] = [],
      decim: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const r = await page.evaluate(
        ({ n, run }) =>
          new Promise<{ total: number; inside: number; decimateMs: number }>((resolve) => {
            const w = window as unknown as BW;
            // still running (no end): a finished, flagged episode would open zoomed on its flag, and the
            // load to measure is the whole episode's
            const msg = w.__traceGen.load({
              n,
              seed: 1 + run,
              protocol: 'flag-only',
              live: true,
              meta: { episodeId: `bench-${n}-${run}` },
            });
            let inside = NaN,
              decimateMs = NaN,
              t0 = 0;
            const obs = new PerformanceObserver((list) => {
              for (const e of list.getEntries()) {
                if (e.name === 'replay/load') inside = e.duration;
                if (e.name === 'replay/frame' && !Number.isNaN(inside)) {
                  decimateMs = (e as PerformanceMeasure).detail?.decimateMs ?? NaN;
                  obs.disconnect();
                  resolve({ total: e.startTime + e.duration - t0, inside, decimateMs });
                }
              }
            });
            obs.observe({ entryTypes: ['measure'] });
            t0 = performance.now();
            w.__host.send(msg);
          }),
        { n, run },
      );
      if (run === 0) continue; // warm-up
      totals.push(r.total);
      inside.push(r.inside);
      decim.push(r.decimateMs);
    }
    rows.push(
      `| load ${n.toLocaleString('en')} steps | ${ms(median(totals))} ms | ${ms(median(inside))} ms | ${ms(median(decim))} ms | ${ms(Math.min(...totals))}-${ms(Math.max(...totals))} ms |`,
    );
  }

  // live: 1M steps/s in ~30 Hz batches
  const live = await page.evaluate(
    ({ seconds, rate }) =>
      new Promise<{ frames: number[]; decim: number[]; steps: number; appends: number }>((resolve) => {
        const w = window as unknown as BW;
        const load = w.__traceGen.load({ n: 0, live: true, band: false, meta: { episodeId: 'bench-live' } });
        w.__host.send(load);
        const frames: number[] = [],
          decim: number[] = [];
        const obs = new PerformanceObserver((list) => {
          for (const e of list.getEntries())
            if (e.name === 'replay/frame') {
              frames.push(e.duration);
              decim.push((e as PerformanceMeasure).detail?.decimateMs ?? NaN);
            }
        });
        obs.observe({ entryTypes: ['measure'] });
        const hz = 30,
          batch = Math.round(rate / hz);
        let from = 0,
          appends = 0;
        const start = performance.now();
        const timer = setInterval(() => {
          // keep the rate against wall time even when a tick runs late
          const due = Math.min(Math.round(((performance.now() - start) / 1000) * rate), seconds * rate) - from;
          if (due > 0) {
            const c = w.__traceGen.columns(
              from,
              Math.max(due, batch > due ? due : batch),
              Math.floor(rate * seconds * 0.6),
              0,
              5,
            );
            w.__host.send({
              method: 'replay/append',
              params: { episodeId: 'bench-live', steps: c, flaggedStep: null },
            });
            from += (c as { scores: Float64Array }).scores.length;
            appends++;
          }
          if (from >= seconds * rate) {
            clearInterval(timer);
            requestAnimationFrame(() =>
              requestAnimationFrame(() => {
                obs.disconnect();
                resolve({ frames, decim, steps: from, appends });
              }),
            );
          }
        }, 1000 / hz);
      }),
    { seconds: LIVE_SECONDS, rate: LIVE_RATE },
  );
  const f = live.frames.slice(1);
  rows.push(
    `| live frame, appending 1M steps/s (${live.appends} appends, ${(live.steps / 1e6).toFixed(1)}M steps, ${f.length} frames drawn) | ${ms(median(f))} ms (p95 ${ms(pct(f, 0.95))}) | — | ${ms(median(live.decim.slice(1)))} ms | ${ms(Math.min(...f))}-${ms(Math.max(...f))} ms |`,
  );

  console.log(
    `## Replay panel chart\n\nHeadless Chromium ${version} (software rendering), the real bundle under the panel's CSP, chart ${chartSize} CSS px; median of ${RUNS} after a warm-up.\n`,
  );
  console.log('| case | post -> chart drawn | in the webview (received -> drawn) | of which decimation | range |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
  await h.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
