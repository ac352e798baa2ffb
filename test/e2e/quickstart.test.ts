// The README's quick start as a user follows it: `bash scripts/open.sh` sets up, builds and starts the
// VS Code server through scripts/startVscodeServer.sh; its last line is the URL to open. In Chromium
// that URL shows VS Code on examples/ with Objective Monitor loaded: the Runs view in the Explorer and
// the extension's commands in the palette. The port (0: any free one) and the server's state folder
// are the test's (OM_PORT, OM_STATE_DIR); OM_USE_SERVER=1 takes the browser path even where desktop
// VS Code is installed. Ctrl-C (SIGINT to the job's process group, as a terminal sends it) stops
// everything. The desktop path is checked too: with `code` on PATH, open.sh hands it the extension and
// examples/ (desktop VS Code cannot run here, so a stand-in `code` records its arguments).
// Screenshot: test-results/e2e-quickstart.png.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM, ROOT, checkInstalled, waitForExtensionHost } from '../integration/vscodeServer';
import { runCommand } from './workbench';

const OPEN = path.join(ROOT, 'scripts', 'open.sh');
const EXAMPLES = path.join(ROOT, 'examples');
const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+$/;

let tmp = '';
let child: ChildProcess | undefined;
let context: BrowserContext | undefined;
const output: string[] = [];

/** The environment of a user's shell, without what the test harness or an outer VS Code may have set. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OM_SETUP_LOG: path.join(tmp, 'setup.log'), ...extra };
  for (const k of ['OM_TRUST', 'OM_VSIX', 'OM_STATE_DIR', 'OM_PORT', 'OM_USE_SERVER']) if (!(k in extra)) delete env[k];
  return env;
}

/** Live (non-zombie) processes whose process group is `pgid`, from /proc. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && Number(pgrp) === pgid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Every file and folder under `dir`, relative, sorted: what the quick start may not change in examples/. */
function listing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs)
      throw new Error(`${what} within ${timeoutMs / 1000} s; output so far:\n${output.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const examplesBefore = listing(EXAMPLES);

before(() => {
  checkInstalled();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'om-quickstart-'));
});

after(async () => {
  await context?.close().catch(() => undefined);
  if (child?.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
});

test(
  'bash scripts/open.sh: its last line is the URL, which opens VS Code on examples/ with Objective Monitor loaded; Ctrl-C stops all of it',
  { timeout: 480_000 },
  async () => {
    const state = path.join(tmp, 'server');
    child = spawn('bash', [OPEN], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: userEnv({ OM_PORT: '0', OM_STATE_DIR: state, OM_USE_SERVER: '1' }),
    });
    let partial = '';
    const onData = (b: Buffer) => {
      const parts = (partial + b.toString()).split('\n');
      partial = parts.pop() ?? '';
      output.push(...parts);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

    // Set-up may build (sources newer than dist/); nothing is installed again.
    const url = await waitFor('open.sh printed a URL', () => output.find((l) => URL_LINE.test(l)), 300_000);
    console.log(`# open.sh said:\n${output.map((l) => `#   ${l}`).join('\n')}`);
    assert.equal(output.at(-1), url, 'the URL is the last line');
    assert.ok(
      !output.some((l) => /Web UI available/.test(l)),
      "the server's own URL (no folder, no extension) is not shown",
    );
    assert.ok(!output.some((l) => /installing|npm ci|apt-get|pip /i.test(l)), 'nothing installed again');
    assert.ok(output.length <= 6, `a few lines to read, not ${output.length}`);
    const u = new URL(url);
    const port = Number(u.port);
    assert.equal(u.searchParams.get('folder'), EXAMPLES);
    const payload = JSON.parse(u.searchParams.get('payload') ?? '[]') as [string, string][];
    assert.deepEqual(
      payload.find(([k]) => k === 'extensionDevelopmentPath'),
      ['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${ROOT}`],
    );

    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url, { waitUntil: 'commit', timeout: 60_000 }); // the workbench's start-up is waited for below
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await waitForExtensionHost(state);

    // The Explorer shows examples/ and, below it, the extension's Runs view.
    await page
      .locator('.explorer-folders-view .monaco-list-row', { hasText: 'corridor' })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await page
      .locator('.pane-header', { hasText: 'Objective Monitor Runs' })
      .waitFor({ state: 'visible', timeout: 30_000 });

    // The palette lists the extension's commands.
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: {
        commands: { command: string; title: string; category: string }[];
        menus: { commandPalette: { command: string }[] };
      };
    };
    const hidden = new Set(manifest.contributes.menus.commandPalette.map((m) => m.command));
    const titles = manifest.contributes.commands
      .filter((c) => !hidden.has(c.command))
      .map((c) => `${c.category}: ${c.title}`);
    assert.ok(titles.length >= 6, titles.join(', '));
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('>Objective Monitor');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    for (const title of titles)
      await rows.filter({ hasText: title }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.keyboard.press('Escape');

    // A command runs: the extension is active, not only listed. Show Output opens its channel.
    await runCommand(page, 'Objective Monitor: Show Output');
    await page.locator('.part.panel', { hasText: 'Objective Monitor' }).waitFor({ state: 'visible', timeout: 30_000 });
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'e2e-quickstart.png') });
    await context.close();
    context = undefined;

    assert.equal(output.at(-1), url, 'still the last line');
    assert.deepEqual(listing(EXAMPLES), examplesBefore, 'examples/ is left as it was');

    // Ctrl-C: the terminal sends SIGINT to the job's process group; nothing of it may stay.
    const pgid = child.pid!;
    assert.ok(groupMembers(pgid).length >= 3, 'the script, the server and its extension host run');
    process.kill(-pgid, 'SIGINT');
    await exited;
    await waitFor(
      'every process of the quick start gone after Ctrl-C',
      () => (groupMembers(pgid).length === 0 ? true : undefined),
      20_000,
    );
  },
);

test('with `code` on PATH, open.sh opens desktop VS Code with the extension on examples/', { timeout: 300_000 }, () => {
  const bin = path.join(tmp, 'bin');
  const argsFile = path.join(tmp, 'code-args');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'code'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\n`, { mode: 0o755 });
  const r = spawnSync('bash', [OPEN], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 280_000,
    env: userEnv({ PATH: `${bin}:${process.env.PATH ?? ''}` }),
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(fs.readFileSync(argsFile, 'utf8').trimEnd().split('\n'), [
    `--extensionDevelopmentPath=${ROOT}`,
    EXAMPLES,
  ]);
  assert.equal(r.stdout.trimEnd().split('\n').at(-1), `opening desktop VS Code with the extension on ${EXAMPLES}`);
});
