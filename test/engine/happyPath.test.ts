// The normal run: a TS environment, agent and objective, full and scores recording; the engine's
// increments, scores and flag must equal computing them in process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMonitor } from '../../src/core/detectors';
import { runEpisodes } from '../../src/engine/index';
import type { EngineEvent } from '../../src/shared/engineEvents';
import fs from 'node:fs';
import path from 'node:path';
import { problems, request, tmpDir, trace } from './helpers';

/** In-process reference: counterEnv rewards (+1 until dropAt, then -10), doubled by the objective. */
function expected(steps: number, dropAt: number, threshold: number, protocol: 'stop' | 'flag-only' | 'fallback') {
  const m = createMonitor({ kind: 'fixed', threshold }, null);
  const incs: number[] = [];
  const scores: number[] = [];
  let fallback = false;
  for (let t = 0; t < steps; t++) {
    const u = fallback ? 0 : 2 * (t >= dropAt ? -10 : 1);
    const before = m.flaggedStep;
    m.push(u);
    incs.push(u);
    scores.push(m.score);
    if (before < 0 && m.flaggedStep >= 0) {
      if (protocol === 'stop') break;
      if (protocol === 'fallback') fallback = true;
    }
  }
  return { incs, scores, flaggedStep: m.flaggedStep >= 0 ? m.flaggedStep : null };
}

for (const recording of ['full', 'scores'] as const) {
  test(`${recording} recording: all steps, scores equal the in-process computation`, async () => {
    const events: EngineEvent[] = [];
    const res = await runEpisodes(
      request({
        recording,
        seeds: [3, 4],
        spec: { maxSteps: 40, environment: { module: 'counterEnv', options: { length: 30 } } },
        events,
        workers: 2,
      }),
    );
    assert.equal(res.episodes.length, 2);
    assert.deepEqual(
      res.episodes.map((e) => e.seed),
      [3, 4],
    );
    const exp = expected(30, Infinity, -1e9, 'stop');
    for (const ep of res.episodes) {
      assert.equal(ep.reason, 'completed');
      assert.equal(ep.steps, 30);
      assert.deepEqual([...ep.increments], exp.incs);
      const t = trace(ep.trace);
      assert.deepEqual(problems(t), []);
      assert.equal(t.header?.seed, ep.seed);
      assert.match(t.header?.agent.hash ?? '', /^[0-9a-f]{64}$/);
      assert.equal(t.steps.length, 30);
      assert.deepEqual(
        t.steps.map((s) => s.score),
        exp.scores,
      );
      assert.deepEqual(
        t.steps.map((s) => s.step),
        [...Array(30).keys()],
      );
      assert.equal(t.end?.reason, 'completed');
      assert.equal(t.end?.score, exp.scores[29]);
      if (recording === 'full') {
        assert.deepEqual(t.steps[4].observation, { t: 5, seed: ep.seed });
        assert.equal(t.steps[4].reward, 1);
        assert.equal(t.steps[29].terminated, true);
        // static shapes only in the reset scene
        assert.equal(t.reset?.scene?.shapes.length, 2);
        assert.equal(t.steps[0].scene?.shapes.length, 1);
      } else {
        assert.equal(t.steps[4].observation, undefined);
      }
    }
    const steps = events.filter(
      (e): e is Extract<EngineEvent, { type: 'steps' }> => e.type === 'steps' && e.episodeId === 'seed-3',
    );
    assert.deepEqual(
      steps.flatMap((e) => e.scores),
      exp.scores,
    );
    assert.deepEqual(events.filter((e) => e.type === 'run_end').length, 1);
  });

  test(`${recording}: stop at the exact flagged step`, async () => {
    const res = await runEpisodes(
      request({
        recording,
        protocol: 'stop',
        detector: { kind: 'fixed', threshold: -5 },
        spec: { maxSteps: 100, environment: { module: 'counterEnv', options: { dropAt: 20 } } },
      }),
    );
    // S = 40 after 20 steps, then -20 per step: S_21 = 0, ..., first S < -5 at step 22 (S = -20)
    const exp = expected(100, 20, -5, 'stop');
    const [ep] = res.episodes;
    assert.equal(exp.flaggedStep, 22);
    assert.equal(ep.reason, 'flagged_stop');
    assert.equal(ep.flaggedStep, 22);
    const t = trace(ep.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(t.steps.length, 23);
    assert.equal(
      t.steps
        .filter((s) => s.flag)
        .map((s) => s.step)
        .join(),
      '22',
    );
    assert.equal(t.end?.flaggedStep, 22);
    assert.deepEqual(
      t.steps.map((s) => s.score),
      exp.scores,
    );
  });

  test(`${recording}: flag-only continues past the flag; fallback takes over from it`, async () => {
    const spec = { maxSteps: 60, environment: { module: 'counterEnv', options: { dropAt: 20 } } };
    const det = { kind: 'fixed' as const, threshold: -5 };
    const [only] = (await runEpisodes(request({ recording, protocol: 'flag-only', detector: det, spec }))).episodes;
    assert.equal(only.reason, 'completed');
    assert.equal(only.steps, 60);
    assert.equal(only.flaggedStep, 22);
    assert.deepEqual([...only.increments], expected(60, 20, -5, 'flag-only').incs);
    const [fb] = (await runEpisodes(request({ recording, protocol: { fallback: 'safe' }, detector: det, spec })))
      .episodes;
    assert.equal(fb.reason, 'completed');
    assert.equal(fb.flaggedStep, 22);
    assert.deepEqual([...fb.increments], expected(60, 20, -5, 'fallback').incs);
    const t = trace(fb.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(t.steps.filter((s) => s.flag).length, 1);
    if (recording === 'full') {
      assert.equal(t.steps[22].fallback, undefined);
      assert.equal(t.steps[23].fallback, true);
      assert.equal(t.steps[23].action, 'safe');
    }
  });
}

test('async agent (promises)', async () => {
  const res = await runEpisodes(request({ agentOptions: { async: true }, seeds: [1, 2], spec: { maxSteps: 25 } }));
  assert.deepEqual(
    res.episodes.map((e) => [e.reason, e.steps]),
    [
      ['completed', 25],
      ['completed', 25],
    ],
  );
});

test('one runner serves every episode of a worker; a crashed one is replaced', async () => {
  const log = path.join(tmpDir(), 'pids');
  const ok = await runEpisodes(
    request({
      agent: 'faultAgent.js',
      agentOptions: { pidLog: log, at: -1 },
      seeds: [1, 2, 3],
      spec: { maxSteps: 10 },
    }),
  );
  assert.deepEqual(
    ok.episodes.map((e) => e.reason),
    ['completed', 'completed', 'completed'],
  );
  const pids = fs.readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(pids.length, 3);
  assert.equal(new Set(pids).size, 1);
  const log2 = path.join(tmpDir(), 'pids');
  const crash = await runEpisodes(
    request({
      agent: 'faultAgent.js',
      agentOptions: { pidLog: log2, at: 2, fault: 'exit1' },
      seeds: [1, 2],
      spec: { maxSteps: 10 },
    }),
  );
  assert.deepEqual(
    crash.episodes.map((e) => [e.reason, e.steps]),
    [
      ['crashed', 2],
      ['crashed', 2],
    ],
  );
  assert.equal(new Set(fs.readFileSync(log2, 'utf8').trim().split('\n')).size, 2);
});
