// Runs the integration suite (out/test/integration/index.js) inside the extension host of a real
// VS Code server, with a headless Chromium as the window. Exits with the suite's code.
//   node --import tsx test/integration/runInServer.ts [--trust] [--grep PATTERN]
// --trust: start without --disable-workspace-trust (the folder opens in Restricted Mode) and run
// only the suites meant for that (OM_TEST_MODE=untrusted).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, consoleLine, startVscode, type VscodeSession } from './vscodeServer';

const TIMEOUT_MS = Number(process.env.OM_SUITE_TIMEOUT_MS ?? 8 * 60_000);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const trust = argv.includes('--trust');
  const gi = argv.indexOf('--grep');
  const suiteIndex = path.join(ROOT, 'out/test/integration/index.js');
  if (!fs.existsSync(suiteIndex))
    throw new Error(`${suiteIndex} missing: build it with node test/integration/build.mjs`);
  if (!fs.existsSync(path.join(ROOT, 'dist/extension.js')))
    throw new Error('dist/extension.js missing: run node esbuild.mjs');

  // A fresh workspace folder per run, so tests can write into it.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-workspace-'));
  const env: Record<string, string> = { OM_TEST_MODE: trust ? 'untrusted' : 'trusted', OM_TEST_WORKSPACE: folder };
  if (gi >= 0 && argv[gi + 1]) env.OM_TEST_GREP = argv[gi + 1];

  let session: VscodeSession | undefined;
  const cleanup = async () => {
    await session?.close();
    fs.rmSync(folder, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const timer = setTimeout(() => {
    console.error(`integration suite did not finish within ${TIMEOUT_MS / 1000} s; killing VS Code`);
    void cleanup().finally(() => process.exit(124));
  }, TIMEOUT_MS);
  try {
    session = await startVscode({ folder, trust, env, label: trust ? 'untrusted' : 'trusted' });
    let lastConsole = Date.now();
    const pending: Promise<void>[] = [];
    // The whole workbench console goes to a file; the suite's lines (and our extension's errors) to stdout.
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    const logFile = fs.createWriteStream(
      path.join(ROOT, 'test-results', `integration-${trust ? 'untrusted' : 'trusted'}-console.log`),
    );
    session.page.on('console', (msg) => {
      lastConsole = Date.now();
      pending.push(
        consoleLine(msg).then((l) => {
          logFile.write(`${l.suite ? 'SUITE' : l.level} ${l.text}\n`);
          if (l.suite || process.env.OM_VERBOSE || (/ERR/i.test(l.level) && /objective/i.test(l.text)))
            console.log(l.text);
        }),
      );
    });
    session.page.on('pageerror', (e) => {
      if (process.env.OM_VERBOSE) console.log('[pageerror]', e.message);
    });
    await session.open([
      ['extensionDevelopmentPath', ROOT],
      ['extensionTestsPath', suiteIndex],
    ]);
    const code = await session.exitCode;
    // Mocha's last lines may still be in flight as console events: drain until quiet.
    while (Date.now() - lastConsole < 500) await new Promise((r) => setTimeout(r, 100));
    await Promise.all(pending);
    logFile.end();
    return code;
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
