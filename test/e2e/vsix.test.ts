// The packaged extension, as a user gets it: `npm run package` builds the .vsix, which must hold
// only what runs (no sources, no source maps) plus esbuild, which dist/runner.js loads at run time
// to compile TypeScript user modules. The .vsix is installed into the VS Code server with the
// server's own CLI and the server starts WITHOUT extensionDevelopmentPath; then, through the
// command palette, Create Example Scenario writes the TypeScript corridor example and Run Scenario
// runs it (esbuild from the .vsix compiles it) until the replay panel shows the flagged step.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startVscode, type VscodeSession } from '../integration/vscodeServer';
import { pick, runCommand, webview } from './workbench';
import { zipEntries, type ZipEntry } from './zipEntries';

/** A .vsix past this is carrying something it should not (today: about 5 MB, 11 MB of it esbuild). */
const MAX_VSIX_BYTES = 8 * 2 ** 20;
const EXTENSION_ID = 'objective-monitor.objective-monitor';

let tmp = '';
let folder = '';
let vsix = '';
let entries: ZipEntry[] = [];
let session: VscodeSession | undefined;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'om-vsix-'));
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-vsix-ws-'));
  vsix = path.join(tmp, 'objective-monitor.vsix');
  // stdin closed: vsce must not stop to ask anything (repository, license) — it would hang here.
  const r = spawnSync('npm', ['run', 'package', '--', '--out', vsix], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
  assert.equal(r.status, 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
  entries = zipEntries(vsix);
});

after(async () => {
  await session?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(folder, { recursive: true, force: true });
});

test('the .vsix holds only what runs: dist without maps, media, manifest, readme, license, esbuild and its binary', () => {
  const names = entries.map((e) => e.name);
  const bytes = fs.statSync(vsix).size;
  console.log(
    `vsix: ${(bytes / 2 ** 20).toFixed(2)} MB, ${names.length} entries (${names.filter((n) => n.startsWith('extension/')).length} files of the extension)`,
  );
  const allowed = [
    /^\[Content_Types\]\.xml$/,
    /^extension\.vsixmanifest$/,
    /^extension\/package\.json$/,
    /^extension\/readme\.md$/i,
    /^extension\/LICENSE(\.txt)?$/,
    /^extension\/dist\/.+\.(js|json|py|css)$/,
    /^extension\/media\/[^/]+$/,
    /^extension\/media\/walkthrough\/[^/]+\.md$/, // the Get Started walkthrough's pages
    /^extension\/node_modules\/esbuild\/(package\.json|LICENSE\.md|lib\/main\.js)$/,
    /^extension\/node_modules\/@esbuild\/linux-x64\/(package\.json|bin\/esbuild)$/,
  ];
  assert.deepEqual(
    names.filter((n) => !allowed.some((re) => re.test(n))),
    [],
    'entries that do not run',
  );
  assert.deepEqual(
    names.filter((n) => n.endsWith('.map') || n.endsWith('.ts')),
    [],
    'no source maps or sources',
  );
  for (const must of [
    'extension/package.json',
    'extension/dist/extension.js',
    'extension/dist/cli.js',
    'extension/dist/runner.js',
    'extension/dist/server.js',
    'extension/dist/webview/main.js',
    'extension/media/replay.css',
    'extension/media/scenario.schema.json',
    'extension/dist/scenarios/racing/racing.scenario.json',
    'extension/dist/runner/python/runner.py',
    'extension/node_modules/esbuild/lib/main.js',
    'extension/node_modules/@esbuild/linux-x64/bin/esbuild',
  ]) {
    assert.ok(names.includes(must), `${must} is in the .vsix`);
  }
  assert.ok(
    names.some((n) => /^extension\/LICENSE/.test(n)),
    'a LICENSE',
  );
  assert.ok(bytes < MAX_VSIX_BYTES, `${bytes} bytes`);
});

