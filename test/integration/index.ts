// The extension host calls run() (extensionTestsPath). It runs every bundled suite file with mocha
// and rejects when a test failed, which the workbench reports through codeAutomationExit(1).
// Suites for the untrusted window are named *.untrusted.test.js; OM_TEST_MODE picks the set.
import fs from 'node:fs';
import path from 'node:path';
import type MochaType from 'mocha';
import { SUITE_MARKER } from './marker';

/** The extension host forwards console output to the workbench together with the workbench's own
 *  logs; a marker as first argument lets the harness print the suite's lines and nothing else.
 *  (The host's `console` properties cannot be replaced, so mocha's own hook is used.) */
function markReporter(Mocha: typeof MochaType): void {
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void };
  base.consoleLog = (...args: unknown[]) => console.log(SUITE_MARKER, ...args);
}

export function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require('mocha') as typeof MochaType;
  markReporter(Mocha);
  const untrusted = process.env.OM_TEST_MODE === 'untrusted';
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  if (process.env.OM_TEST_GREP) mocha.grep(process.env.OM_TEST_GREP);
  const dir = path.join(__dirname, 'suite');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js') && f.endsWith('.untrusted.test.js') === untrusted)
    .sort();
  for (const f of files) mocha.addFile(path.join(dir, f));
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        // A plain closing line that CI reads in any language.
        const stats = runner.stats;
        console.log(
          SUITE_MARKER,
          `integration (${untrusted ? 'untrusted' : 'trusted'}): ${stats?.passes ?? 0} passed, ${failures} failed${stats?.pending ? `, ${stats.pending} skipped` : ''}`,
        );
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
    } catch (e) {
      reject(e);
    }
  });
}
