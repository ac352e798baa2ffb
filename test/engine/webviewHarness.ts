/// <reference lib="dom" />
// (the functions passed to page.evaluate run in the browser)
// A static harness for the replay panel: the real bundle (webview/main.ts built with the same
// esbuild options as esbuild.mjs) and media/replay.css, served from 127.0.0.1 under the same
// strict CSP as the VS Code panel (sent as a header and a meta tag), with a stub
// acquireVsCodeApi that records what the panel posts. Driven by headless Chromium (playwright-core).

import * as esbuild from 'esbuild';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(root, 'test/fixtures/webview');

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface Harness {
  url: string;
  browser: Browser;
  page: Page;
  consoleErrors: string[];
  close(): Promise<void>;
}

/** Builds the webview bundle into a temp folder (the repository build may be mid-change by others). */
export async function buildBundle(): Promise<string> {
  const out = tempDir('replay-webview-');
  await esbuild.build({
    entryPoints: [path.join(root, 'webview/main.ts')],
    outfile: path.join(out, 'main.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return out;
}

/** The CSP of the real panel, with `origin` standing in for webview.cspSource. */
export function panelCsp(origin: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${origin}`,
    `img-src ${origin}`,
    `font-src ${origin}`,
    `connect-src 'none'`,
  ].join('; ');
}

function serve(bundleDir: string): Promise<{ server: http.Server; origin: string }> {
  const types: Record<string, string> = {
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.html': 'text/html',
    '.map': 'application/json',
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const origin = `http://${req.headers.host}`;
    let file: string | null = null;
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const nonce = crypto.randomBytes(16).toString('base64');
      const csp = panelCsp(origin, nonce);
      const html = fs
        .readFileSync(path.join(fixtures, 'index.html'), 'utf8')
        .replaceAll('{{nonce}}', nonce)
        .replaceAll('{{csp}}', csp)
        .replaceAll('{{origin}}', origin);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': csp,
        'cache-control': 'no-store',
      });
      res.end(html);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (url.pathname.startsWith('/dist/webview/')) file = path.join(bundleDir, path.basename(url.pathname));
    else if (url.pathname === '/media/replay.css') file = path.join(root, 'media/replay.css');
    else if (/^\/[A-Za-z]+\.(js|css)$/.test(url.pathname)) file = path.join(fixtures, url.pathname.slice(1));
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, {
      'content-type': types[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address() as { port: number };
      resolve({ server, origin: `http://127.0.0.1:${a.port}` });
    }),
  );
}

export async function openHarness(viewport = { width: 1100, height: 760 }): Promise<Harness> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const bundleDir = await buildBundle();
  const { server, origin } = await serve(bundleDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport });
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  await page.goto(`${origin}/`);
  return {
    url: `${origin}/`,
    browser,
    page,
    consoleErrors,
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(bundleDir, { recursive: true, force: true });
    },
  };
}

/** Messages the panel posted so far (what the extension host would receive). */
export function posted(page: Page): Promise<{ method: string; params: Record<string, unknown> }[]> {
  return page.evaluate(
    () => (window as unknown as { __posted: { method: string; params: Record<string, unknown> }[] }).__posted,
  );
}

/** What a test knows of an episode it loaded (the typed arrays stay in the page). */
export interface LoadedEpisode {
  episodeId: string;
  n: number;
  flag: number | null;
  scores: number[];
  thresholds: number[];
}

/** Builds a replay/load in the page with the fixture's trace generator (traceGen.js) and sends it. */
export async function loadEpisode(page: Page, opts: Record<string, unknown>): Promise<LoadedEpisode> {
  return page.evaluate((o) => {
    const w = window as unknown as {
      __traceGen: {
        load(o: unknown): {
          params: {
            meta: { episodeId: string };
            flaggedStep: number | null;
            steps: { scores: Float64Array; thresholds: Float64Array };
          };
        };
      };
      __host: { send(m: unknown): void };
    };
    const m = w.__traceGen.load(o);
    w.__host.send(m);
    const p = m.params;
    return {
      episodeId: p.meta.episodeId,
      n: p.steps.scores.length,
      flag: p.flaggedStep,
      scores: Array.from(p.steps.scores),
      thresholds: Array.from(p.steps.thresholds),
    };
  }, opts);
}

/** Posts a message to the panel as the extension host would. */
export async function sendToPanel(page: Page, msg: unknown): Promise<void> {
  await page.evaluate((m) => (window as unknown as { __host: { send(m: unknown): void } }).__host.send(m), msg);
}

/** The panel's view state as it last saved it (setState). */
export async function viewState(
  page: Page,
): Promise<{ step: number; zoom: { from: number; to: number } | null; speed: number }> {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('vscodeState') ?? '{}'));
}