test(
  'installed with the server CLI (no development path), it runs the TypeScript example and the replay shows the flag',
  { timeout: 300_000 },
  async () => {
    session = await startVscode({
      folder,
      label: 'vsix',
      installVsix: [vsix],
      settings: { 'objectiveMonitor.run.episodes': 4 },
    });
    const extDir = path.join(session.dir, 'extensions');
    const installed = fs.readdirSync(extDir).filter((d) => d.startsWith(`${EXTENSION_ID}-`));
    assert.equal(installed.length, 1, `installed: ${fs.readdirSync(extDir).join(', ')}`);
    const installedRoot = path.join(extDir, installed[0]);
    assert.ok(
      fs.statSync(path.join(installedRoot, 'node_modules/@esbuild/linux-x64/bin/esbuild')).mode & 0o100,
      'the esbuild binary stayed executable',
    );

    await session.open();
    const page = session.page;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await session.extensionHostReady(); // start-up first: the commands run only once the extension host is up
    await runCommand(page, 'Objective Monitor: Create Example Scenario');
    // It asks for the folder; the default shown is taken. Wait for the question itself: the palette's
    // own input is the same widget, and an Enter while the palette is still closing answers nothing.
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Create Example Scenario' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.quick-input-widget input').press('Enter');
    await waitForFile(path.join(folder, 'objective-monitor-example', 'corridor.scenario.json'));
    // The command then opens the scenario in an editor, which takes the focus and would close a picker
    // shown before it.
    await page
      .locator('.tabs-container .tab', { hasText: 'corridor.scenario.json' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    await runCommand(page, 'Objective Monitor: Run Scenario');
    await pick(page, 'corridor');
    await pick(page, 'misaligned');

    const flagText = webview(page).locator('.h-flag');
    await flagText.waitFor({ state: 'visible', timeout: 120_000 });
    assert.match((await flagText.textContent()) ?? '', /flagged at step \d+/);

    // The traces: TypeScript modules of the workspace ran (compiled by the packaged esbuild).
    const traces = path.join(folder, '.objective-monitor', 'traces');
    const heads = fs.readdirSync(traces).flatMap((run) =>
      fs.readdirSync(path.join(traces, run)).map((f) => {
        const lines = fs
          .readFileSync(path.join(traces, run, f), 'utf8')
          .trimEnd()
          .split('\n');
        return { head: JSON.parse(lines[0]), end: JSON.parse(lines[lines.length - 1]) };
      }),
    );
    const deployed = heads.filter((t) => t.head.distribution === 'deployment');
    assert.ok(deployed.length >= 1);
    assert.ok(
      deployed.every((t) => t.end.type === 'episode_end' && t.end.reason !== 'crashed'),
      JSON.stringify(deployed.map((t) => t.end)),
    );
    assert.ok(
      deployed.some((t) => t.end.flaggedStep !== null),
      'a flagged episode',
    );
    assert.match(deployed[0].head.environment.module, /environment\.ts$/);

    // The engine that ran was the installed one: the Output channel logs its command line.
    const log = findFile(path.join(session.dir, 'logs'), (f) => /Objective Monitor\.log$/.test(f));
    assert.ok(log, 'the Objective Monitor output log');
    const text = fs.readFileSync(log, 'utf8');
    assert.ok(
      text.includes(path.join(installedRoot, 'dist', 'cli.js')),
      `engine started from ${installedRoot}:\n${text.slice(0, 2000)}`,
    );
    assert.ok(!text.includes(path.join(ROOT, 'dist', 'cli.js')), 'not from the repository');
  },
);

async function waitForFile(file: string): Promise<void> {
  const start = Date.now();
  while (!fs.existsSync(file)) {
    if (Date.now() - start > 30_000) throw new Error(`${file} was not written`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function findFile(dir: string, match: (f: string) => boolean): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const f = findFile(p, match);
      if (f) return f;
    } else if (match(p)) return p;
  }
  return undefined;
}
