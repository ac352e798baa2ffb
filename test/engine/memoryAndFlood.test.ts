// Memory and output faults. Pass: heap blow-up and a Buffer blow-up (2 GiB asked) end `oom` within
// 5 s, the engine alive with its RSS grown < 100 MB; 1 GB of stdout and a 400 MiB line without a
// newline get the child killed, engine RSS <= baseline + 100 MB (docs/reliability.md).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runEpisodes } from '../../src/engine/index';
import { alive, problems, request, rssMb, tmpDir, trace, waitFor } from './helpers';

/** Runs `f` while sampling this (the engine's) process RSS; returns f's value and the peak growth. */
async function withRss<T>(f: () => Promise<T>): Promise<{ value: T; baseMb: number; growthMb: number }> {
  global.gc?.();
  const baseMb = rssMb();
  let peak = baseMb;
  const timer = setInterval(() => (peak = Math.max(peak, rssMb())), 10);
  try {
    const value = await f();
    peak = Math.max(peak, rssMb());
    return { value, baseMb, growthMb: peak - baseMb };
  } finally {
    clearInterval(timer);
  }
}

for (const fault of ['oom', 'buffers'] as const) {
  test(`${fault === 'oom' ? 'heap' : '2 GiB of Buffers'} blow-up: oom within 5 s, engine RSS grows < 100 MB`, async () => {
    const markFile = path.join(tmpDir(), 'mark');
    const K = 4;
    const { value: res, growthMb } = await withRss(() =>
      runEpisodes(
        request({
          agent: 'faultAgent.js',
          agentOptions: { at: K, fault, markFile },
          limits: { memoryLimitMb: 200, stepTimeoutMs: 10_000 },
        }),
      ),
    );
    const elapsed = Date.now() - Number(fs.readFileSync(markFile, 'utf8'));
    const [ep] = res.episodes;
    const t = trace(ep.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(ep.reason, 'oom', JSON.stringify(t.end));
    assert.equal(ep.steps, K);
    assert.ok(elapsed < 5000, `oom after ${elapsed} ms`);
    // Buffers live outside the V8 heap: only the RSS poll can see them. A heap blow-up meets either
    // V8's cap (SIGABRT, "Reached heap limit") or the RSS poll, whichever comes first.
    if (fault === 'buffers') assert.equal(t.end?.detail?.cause, 'resident memory of the runner and its descendants');
    assert.ok(growthMb < 100, `engine RSS grew ${growthMb.toFixed(1)} MB`);
    console.log(
      `# ${fault}: fault -> episode over and tree dead ${elapsed} ms; engine RSS +${growthMb.toFixed(1)} MB; detail ${JSON.stringify({ ...t.end?.detail, stderr: undefined })}`,
    );
  });
}

test('2 GiB of Buffers in an escaped grandchild (double-forked, own session): oom within 5 s, the grandchild killed', async () => {
  // The RSS poll lists every process only every few polls and reads the members it knows between
  // them; a descendant that left the runner's group and parent chain is found by the runner's token.
  const markFile = path.join(tmpDir(), 'mark');
  const pidsFile = path.join(tmpDir(), 'pids');
  const K = 3;
  const res = await runEpisodes(
    request({
      agent: 'faultAgent.js',
      agentOptions: { at: K, fault: 'escapedBuffers', markFile, pidsFile, slowAfter: true },
      spec: { maxSteps: 100_000 },
      limits: { memoryLimitMb: 300, stepTimeoutMs: 10_000 },
    }),
  );
  const elapsed = Date.now() - Number(fs.readFileSync(markFile, 'utf8'));
  const [ep] = res.episodes;
  const t = trace(ep.trace);
  assert.deepEqual(problems(t), []);
  assert.equal(ep.reason, 'oom', JSON.stringify(t.end));
  assert.equal(t.end?.detail?.cause, 'resident memory of the runner and its descendants');
  assert.ok(ep.steps > K, `the runner went on stepping (${ep.steps} steps)`);
  assert.ok(elapsed < 5000, `oom after ${elapsed} ms`);
  const [grandchild] = JSON.parse(fs.readFileSync(pidsFile, 'utf8')) as number[];
  assert.ok(
    await waitFor(() => !alive(grandchild), 2000),
    `the grandchild ${grandchild} is still alive 2 s after the episode`,
  );
});

for (const fault of ['stdoutFlood', 'longLine'] as const) {
  test(`${fault === 'stdoutFlood' ? '1 GB of stdout' : 'a 400 MiB stdout line without newline'}: child killed, engine RSS <= baseline + 100 MB`, async () => {
    const markFile = path.join(tmpDir(), 'mark');
    const { value: res, growthMb } = await withRss(() =>
      runEpisodes(
        request({
          agent: 'faultAgent.js',
          agentOptions: { at: 2, fault, markFile },
          limits: { stepTimeoutMs: 20_000 },
        }),
      ),
    );
    const elapsed = Date.now() - Number(fs.readFileSync(markFile, 'utf8'));
    const [ep] = res.episodes;
    const t = trace(ep.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(ep.reason, 'crashed');
    assert.equal(t.end?.detail?.message, 'output flood');
    assert.equal(ep.steps, 2);
    assert.ok(growthMb < 100, `engine RSS grew ${growthMb.toFixed(1)} MB`);
    console.log(`# ${fault}: killed ${elapsed} ms after the flood began; engine RSS +${growthMb.toFixed(1)} MB`);
  });
}
