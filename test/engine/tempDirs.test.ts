// Tests leave nothing in /tmp: an engine test's folder (tmpDir() in helpers.ts, through
// test/tempDirs.ts) is gone once its process ends, whether it ended normally, with a failure or from
// a signal. Thousands of leftover folders had made creating files in /tmp ~15x slower. Needs
// `node esbuild.mjs` (the engine runs the built runner).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

const helpers = path.join(__dirname, 'helpers.ts');
const engine = path.join(__dirname, '../../src/engine/index.ts');

/** A child that runs one episode the way engine tests do (request() makes its traces folder with
 *  tmpDir()), prints the folder and the trace, then ends as `mode` says. */
function child(mode: 'pass' | 'fail' | 'signal') {
  const code = `
    const { request } = require(${JSON.stringify(helpers)});
    const { runEpisodes } = require(${JSON.stringify(engine)});
    const req = request({ seeds: [1] });
    runEpisodes(req).then((r) => {
      console.log(JSON.stringify({ dir: req.tracesDir, trace: r.episodes[0].trace }));
      if (${JSON.stringify(mode)} === 'fail') throw new Error('a failing test');
      if (${JSON.stringify(mode)} === 'signal') setInterval(() => {}, 60000);
    });`;
  const p = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const printed = new Promise<{ dir: string; trace: string }>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]) as { dir: string; trace: string });
    });
    p.on('exit', () => reject(new Error(`the child printed no folder; stderr:\n${err}`)));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    p.on('exit', (c, s) => resolve({ code: c, signal: s })),
  );
  return { p, printed, exited, stderr: () => err };
}

function assertMadeByTmpDir(dir: string): void {
  assert.equal(path.dirname(dir), os.tmpdir());
  assert.match(path.basename(dir), /^om-engine-test-/);
}

// Three child processes, each mostly waiting on its runner: run side by side.
describe('temp folders of engine tests', { concurrency: true }, () => {
  test('a passing test file: its temp folder is removed when its process exits', async () => {
    const c = child('pass');
    const { dir } = await c.printed;
    assertMadeByTmpDir(dir);
    assert.equal((await c.exited).code, 0, c.stderr());
    assert.equal(fs.existsSync(dir), false, `${dir} was left behind`);
  });

  test('a failing test file (uncaught error): its temp folder is removed too', async () => {
    const c = child('fail');
    const { dir } = await c.printed;
    assertMadeByTmpDir(dir);
    const end = await c.exited;
    assert.equal(end.code, 1);
    assert.match(c.stderr(), /a failing test/);
    assert.equal(fs.existsSync(dir), false, `${dir} was left behind`);
  });

  test('a test file stopped by SIGTERM: the folder, which held the trace, is removed and the process dies of the signal', async () => {
    const c = child('signal');
    const { dir, trace } = await c.printed;
    assertMadeByTmpDir(dir);
    assert.ok(
      fs.existsSync(trace) && trace.startsWith(dir + path.sep),
      `the trace ${trace} is in ${dir} while it runs`,
    );
    c.p.kill('SIGTERM');
    assert.equal((await c.exited).signal, 'SIGTERM');
    assert.equal(fs.existsSync(dir), false, `${dir} was left behind`);
  });
});
