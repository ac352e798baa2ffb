// Opening a 1M-step trace in the replay panel, in the real VS Code server (code-server's) with
// headless Chromium as the window: from picking the file in "Objective Monitor: Open Trace in
// Replay"'s file dialog to (a) the first chart drawn and (b) the whole trace drawn. The first view
// is the trace's first steps, drawn while the rest is read (its header says "reading the trace");
// the whole trace is drawn when the header shows the flagged step (900,000), in the same frame as
// the chart.
//
// Side by side in one run, alternating: this checkout against a baseline extension built from
// another commit (OM_BENCH_BASELINE_REF, default the commit before the streaming open, which read
// the whole file with JSON.parse per line before posting anything). Each open is in a fresh server.
//   node --import tsx bench/replayOpen.bench.ts   (or node bench/run.mjs replayOpen)
import type { Page } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, checkInstalled, startVscode, type VscodeSession } from '../test/integration/vscodeServer';
import { runCommand, webview } from '../test/e2e/workbench';
import { FLAG_AT, STEPS, writeMillionStepTrace } from '../test/millionStepTrace';
import { buildCheckout } from './baselineCheckout';

const BASELINE_REF = process.env.OM_BENCH_BASELINE_REF ?? '2bfda2f';
/** OM_BENCH_BASELINE_REF=none: this checkout only (its phases), no side-by-side */
const WITH_BASELINE = BASELINE_REF !== 'none';
/** opens per extension (OM_BENCH_ROUNDS to change) */
const ROUNDS = Number(process.env.OM_BENCH_ROUNDS ?? 3);
const MB = 2 ** 20;

/** What one open took, in ms from picking the file: the first chart and the whole trace as the user
 *  sees them (the DOM), and each phase on the way (the host's "opened" line in the Objective Monitor
 *  output, the webview's performance marks and resource timing). */
interface Open {
  first: number;
  whole: number;
  phases: Partial<Record<Phase, number>>;
}

/** the phases of an open, in the order they are listed */
const PHASES = [
  ['panel', 'panel created (host)'],
  ['pageSet', 'page HTML set (host)'],
  ['frame', 'webview frame started'],
  ['content', 'page HTML reached the frame'],
  ['worker', "frame's service worker ready"],
  ['page', 'webview page started'],
  ['written', 'page HTML written'],
  ['script', 'main.js loaded'],
  ['scriptStart', 'bundle started'],
  ['readyPosted', 'script ran, ready posted'],
  ['ready', 'ready received (host)'],
  ['firstRead', 'first chunk read (host)'],
  ['firstPosted', 'first view posted (host)'],
  ['firstReceived', 'first view received (webview)'],
  ['firstDrawn', 'first chart drawn (webview)'],
  ['read', 'whole file read (host)'],
  ['posted', 'whole trace posted (host)'],
  ['received', 'whole trace received (webview)'],
  ['drawn', 'whole chart drawn (webview)'],
] as const;
type Phase = (typeof PHASES)[number][0];

const HOST_PHASES: Record<string, Phase> = {
  'page set': 'pageSet',
  'webview ready': 'ready',
  'first chunk read': 'firstRead',
  'first view posted': 'firstPosted',
  'read done': 'read',
  'whole trace posted': 'posted',
};

/** The host's "opened <file>" line: its time (the moment the whole trace was posted) and the ms from
 *  the panel's creation to each phase, as epoch ms. */
function hostPhases(logsDir: string, file: string): Partial<Record<Phase, number>> | null {
  const log = fs
    .readdirSync(logsDir, { recursive: true })
    .map(String)
    .find((x) => x.endsWith('Objective Monitor.log'));
  if (!log) return null;
  const text = fs.readFileSync(path.join(logsDir, log), 'utf8');
  const m = new RegExp(
    `^(\\S+ \\S+) \\[info\\] opened ${path.basename(file).replace(/\./g, '\\.')} \\([^)]*\\): (.*)$`,
    'm',
  ).exec(text);
  if (!m) return null;
  const offsets: Partial<Record<Phase, number>> = {};
  for (const part of m[2].split(', ')) {
    const p = /^(.*) \+(\d+) ms$/.exec(part);
    if (p && HOST_PHASES[p[1]]) offsets[HOST_PHASES[p[1]]] = Number(p[2]);
  }
  // the line is written as the whole trace is posted: that anchors the offsets (local time, ms)
  const loggedAt = new Date(m[1].replace(' ', 'T')).getTime();
  const created = loggedAt - (offsets.posted ?? 0);
  const out: Partial<Record<Phase, number>> = { panel: created };
  for (const [k, v] of Object.entries(offsets)) out[k as Phase] = created + v;
  return out;
}

