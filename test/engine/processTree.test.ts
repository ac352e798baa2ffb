// The /proc reads behind the memory poll and the kill (processTree.ts): every file is read into one
// reused buffer, so these check what comes out of it against what the kernel shows, including an
// environment larger than the buffer, and the token scan's rule that only processes started since the
// runner can carry its token.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  hasToken,
  killTree,
  readStat,
  rssOf,
  snapshotTree,
  TOKEN_VAR,
  type TreeTarget,
} from '../../src/engine/processTree';
import { alive, tmpDir, waitFor } from './helpers';

/** Starts `sh -c script` detached with `env` (in this key order) and returns the shell's pid and its
 *  first line of output. */
async function shell(script: string, env: Record<string, string>): Promise<{ pid: number; out: string }> {
  const sh = spawn('sh', ['-c', script], { env, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => sh.stdout.once('close', r));
  return { pid: sh.pid!, out: out.trim() };
}

test('a double-forked process with a 100 KiB environment, token last, is found by the token and killed', async (t) => {
  const token = crypto.randomBytes(12).toString('hex');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', BIG: 'x'.repeat(100_000), [TOKEN_VAR]: token };
  // the "runner" is a shell that starts a grandchild in its own session and exits: the grandchild
  // is in neither the runner's group nor its parent chain
  const runnerStart = readStat(process.pid)!.start;
  const { pid: runner, out } = await shell('setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!', env);
  const escaped = Number(out);
  t.after(() => {
    try {
      process.kill(escaped, 'SIGKILL');
    } catch {
      // gone
    }
  });
  assert.ok(fs.readFileSync(`/proc/${escaped}/environ`).length > 100_000);
  assert.ok(hasToken(escaped, token), 'the token at the end of a 100 KiB environment');
  assert.ok(!hasToken(escaped, crypto.randomBytes(12).toString('hex')), 'another token');
  const target: TreeTarget = { pid: runner, pgid: runner, token, start: runnerStart };
  assert.ok(!snapshotTree(target, false).some((p) => p.pid === escaped), 'not a member but for its token');
  assert.ok(
    snapshotTree(target).some((p) => p.pid === escaped),
    'found by its token',
  );
  const report = await killTree(target, 200);
  assert.equal(report.survivors, 0);
  assert.ok(await waitFor(() => !alive(escaped), 2000), `${escaped} still alive after the kill`);
});

test('the token scan passes over processes started before the runner (they cannot have inherited its token)', async (t) => {
  const token = crypto.randomBytes(12).toString('hex');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', [TOKEN_VAR]: token };
  const { out } = await shell('setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!', env);
  const older = Number(out);
  t.after(() => {
    try {
      process.kill(older, 'SIGKILL');
    } catch {
      // gone
    }
  });
  const start = readStat(older)!.start;
  const since = { pid: -1, pgid: -1, token };
  assert.ok(
    snapshotTree(since).some((p) => p.pid === older),
    'found when no start time is known',
  );
  assert.ok(
    snapshotTree({ ...since, start }).some((p) => p.pid === older),
    'found when started the same tick',
  );
  assert.ok(!snapshotTree({ ...since, start: start + 1 }).some((p) => p.pid === older), 'older than the runner');
});

test('stat and resident memory read through the shared buffer match the kernel', async (t) => {
  // a command name with spaces and parentheses: the stat fields start after the last ')'
  const link = path.join(tmpDir(), 'a) b (c');
  fs.symlinkSync(spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim(), link);
  const child = spawn(link, ['1000'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  assert.ok(await waitFor(() => fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').startsWith('a) b (c'), 2000));
  const st = readStat(child.pid!)!;
  assert.equal(st.ppid, process.pid);
  assert.equal(st.pgrp, readStat(process.pid)!.pgrp);
  assert.match(st.state, /^[RSD]$/);
  assert.equal(readStat(2 ** 30), null, 'no such process');

  // this process's VmRSS, read the plain way just before and after: the shared buffer's answer lies between
  const vmRss = () => Number(/VmRSS:\s*(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'latin1'))![1]) * 1024;
  const me = [readStat(process.pid)!];
  const before = vmRss();
  const got = rssOf(me);
  const after = vmRss();
  assert.ok(got >= Math.min(before, after) && got <= Math.max(before, after), `${got} outside [${before}, ${after}]`);
  assert.equal(rssOf([{ ...me[0], pid: 2 ** 30 }]), 0, 'a process gone counts 0');
});
