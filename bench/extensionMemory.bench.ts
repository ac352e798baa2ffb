// Extension host memory with a 1M-step trace open in the replay panel, in the real VS Code server
// (code-server's) with headless Chromium as the window. Writes a valid scores-only trace of 1,000,000
// steps (src/core/traceFormat.ts), opens it with "Objective Monitor: Open Trace in Replay" from the
// command palette (file picked in VS Code's own file dialog), and reads the extension host's RSS
// from /proc (the server's child started with --type=extensionHost): before, at its peak, when the
// chart is drawn (the header's "flagged at step" appears in the same frame as the chart), and
// settled. Prints a markdown section. Skips with a message when the VS Code server is not installed
// (scripts/installVscodeServer.sh).
//   node --import tsx bench/extensionMemory.bench.ts   (or node bench/run.mjs extensionMemory)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT,
  SERVER_MAIN,
  checkInstalled,
  extensionHostPid,
  rssBytes,
  startVscode,
  type VscodeSession,
} from '../test/integration/vscodeServer';
import { runCommand, webview } from '../test/e2e/workbench';
import { STEPS, writeMillionStepTrace } from '../test/millionStepTrace';

const MB = 2 ** 20;

/** Waits until the process's RSS moves less than 2 MB over 2 s (at most 30 s): start-up settles. */
async function settledRss(pid: number): Promise<number> {
  const start = Date.now();
  let last = rssBytes(pid);
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const now = rssBytes(pid);
    if (Math.abs(now - last) < 2 * MB || Date.now() - start > 30_000) return now;
    last = now;
  }
}

function vscodeVersion(): string {
  try {
    return (
      JSON.parse(fs.readFileSync(path.join(path.dirname(SERVER_MAIN), '..', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  try {
    checkInstalled();
  } catch (e) {
    console.log(`## Extension host memory with a 1M-step trace open\n\nSkipped: ${(e as Error).message}\n`);
    return;
  }
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-bench-mem-'));
  let session: VscodeSession | undefined;
  try {
    const file = path.join(folder, 'big.trace.jsonl');
    const bytes = writeMillionStepTrace(file);
    session = await startVscode({ folder, label: 'bench-mem' });
    await session.open([['extensionDevelopmentPath', ROOT]]);
    const page = session.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    // Activate the extension (nothing is read yet) so the baseline includes its code.
    await runCommand(page, 'Objective Monitor: Show Output');
    const pid = extensionHostPid(session);
    if (!pid) throw new Error('no extension host process (--type=extensionHost) under the server');
    const before = await settledRss(pid);

    await runCommand(page, 'Objective Monitor: Open Trace in Replay');
    // No runs yet, so the command asks with VS Code's file dialog (a quick input holding a path).
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    let peak = rssBytes(pid);
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssBytes(pid));
      } catch {
        /* exiting */
      }
    }, 50);
    const t0 = Date.now();
    await row.click(); // picking the file accepts the dialog
    try {
      await webview(page)
        .locator('.h-flag', { hasText: /flagged at step 900,?000/ })
        .waitFor({ state: 'visible', timeout: 120_000 });
    } catch (e) {
      await page.screenshot({ path: path.join(ROOT, 'test-results', 'bench-memory-failed.png') });
      const log = fs
        .readdirSync(path.join(session.dir, 'logs'), { recursive: true })
        .map(String)
        .find((x) => x.endsWith('Objective Monitor.log'));
      if (log) console.error(fs.readFileSync(path.join(session.dir, 'logs', log), 'utf8').slice(-3000));
      throw e;
    }
    const drawnMs = Date.now() - t0;
    const atDrawn = rssBytes(pid);
    const settled = await settledRss(pid);
    clearInterval(sampler);
    peak = Math.max(peak, atDrawn, settled);

    const f = (b: number) => `${(b / MB).toFixed(0)} MB`;
    const g = (b: number) => `${b >= before ? '+' : ''}${((b - before) / MB).toFixed(0)} MB`;
    console.log(
      [
        '## Extension host memory with a 1M-step trace open',
        '',
        `The real VS Code server (VS Code ${vscodeVersion()} from code-server) with headless Chromium; a scores-only trace of ${STEPS.toLocaleString('en')} steps`,
        `(${(bytes / MB).toFixed(0)} MB of JSON lines) opened with "Objective Monitor: Open Trace in Replay" from the command palette. RSS of the`,
        'extension host process (found by `--type=extensionHost` under the server, read from `/proc/<pid>/status`).',
        'Time: from picking the file in the dialog to the panel header showing the flagged step, drawn in the same frame as the chart.',
        '',
        '| measure | value | vs before |',
        '| --- | --- | --- |',
        `| extension host RSS before (extension active, no trace) | ${f(before)} | |`,
        `| peak while opening | ${f(peak)} | ${g(peak)} |`,
        `| when the chart is drawn | ${f(atDrawn)} | ${g(atDrawn)} |`,
        `| settled with the panel open | ${f(settled)} | ${g(settled)} |`,
        `| command to chart drawn | ${(drawnMs / 1000).toFixed(1)} s | |`,
        '',
      ].join('\n'),
    );
  } finally {
    await session?.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
