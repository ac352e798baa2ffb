// Tests leave nothing in /tmp: an engine test's folder (tmpDir() in helpers.ts, through
// test/tempDirs.ts) is gone once its process ends, whether its tests passed or failed. Thousands of
// leftover folders had made creating files in /tmp ~15x slower. Needs `node esbuild.mjs` (the engine
// runs the built runner).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tmpDir } from './helpers';

const root = path.resolve(__dirname, '../..');
const helpers = path.join(__dirname, 'helpers.ts');
const engine = path.join(root, 'src/engine/index.ts');

/** Runs one episode the way engine tests do (request() makes its traces folder with tmpDir()) and
 *  prints `OMDIR {dir, trace}`. */
const episode = `
  const { request } = require(${JSON.stringify(helpers)});
  const { runEpisodes } = require(${JSON.stringify(engine)});
  const fs = require('node:fs');
  async function episode() {
    const req = request({ seeds: [1] });
    const r = await runEpisodes(req);
    const trace = r.episodes[0].trace;
    if (!fs.existsSync(trace)) throw new Error('no trace at ' + trace);
    console.log('OMDIR ' + JSON.stringify({ dir: req.tracesDir, trace }));
  }`;

/** Runs node with `args` in the repository, to its end, outside this file's test run (node:test
 *  tells a child it is part of a run through NODE_TEST_CONTEXT, and a child then runs no files). */
async function run(args: string[]): Promise<{ code: number | null; out: string; dir: string; trace: string }> {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const p = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
  const m = /OMDIR (\{.*\})/.exec(out);
  assert.ok(m, `the child printed no folder:\n${out}`);
  return { code, out, ...(JSON.parse(m[1]) as { dir: string; trace: string }) };
}

function assertGone(r: { dir: string; trace: string }): void {
  assert.equal(path.dirname(r.dir), os.tmpdir());
  assert.match(path.basename(r.dir), /^om-engine-test-/);
  assert.ok(r.trace.startsWith(r.dir + path.sep), `the trace ${r.trace} was written in ${r.dir}`);
  assert.equal(fs.existsSync(r.dir), false, `${r.dir} was left behind`);
}

// Three child processes, each mostly waiting on its runner: run side by side.
describe('temp folders of engine tests', { concurrency: true }, () => {
  test('a process that ends normally removes its folder', async () => {
    const r = await run(['-e', `${episode}\nepisode();`]);
    assert.equal(r.code, 0, r.out);
    assertGone(r);
  });

  test('a process that dies of an uncaught error removes its folder too', async () => {
    const r = await run(['-e', `${episode}\nepisode().then(() => { throw new Error('a failing test'); });`]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /a failing test/);
    assertGone(r);
  });

  test('a node:test file with a passing and a failing test, run as test/run.mjs runs it, removes its folder', async () => {
    const file = path.join(tmpDir(), 'leak.test.ts');
    fs.writeFileSync(
      file,
      `const { test } = require('node:test');\n${episode}\n` +
        `test('writes a trace', () => episode());\n` +
        `test('fails', () => { throw new Error('a failing test'); });\n`,
    );
    const r = await run(['--test', file]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /# pass 1\n# fail 1/);
    assertGone(r);
  });
});