/** The webview's side, as epoch ms: its frames' start, the bundle's arrival and its marks. */
async function webviewPhases(page: Page): Promise<Partial<Record<Phase, number>>> {
  const out: Partial<Record<Phase, number>> = {};
  for (const f of page.frames()) {
    const got = await f
      .evaluate(() => {
        if (!document.querySelector('.tl-slider')) return null;
        const marks = performance
          .getEntriesByType('mark')
          .map((e) => ({ name: e.name, at: e.startTime, detail: (e as PerformanceMark).detail as unknown }));
        const script = performance
          .getEntriesByType('resource')
          .find((e) => e.name.includes('/dist/webview/main.js')) as PerformanceResourceTiming | undefined;
        return { origin: performance.timeOrigin, marks, script: script?.responseEnd ?? null };
      })
      .catch(() => null);
    if (!got) continue;
    const parent = f.parentFrame();
    // VS Code's webview frame marks its own steps: the page's HTML arrived, its service worker is ready,
    // the HTML written into the page's frame
    const outer = parent
      ? await parent
          .evaluate(() => ({
            origin: performance.timeOrigin,
            marks: performance.getEntriesByType('mark').map((e) => ({ name: e.name, at: e.startTime })),
          }))
          .catch(() => null)
      : null;
    if (outer !== null) {
      out.frame = outer.origin;
      const at = (name: string) => outer.marks.find((m) => m.name === name)?.at;
      for (const [name, phase] of [
        ['webview/index.html/content/started', 'content'],
        ['webview/index.html/content/workerReady', 'worker'],
        ['webview/index.html/content/wroteInnerContent', 'written'],
      ] as const) {
        const t = at(name);
        if (t !== undefined) out[phase] = outer.origin + t;
      }
    }
    out.page = got.origin;
    if (got.script !== null) out.script = got.origin + got.script;
    for (const m of got.marks) {
      const reading = (m.detail as { reading?: boolean } | null)?.reading === true;
      const at = got.origin + m.at;
      if (m.name === 'replay/script-start') out.scriptStart ??= at;
      if (m.name === 'replay/ready-posted') out.readyPosted ??= at;
      if (m.name === 'replay/load-received') {
        if (reading) out.firstReceived ??= at;
        else out.received ??= at;
      }
      if (m.name === 'replay/chart-drawn') {
        if (reading) out.firstDrawn ??= at;
        else out.drawn ??= at;
      }
    }
    return out;
  }
  return out;
}

/** One open in a fresh server. */
async function openOnce(extension: string, folder: string, file: string): Promise<Open> {
  let session: VscodeSession | undefined;
  try {
    session = await startVscode({ folder, label: 'bench-open' });
    await session.open([['extensionDevelopmentPath', extension]]);
    const page = session.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 300_000 });
    await runCommand(page, 'Objective Monitor: Show Output'); // activates the extension: not timed
    await runCommand(page, 'Objective Monitor: Open Trace in Replay');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    const view = webview(page);
    // the header writes the step as a plain integer (900000)
    const whole = view.locator('.h-flag', { hasText: new RegExp(`flagged at step ${FLAG_AT}\\b`) });
    const early = view.locator('.header-note', { hasText: 'reading the trace' });
    // The pick is the moment the click reached the workbench (the event's own time stamp), not the
    // call: Playwright's click first waits for the row to hold still over two animation frames and
    // checks what is under the pointer, 50-190 ms here depending on how busy the workbench's frames
    // are, none of which a user's click waits for. Input the page was too busy to take still counts:
    // the time stamp is when the browser received the input.
    // (a string: the bench runs under tsx, whose helpers are not defined in the page)
    await page.evaluate(`{
      delete window.omPickAt;
      document.addEventListener('mousedown', (e) => { window.omPickAt ??= performance.timeOrigin + e.timeStamp; },
        { capture: true, once: true });
    }`);
    const called = Date.now();
    await row.click();
    const t0 = await page.evaluate(() => (window as unknown as { omPickAt?: number }).omPickAt ?? null);
    if (t0 === null) throw new Error('the click on the file row never reached the workbench');
    if (t0 < called - 50)
      throw new Error(`the pick's time stamp (${t0}) is before the click was asked for (${called})`);
    await early.or(whole).first().waitFor({ state: 'visible', timeout: 600_000 });
    const first = Date.now() - t0;
    await whole.waitFor({ state: 'visible', timeout: 600_000 });
    const wholeMs = Date.now() - t0;
    // phases: the host's line (the baseline writes none) and the webview's marks, from the pick
    const logs = path.join(session.dir, 'logs');
    let host: Partial<Record<Phase, number>> | null = null;
    for (let i = 0; i < 50 && !host; i++) {
      host = hostPhases(logs, file);
      if (!host) await page.waitForTimeout(100); // the output's file is written a little after the line
    }
    const all = { ...(host ?? {}), ...(await webviewPhases(page)) };
    const phases: Partial<Record<Phase, number>> = {};
    for (const [k, v] of Object.entries(all)) phases[k as Phase] = Math.round(v - t0);
    return { first, whole: wholeMs, phases };
  } catch (e) {
    // what the extension said, to see why
    const logs = session && path.join(session.dir, 'logs');
    const log =
      logs &&
      fs
        .readdirSync(logs, { recursive: true })
        .map(String)
        .find((x) => x.endsWith('Objective Monitor.log'));
    if (logs && log) console.error(fs.readFileSync(path.join(logs, log), 'utf8').slice(-3000));
    throw e;
  } finally {
    await session?.close();
  }
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The phase table: per phase, the median ms from the pick over the runs that saw it, and each run's. */
function phaseTable(runs: Open[]): string[] {
  const rows = ['| phase (ms from the file picked) | median | runs |', '| --- | --- | --- |'];
  for (const [key, label] of PHASES) {
    const got = runs.map((r) => r.phases[key]).filter((v): v is number => v !== undefined);
    if (!got.length) continue;
    rows.push(`| ${label} | ${Math.round(median(got))} | ${got.map(Math.round).join(', ')} |`);
  }
  return rows;
}

