// The engine's own death. SIGKILLed mid-episode: the runner is gone within 2 s, the trace is a valid
// prefix that the next writer repairs, and the next engine start kills what the runner left behind.
// SIGTERM: the trace ends host_shutdown and the runner is killed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cleanStaleRunners, TraceWriter } from '../../src/engine/index';
import { alive, problems, tmpDir, trace, waitFor } from './helpers';

// The engine keeps its runners' pid files under os.tmpdir(); every engine start cleans stale ones.
// This test's engine gets a temp folder of its own, so that an engine started meanwhile by another
// test file cannot clean up (and so hide) the leftovers this test must see cleaned.
function startHost(agentOptions: Record<string, unknown>, tracesDir: string, tmp?: string) {
  const env = tmp ? { ...process.env, TMPDIR: tmp } : process.env;
  const host = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, 'engineHost.ts'),
      JSON.stringify({
        agent: 'faultAgent.js',
        agentOptions,
        tracesDir,
        spec: { maxSteps: 1000 },
        limits: { stepTimeoutMs: 60_000 },
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env },
  );
  let out = '';
  host.stdout.on('data', (d) => (out += d));
  return {
    host,
    events: () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; trace?: string }),
  };
}

test('engine SIGKILLed mid-episode: runner gone within 2 s, trace a valid prefix, leftovers cleaned on next start', async () => {
  const dir = tmpDir();
  const pidFile = path.join(dir, 'pid');
  const pidsFile = path.join(dir, 'pids');
  const K = 12;
  const stateTmp = path.join(dir, 'tmp');
  fs.mkdirSync(stateTmp);
  const { host, events } = startHost(
    { at: K, fault: 'detachedThenSlow', pidFile, pidsFile },
    path.join(dir, 'traces'),
    stateTmp,
  );
  try {
    assert.ok(
      await waitFor(() => fs.existsSync(pidsFile) && fs.existsSync(pidFile), 20_000),
      'the episode reached the fault',
    );
    const runner = Number(fs.readFileSync(pidFile, 'utf8'));
    const [grandchild] = JSON.parse(fs.readFileSync(pidsFile, 'utf8')) as number[];
    const traceFile = events().find((e) => e.type === 'episode_start')!.trace!;
    // The runner wrote steps 0..K-1 before its fault; on a loaded machine the engine may not have read
    // them off the pipe yet. Wait until it has written them, so the kill tests what a crash keeps.
    assert.ok(
      await waitFor(() => fs.existsSync(traceFile) && trace(traceFile).steps.length >= K, 20_000),
      'the engine recorded the steps before the fault',
    );
    // the runner is in a synchronous loop: only the parent watch can see the engine go
    host.kill('SIGKILL');
    const killedAt = Date.now();
    assert.ok(await waitFor(() => !alive(runner), 2000), 'runner still alive 2 s after the engine died');
    console.log(`# runner gone ${Date.now() - killedAt} ms after the engine was SIGKILLed`);

    const t = trace(traceFile);
    assert.deepEqual(
      t.problems.filter((p) => p.kind !== 'incomplete').map((p) => p.message),
      [],
    );
    assert.equal(t.end, null);
    assert.equal(t.problems.filter((p) => p.kind === 'incomplete').length, 1, 'shown as incomplete, never as fine');
    assert.deepEqual(
      t.steps.map((s) => s.step),
      [...Array(K).keys()],
    );
    // a torn tail appended by the crash is cut by the next writer, then appending is clean
    fs.appendFileSync(traceFile, '{"type":"step","step":');
    const w = new TraceWriter(traceFile);
    assert.ok(w.repaired > 0);
    w.add({
      type: 'episode_end',
      reason: 'host_shutdown',
      steps: K,
      score: t.steps[K - 1].score,
      flaggedStep: null,
      durationMs: 0,
    });
    w.close();
    const repaired = trace(traceFile);
    assert.deepEqual(problems(repaired), []);
    assert.equal(repaired.end?.reason, 'host_shutdown');
    assert.equal(repaired.steps.length, K);

    // the detached grandchild outlived both; the next engine start finds it by its token
    assert.equal(alive(grandchild), true);
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = stateTmp;
    try {
      assert.ok(cleanStaleRunners() >= 1);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    assert.ok(await waitFor(() => !alive(grandchild), 2000), 'stale grandchild cleaned');
  } finally {
    host.kill('SIGKILL');
  }
});

test('engine SIGTERMed mid-episode: the trace ends host_shutdown and the runner is killed', async () => {
  const dir = tmpDir();
  const pidFile = path.join(dir, 'pid');
  const markFile = path.join(dir, 'mark');
  const { host, events } = startHost({ at: 5, fault: 'slow', pidFile, markFile }, path.join(dir, 'traces'));
  try {
    assert.ok(await waitFor(() => fs.existsSync(markFile), 20_000));
    const runner = Number(fs.readFileSync(pidFile, 'utf8'));
    host.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => host.once('exit', (c) => r(c)));
    assert.equal(code, 143);
    assert.ok(await waitFor(() => !alive(runner), 2000));
    const t = trace(events().find((e) => e.type === 'episode_start')!.trace!);
    assert.deepEqual(problems(t), []);
    assert.equal(t.end?.reason, 'host_shutdown');
    assert.equal(t.steps.length, 5);
  } finally {
    host.kill('SIGKILL');
  }
});
