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
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, checkInstalled, startVscode, type VscodeSession } from '../test/integration/vscodeServer';
import { runCommand, webview } from '../test/e2e/workbench';
import { FLAG_AT, STEPS, writeMillionStepTrace } from '../test/millionStepTrace';

const BASELINE_REF = process.env.OM_BENCH_BASELINE_REF ?? '2bfda2f';
/** opens per extension (OM_BENCH_ROUNDS to change) */
const ROUNDS = Number(process.env.OM_BENCH_ROUNDS ?? 3);
const MB = 2 ** 20;

/** The baseline extension: `ref`'s files (git archive), this checkout's node_modules, built. */
function buildBaseline(dir: string): void {
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${BASELINE_REF}" | tar -x -C "${dir}"`]);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: dir, stdio: 'ignore' });
}

/** One open in a fresh server: ms from picking the file to the first chart and to the whole trace drawn. */
async function openOnce(extension: string, folder: string, file: string): Promise<{ first: number; whole: number }> {
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
    const t0 = Date.now();
    await row.click();
    await early.or(whole).first().waitFor({ state: 'visible', timeout: 600_000 });
    const first = Date.now() - t0;
    await whole.waitFor({ state: 'visible', timeout: 600_000 });
    return { first, whole: Date.now() - t0 };
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
    fs.mkdirSync(baseline);
    buildBaseline(baseline);
    const runs = { now: [] as { first: number; whole: number }[], base: [] as { first: number; whole: number }[] };
    for (let r = 0; r < ROUNDS; r++) {
      // alternate which goes first, so a drift in the machine's load falls on both
      const order: ('now' | 'base')[] = r % 2 ? ['base', 'now'] : ['now', 'base'];
      for (const which of order) {
        const got = await openOnce(which === 'now' ? ROOT : baseline, folder, file);
        runs[which].push(got);
        process.stderr.write(`replayOpen: ${which} first ${got.first} ms, whole ${got.whole} ms\n`);
      }
    }
    const row = (label: string, a: { first: number; whole: number }[]) =>
      `| ${label} | ${s(median(a.map((x) => x.first)))} | ${s(median(a.map((x) => x.whole)))} | ${a.map((x) => `${s(x.first)} / ${s(x.whole)}`).join('; ')} |`;
    const ratio = (k: 'first' | 'whole') =>
      (median(runs.base.map((x) => x[k])) / median(runs.now.map((x) => x[k]))).toFixed(1);
    console.log(
      [
        '## Opening a 1M-step trace in the replay panel',
        '',
        `The real VS Code server (code-server's) with headless Chromium; a scores-only trace of ${STEPS.toLocaleString('en')} steps (${(bytes / MB).toFixed(0)} MB)`,
        'opened with "Objective Monitor: Open Trace in Replay" (file picked in the dialog); time from the pick to the first chart drawn and to the whole',
        `trace drawn (header shows the flag at step ${FLAG_AT.toLocaleString('en')}). Median of ${ROUNDS}, each in a fresh server, alternating with the baseline`,
        `(the extension built from \`${BASELINE_REF}\`: whole file parsed before anything is drawn). Target: first chart under 1 s.`,
        '',
        '| extension | command -> first chart | command -> whole trace drawn | runs (first / whole) |',
        '| --- | --- | --- | --- |',
        row('this checkout (streaming open)', runs.now),
        row(`baseline \`${BASELINE_REF}\``, runs.base),
        `| baseline / this checkout | ${ratio('first')}x | ${ratio('whole')}x | |`,
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
