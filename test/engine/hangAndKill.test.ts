// Hangs and process trees. Pass: reason step_timeout, steps 0..K-1 kept, the runner killed within
// timeout + 2 s; grandchildren (plain, detached, double-forked into a new session) all dead 2 s
// after the kill (docs/reliability.md).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runEpisodes } from '../../src/engine/index';
import type { EngineEvent } from '../../src/shared/engineEvents';
import { alive, problems, request, tmpDir, trace, waitFor } from './helpers';

const STEP_TIMEOUT = 400;

for (const fault of ['hang', 'hangAsync', 'ignoreTerm'] as const) {
  test(`${fault} at step K: step_timeout, steps 0..K-1 kept, killed within timeout + 2 s`, async () => {
    const K = 7;
    const pidFile = path.join(tmpDir(), 'pid');
    const markFile = path.join(tmpDir(), 'mark');
    const res = await runEpisodes(
      request({
        agent: 'faultAgent.js',
        agentOptions: { at: K, fault, pidFile, markFile },
        spec: { maxSteps: 100 },
        limits: { stepTimeoutMs: STEP_TIMEOUT },
      }),
    );
    const resolvedAt = Date.now();
    const [ep] = res.episodes;
    const t = trace(ep.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(ep.reason, 'step_timeout');
    assert.deepEqual(
      t.steps.map((s) => s.step),
      [...Array(K).keys()],
    );
    assert.equal(t.end?.detail?.limitMs, STEP_TIMEOUT);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    // runEpisodes resolves only after the kill completed, so hang start -> resolve bounds the kill time
    assert.equal(alive(pid), false, 'runner dead when runEpisodes resolves');
    const hangToDead = resolvedAt - Number(fs.readFileSync(markFile, 'utf8'));
    assert.ok(hangToDead <= STEP_TIMEOUT + 2000, `killed ${hangToDead} ms after the hang began`);
    console.log(`# ${fault}: hang start -> runner dead <= ${hangToDead} ms (step timeout ${STEP_TIMEOUT} ms)`);
  });
}

test('grandchildren (plain, detached, double-forked + setsid) then hang: 0 alive 2 s after the kill', async () => {
  const pidsFile = path.join(tmpDir(), 'pids');
  const t0 = Date.now();
  const [ep] = (
    await runEpisodes(
      request({
        agent: 'faultAgent.js',
        agentOptions: { at: 3, fault: 'grandchildren', pidsFile },
        limits: { stepTimeoutMs: STEP_TIMEOUT },
      }),
    )
  ).episodes;
  const resolvedAt = Date.now();
  assert.equal(ep.reason, 'step_timeout');
  assert.equal(ep.steps, 3);
  const pids = JSON.parse(fs.readFileSync(pidsFile, 'utf8')) as number[];
  assert.equal(pids.length, 3);
  assert.ok(
    pids.every((p) => Number.isInteger(p) && p > 1),
    `pids ${pids}`,
  );
  const allDead = await waitFor(() => pids.every((p) => !alive(p)), 2000);
  assert.ok(allDead, `alive after 2 s: ${pids.filter(alive)}`);
  console.log(`# grandchildren: run took ${resolvedAt - t0} ms; alive at resolve: ${pids.filter(alive).length}`);
});

test('episode timeout ends a slow episode; Stop Run (abort) ends it killed_by_user', async () => {
  const [slow] = (
    await runEpisodes(
      request({
        agent: 'faultAgent.js',
        agentOptions: { at: 2, fault: 'hangAsync' },
        limits: { stepTimeoutMs: 30_000, episodeTimeoutMs: 3000 },
      }),
    )
  ).episodes;
  assert.equal(slow.reason, 'episode_timeout');
  assert.equal(slow.steps, 2);
  const ac = new AbortController();
  const pidFile = path.join(tmpDir(), 'pid');
  const run = runEpisodes(
    request({
      agent: 'faultAgent.js',
      agentOptions: { at: 2, fault: 'hang', pidFile },
      seeds: [1, 2, 3],
      limits: { stepTimeoutMs: 30_000 },
      signal: ac.signal,
    }),
  );
  assert.ok(await waitFor(() => fs.existsSync(pidFile), 10_000));
  ac.abort();
  const res = await run;
  assert.equal(res.episodes.length, 1, 'episodes not started are not run');
  assert.equal(res.episodes[0].reason, 'killed_by_user');
  assert.equal(trace(res.episodes[0].trace).end?.reason, 'killed_by_user');
  assert.equal(alive(Number(fs.readFileSync(pidFile, 'utf8'))), false);
});

test('while the runner hangs, every step it sent is in the trace file (the engine holds none back)', async () => {
  // The engine joins the lines of records that arrive close together into one write (writeSoon);
  // its ticker writes what is held, so a burst of steps followed by silence still reaches the file.
  const K = 500;
  const ac = new AbortController();
  const events: EngineEvent[] = [];
  const run = runEpisodes(
    request({
      agent: 'faultAgent.js',
      agentOptions: { at: K, fault: 'hang' },
      spec: { maxSteps: 1000 },
      limits: { stepTimeoutMs: 60_000 },
      signal: ac.signal,
      events,
    }),
  );
  const traceFile = () => events.find((e) => e.type === 'episode_start')?.trace;
  const stepsInFile = () => {
    const f = traceFile();
    return f && fs.existsSync(f) ? trace(f).steps.length : 0;
  };
  const held = await waitFor(() => stepsInFile() === K, 20_000);
  const seen = stepsInFile();
  ac.abort();
  const res = await run;
  assert.ok(held, `the trace held ${seen} of the ${K} steps sent before the hang`);
  assert.equal(res.episodes[0].reason, 'killed_by_user');
  assert.deepEqual(
    trace(res.episodes[0].trace).steps.map((s) => s.step),
    [...Array(K).keys()],
  );
});
