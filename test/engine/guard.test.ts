// The predictive guard in the engine (issue 10): a catastrophe one step away is stopped before it; no
// clone() means the guard is unavailable and the run is reactive; a copy that corrupts the original is
// reported; the engine recomputes the fired prediction; fallback and flag-only protocols.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_GUARD, type GuardConfig } from '../../src/core/guardTypes';
import { runEpisodes } from '../../src/engine/index';
import type { EngineEvent } from '../../src/shared/engineEvents';
import { problems, request, trace, type ReqOptions } from './helpers';

const cliff = (options: Record<string, unknown> = {}) => ({
  environment: { module: 'cliffEnv', options: { cliffAt: 5, ...options } },
  maxSteps: 20,
  harm: { info: 'fell' },
});
const guard = (g: Partial<GuardConfig> = {}): GuardConfig => ({ ...DEFAULT_GUARD, horizon: 1, ...g });
const fixed = { kind: 'fixed' as const, threshold: -50 };

function guarded(o: ReqOptions & { guard?: GuardConfig | null; env?: Record<string, unknown> }) {
  return {
    ...request({ detector: fixed, spec: cliff(o.env), ...o }),
    guard: o.guard === undefined ? guard() : o.guard,
  };
}

test('reactive: the fall is flagged on the step it happens, with the harm already done', async () => {
  const res = await runEpisodes(guarded({ guard: null }));
  const ep = res.episodes[0];
  assert.equal(ep.reason, 'flagged_stop');
  assert.equal(ep.flaggedStep, 5);
  assert.deepEqual(ep.harmSteps, [5]);
  assert.deepEqual(trace(ep.trace).end?.harmSteps, [5]);
});