async function main(): Promise<void> {
  try {
    checkInstalled();
  } catch (e) {
    console.log(`## Opening a 1M-step trace\n\nSkipped: ${(e as Error).message}\n`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'om-bench-open-'));
  try {
    const folder = path.join(tmp, 'ws');
    fs.mkdirSync(folder);
    const file = path.join(folder, 'big.trace.jsonl');
    const bytes = writeMillionStepTrace(file);
    const baseline = path.join(tmp, 'baseline');
    if (WITH_BASELINE) {
      fs.mkdirSync(baseline);
      buildCheckout(ROOT, BASELINE_REF, baseline);
    }
    const runs = { now: [] as Open[], base: [] as Open[] };
    for (let r = 0; r < ROUNDS; r++) {
      // alternate which goes first, so a drift in the machine's load falls on both
      const order: ('now' | 'base')[] = !WITH_BASELINE ? ['now'] : r % 2 ? ['base', 'now'] : ['now', 'base'];
      for (const which of order) {
        const got = await openOnce(which === 'now' ? ROOT : baseline, folder, file);
        runs[which].push(got);
        process.stderr.write(
          `replayOpen: ${which} first ${got.first} ms, whole ${got.whole} ms; load ${os.loadavg()[0].toFixed(1)}; ${JSON.stringify(got.phases)}\n`,
        );
      }
    }
    const row = (label: string, a: Open[]) =>
      `| ${label} | ${s(median(a.map((x) => x.first)))} | ${s(median(a.map((x) => x.whole)))} | ${a.map((x) => `${s(x.first)} / ${s(x.whole)}`).join('; ')} |`;
    const ratio = (k: 'first' | 'whole') =>
      (median(runs.base.map((x) => x[k])) / median(runs.now.map((x) => x[k]))).toFixed(1);
    console.log(
      [
        '## Opening a 1M-step trace in the replay panel',
        '',
        `The real VS Code server (code-server's) with headless Chromium; a scores-only trace of ${STEPS.toLocaleString('en')} steps (${(bytes / MB).toFixed(0)} MB)`,
        'opened with "Objective Monitor: Open Trace in Replay" (file picked in the dialog); time from the pick (the click\'s time stamp in the workbench) to the first chart drawn and to the whole',
        `trace drawn (header shows the flag at step ${FLAG_AT.toLocaleString('en')}). Median of ${ROUNDS}, each in a fresh server${WITH_BASELINE ? ', alternating with the baseline' : ''}`,
        WITH_BASELINE
          ? `(the extension built from \`${BASELINE_REF}\`: whole file parsed before anything is drawn). Target: first chart under 1 s.`
          : '(no baseline: OM_BENCH_BASELINE_REF=none). Target: first chart under 1 s.',
        `Load average (1 min) at the end: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores.`,
        '',
        '| extension | command -> first chart | command -> whole trace drawn | runs (first / whole) |',
        '| --- | --- | --- | --- |',
        row('this checkout (streaming open)', runs.now),
        ...(WITH_BASELINE
          ? [
              row(`baseline \`${BASELINE_REF}\``, runs.base),
              `| baseline / this checkout | ${ratio('first')}x | ${ratio('whole')}x | |`,
            ]
          : []),
        '',
        'Where the time goes in this checkout (the host\'s "opened" line in the Objective Monitor output and the webview\'s',
        'performance marks, on one clock):',
        '',
        ...phaseTable(runs.now),
        '',
        ...(WITH_BASELINE ? [`The same for the baseline \`${BASELINE_REF}\`:`, '', ...phaseTable(runs.base), ''] : []),
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
