/// <reference lib="dom" />
// The replay page's own start, from its HTML's arrival to its first chart, in headless Chromium, opened
// the way VS Code's webview frame opens it (its pre/index.html): the HTML read with DOMParser and
// written back with outerHTML, a same-origin empty page loaded, the HTML written into it with
// document.write a turn after that page's DOMContentLoaded, and the host's messages posted at its load.
// The message is the 1M-step open's early view (1,040 scores-only steps, a fixed threshold, `reading`).
// The page is this checkout's (shipped minified bundle and styles inline, src/extension/inlinePage.ts's
// pageHtml) against the same page built from another commit (OM_BENCH_BASELINE_REF, default 8f91d5f, the commit before the page's fourth pass),
// alternating, one fresh page each. Besides the wall clock it reports the page's main-thread CPU time up
// to the first chart (the trace events' thread durations), which other jobs on a shared machine
// inflate far less. Run: node bench/run.mjs replayPageStart
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { pageHtml } from '../src/extension/inlinePage';
import { buildCheckout } from './baselineCheckout';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/engine/webviewHarness';

const ROOT = path.resolve(__dirname, '..');
const BASELINE_REF = process.env.OM_BENCH_BASELINE_REF ?? '8f91d5f';
const ROUNDS = Number(process.env.OM_BENCH_ROUNDS ?? 12);
const NONCE = 'bench-nonce';

/** The page as replayHtml makes it, from a checkout's built bundle and its media/ styles. */
function pageOf(dir: string, origin: string): string {
  const styles = ['replay.css', 'calibration.css', 'curves.css']
    .map((f) => path.join(dir, 'media', f))
    .filter((f) => fs.existsSync(f))
    .map((f) => `<style nonce="${NONCE}">\n${fs.readFileSync(f, 'utf8')}\n</style>`);
  const bundle = fs.readFileSync(path.join(dir, 'dist/webview/main.js'), 'utf8');
  return pageHtml({
    nonce: NONCE,
    cspSource: origin,
    styles,
    script: `<script nonce="${NONCE}">\n${bundle}\n</script>`,
  });
}

/** What VS Code's frame does, in the outer page: `openPage(name)` resolves with the inner page's marks. */
const OUTER = `<!DOCTYPE html><html><head><style>html,body{margin:0;height:100%}</style></head>
<body class="vscode-dark"><script src="/traceGen.js"></script><script>
const api = 'globalThis.acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} });';
window.openPage = async (name) => {
  const text = await (await fetch('/page/' + name)).text();
  const msg = __traceGen.load({ n: 1040, divergeAt: 1e9, live: true, band: false,
    meta: { recording: 'scores', hasScene: false, detector: { kind: 'fixed', threshold: -50 }, calibration: null } });
  msg.params.reading = { bytesRead: 131072, bytes: 134217728 };
  return new Promise((resolve) => {
    performance.mark('outer/start');
    const t0 = performance.now();
    const doc = new DOMParser().parseFromString(text, 'text/html');
    const s = doc.createElement('script');
    s.textContent = api;
    doc.head.prepend(s);
    const html = '<!DOCTYPE html>\\n' + doc.documentElement.outerHTML;
    const frame = document.createElement('iframe');
    frame.src = '/fake.html';
    frame.style.cssText = 'position:absolute;border:0;width:100%;height:100%;visibility:hidden';
    document.body.appendChild(frame);
    frame.contentWindow.addEventListener('DOMContentLoaded', (e) => setTimeout(() => {
      const d = e.target;
      d.open(); d.write(html); d.close();
      frame.contentWindow.addEventListener('load', () => {
        const loaded = performance.now() - t0;
        frame.style.visibility = 'visible';
        frame.contentWindow.postMessage(msg, location.origin);
        const inner = frame.contentWindow.performance;
        const poll = () => {
          if (!inner.getEntriesByName('replay/chart-drawn').length) return setTimeout(poll, 2);
          const off = inner.timeOrigin - performance.timeOrigin - t0;
          const at = (n) => inner.getEntriesByName(n)[0].startTime + off;
          const marks = { scriptStart: at('replay/script-start'), ready: at('replay/ready-posted'), loaded,
            received: at('replay/load-received'), drawn: at('replay/chart-drawn') };
          requestAnimationFrame(() => resolve({ ...marks, shown: performance.now() - t0 }));
        };
        poll();
      });
    }, 0));
  });
};
</script></body></html>`;