for (const recording of ['full', 'scores'] as const) {
  test(`${recording} recording: a catastrophe one step away is stopped before its action (predicted_stop)`, async () => {
    const events: EngineEvent[] = [];
    const res = await runEpisodes(guarded({ recording, events }));
    const ep = res.episodes[0];
    assert.equal(ep.reason, 'predicted_stop');
    assert.equal(ep.steps, 5, 'steps 0..4 happened; the fall at step 5 did not');
    assert.equal(ep.flaggedStep, null);
    assert.deepEqual(ep.harmSteps, []);
    assert.equal(ep.prediction?.step, 5);
    assert.equal(ep.prediction?.crossingStep, 5);
    assert.equal(ep.prediction?.predictedScore, 10 - 200);
    assert.deepEqual(ep.prediction?.increments, [-200]);
    assert.equal(ep.prediction?.replay, true, 'the fixture copy has no reseed: the prediction replays the simulator');
    const t = trace(ep.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(t.steps.length, 5);
    assert.equal(t.end?.reason, 'predicted_stop');
    assert.equal(t.end?.prediction?.crossingStep, 5);
    assert.deepEqual(t.end?.prediction?.scores, [-190]);
    assert.deepEqual(t.end?.prediction?.thresholds, [-50]);
    assert.equal(t.end?.guard?.status, 'on');
    assert.match(t.end?.guard?.message ?? '', /replay the simulator exactly/);
    assert.equal(t.header?.guard?.horizon, 1);
    const fired = events.find((e) => e.type === 'prediction');
    assert.ok(fired && fired.type === 'prediction' && fired.prediction.step === 5);
    const end = events.find((e) => e.type === 'episode_end');
    assert.ok(
      end && end.type === 'episode_end' && end.reason === 'predicted_stop' && end.prediction?.crossingStep === 5,
    );
  });
}

test('a longer horizon fires earlier; the crossing step is where the path crosses', async () => {
  const res = await runEpisodes(guarded({ guard: guard({ horizon: 4 }) }));
  const ep = res.episodes[0];
  assert.equal(ep.reason, 'predicted_stop');
  assert.equal(ep.steps, 2, 'at step 2 the rollout reaches the fall at step 5 within 4 steps');
  assert.equal(ep.prediction?.crossingStep, 5);
  assert.deepEqual(ep.prediction?.increments, [2, 2, 2, -200]);
});

test('no clone(): the guard says it is unavailable (which module, why) and the run is reactive', async () => {
  const events: EngineEvent[] = [];
  const res = await runEpisodes(guarded({ env: { noClone: true }, events }));
  const ep = res.episodes[0];
  assert.equal(ep.reason, 'flagged_stop');
  assert.equal(ep.flaggedStep, 5);
  assert.equal(ep.guard?.status, 'unavailable');
  assert.match(
    ep.guard?.message ?? '',
    /cliffEnv\.ts: the environment has no clone\(\) method.*guard is off for this run/,
  );
  const notice = events.find((e) => e.type === 'guard');
  assert.ok(notice && notice.type === 'guard' && notice.notice.status === 'unavailable');
  assert.equal(trace(ep.trace).end?.guard?.status, 'unavailable');
});

test('a copy that changes the original is reported and not trusted', async () => {
  const res = await runEpisodes(
    guarded({
      env: { shareState: true },
      guard: guard({ horizon: 1 }),
      spec: { ...cliff({ shareState: true }), harm: undefined },
    }),
  );
  const ep = res.episodes[0];
  assert.equal(ep.guard?.status, 'corrupted');
  assert.match(ep.guard?.message ?? '', /differs from that of a copy made before the look-ahead/);
  assert.notEqual(ep.reason, 'predicted_stop');
  assert.equal(ep.prediction, undefined);
});

test('reseed(seed) on the copy: predictions are not replays', async () => {
  const res = await runEpisodes(guarded({ env: { reseed: true } }));
  const ep = res.episodes[0];
  assert.equal(ep.reason, 'predicted_stop');
  assert.equal(ep.prediction?.replay, false);
  assert.match(ep.guard?.message ?? '', /each rollout reseeds/);
});

test('fallback protocol: the fallback replaces the action the guard stopped; no harm', async () => {
  const res = await runEpisodes(guarded({ protocol: { fallback: 'safe' } }));
  const ep = res.episodes[0];
  assert.equal(ep.reason, 'completed');
  assert.equal(ep.steps, 20);
  assert.deepEqual(ep.harmSteps, []);
  assert.equal(ep.prediction?.step, 5);
  const t = trace(ep.trace);
  assert.equal(t.steps[4].fallback, undefined);
  assert.equal(t.steps[5].fallback, true);
  assert.equal(t.end?.prediction?.step, 5);
});

test('flag-only: the prediction is recorded and the episode goes on to the fall', async () => {
  const res = await runEpisodes(guarded({ protocol: 'flag-only' }));
  const ep = res.episodes[0];
  assert.equal(ep.reason, 'completed');
  assert.equal(ep.prediction?.step, 5);
  assert.equal(ep.flaggedStep, 5);
  assert.deepEqual(ep.harmSteps, [5]);
});

test('record all: each look-ahead made is on the next step record; every k steps only', async () => {
  const res = await runEpisodes(guarded({ guard: guard({ horizon: 2, record: 'all', every: 2 }) }));
  const ep = res.episodes[0];
  assert.equal(ep.reason, 'predicted_stop');
  assert.equal(ep.steps, 4, 'looks at steps 0, 2, 4: at 4 the path 4..5 crosses');
  const t = trace(ep.trace);
  assert.deepEqual(
    t.steps.map((s) => s.lookahead?.step ?? null),
    [0, null, 2, null],
  );
  assert.deepEqual(t.steps[2].lookahead?.scores, [6, 8]);
  assert.equal(t.steps[2].lookahead?.fired, false);
});

test('below: no look-ahead while the margin to the threshold is wide', async () => {
  const res = await runEpisodes(guarded({ guard: guard({ below: 10 }) }));
  const ep = res.episodes[0];
  // the margin S - (-50) is >= 50 before the fall: the guard never looks, the flag is reactive
  assert.equal(ep.reason, 'flagged_stop');
  assert.equal(ep.prediction, undefined);
});

test('the rollout feeds the copied agent each predicted observation: a careful agent is not stopped', async () => {
  const res = await runEpisodes(guarded({ agent: 'carefulAgent.ts', guard: guard({ horizon: 8 }) }));
  const ep = res.episodes[0];
  assert.equal(ep.prediction, undefined, 'the agent stops at x = 3; the cliff at 5 is never reached');
  assert.equal(ep.reason, 'completed');
  assert.equal(ep.steps, 20);
});