interface Start {
  scriptStart: number;
  ready: number;
  loaded: number;
  received: number;
  drawn: number;
  shown: number;
  cpu: number;
}

/** The main thread's own time in top-level tasks from the outer page's start to the first chart's mark. */
function cpuToChart(trace: Buffer): number {
  type Ev = { name: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number };
  const ev = (JSON.parse(trace.toString('utf8')) as { traceEvents: Ev[] }).traceEvents;
  const mark = ev.find((e) => e.name === 'replay/chart-drawn');
  const start = ev.find((e) => e.name === 'outer/start');
  if (!mark || !start) return NaN;
  const tasks = ev
    .filter((e) => e.pid === mark.pid && e.tid === mark.tid && e.ph === 'X' && e.tdur !== undefined)
    .filter((e) => e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask')
    .sort((a, b) => a.ts - b.ts);
  let cpu = 0;
  let end = -1;
  for (const t of tasks) {
    if (t.ts < end) continue; // nested in the task before
    end = t.ts + (t.dur ?? 0);
    if (end >= start.ts && t.ts <= mark.ts) cpu += t.tdur ?? 0;
  }
  return cpu / 1000;
}

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`## The replay page's start\n\nSkipped: ${CHROMIUM} is missing.\n`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'om-bench-page-'));
  try {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'ignore' });
    const base = path.join(tmp, 'baseline');
    fs.mkdirSync(base);
    buildCheckout(ROOT, BASELINE_REF, base);
    const dirs: Record<string, string> = { now: ROOT, base };
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const origin = `http://${req.headers.host}`;
      const send = (type: string, body: string | Buffer) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (url.pathname === '/') return send('text/html', OUTER);
      if (url.pathname === '/fake.html')
        return send('text/html', '<!DOCTYPE html><html><head></head><body></body></html>');
      if (url.pathname === '/traceGen.js')
        return send('text/javascript', fs.readFileSync(path.join(ROOT, 'test/fixtures/webview/traceGen.js')));
      const dir = dirs[url.pathname.replace('/page/', '')];
      if (url.pathname.startsWith('/page/') && dir) return send('text/plain', pageOf(dir, origin));
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const runs: Record<string, Start[]> = { now: [], base: [] };
    try {
      for (let r = 0; r < ROUNDS; r++) {
        for (const name of r % 2 ? ['base', 'now'] : ['now', 'base']) {
          const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
          await page.goto(`${origin}/`);
          await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
          const got = await page.evaluate(
            (n) => (window as unknown as { openPage(n: string): Promise<Omit<Start, 'cpu'>> }).openPage(n),
            name,
          );
          const cpu = cpuToChart(await browser.stopTracing());
          runs[name].push({ ...got, cpu });
          await page.close();
        }
      }
    } finally {
      await browser.close();
      server.close();
    }
    const median = (a: number[]) => {
      const s = [...a].sort((x, y) => x - y);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const rows: [keyof Start, string][] = [
      ['scriptStart', 'bundle started'],
      ['ready', 'script ran, ready posted'],
      ['loaded', "page's load (the first view handed over)"],
      ['received', 'first view received'],
      ['drawn', '**first chart drawn** (mark)'],
      ['shown', 'the next frame after it'],
      ['cpu', "CPU of the page's thread to the mark"],
    ];
    console.log(
      [
        "## The replay page's start",
        '',
        `Headless Chromium, the page opened as VS Code's webview frame opens it, with the 1M-step open's early view; ms from the page's HTML arriving in the frame, median of ${ROUNDS}, alternating with the page built from \`${BASELINE_REF}\`. Load average (1 min) at the end: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores.`,
        '',
        `| phase | this checkout | \`${BASELINE_REF}\` |`,
        '| --- | --- | --- |',
        ...rows.map(
          ([k, label]) =>
            `| ${label} | ${Math.round(median(runs.now.map((x) => x[k])))} | ${Math.round(median(runs.base.map((x) => x[k])))} |`,
        ),
        '',
      ].join('\n'),
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
