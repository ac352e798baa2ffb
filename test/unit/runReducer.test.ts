// What each engine event does to a run in the extension: counts, progress, which replay panels open
// and what they overlay, calibration panel updates, failures kept for the report.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineEvent } from '../../src/shared/engineEvents';
import {
  initialRunState,
  reduceRun,
  type RunEffect,
  type RunReduceSpec,
  type RunState,
} from '../../src/extension/runReducer';

function run(spec: RunReduceSpec, events: EngineEvent[]): { state: RunState; effects: RunEffect[] } {
  let state = initialRunState();
  const effects: RunEffect[] = [];
  for (const e of events) {
    const before = JSON.stringify(state);
    const r = reduceRun(spec, state, e);
    assert.equal(JSON.stringify(state), before, `reducing ${e.type} changed the previous state`);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const start: EngineEvent = {
  type: 'run_start',
  runId: 'r1',
  dir: '/w/runs/r1',
  scenario: 'racing',
  agent: 'misaligned',
  distribution: 'deployment',
  episodes: 2,
};
const epStart = (id: string): EngineEvent => ({
  type: 'episode_start',
  runId: 'r1',
  episodeId: id,
  seed: 1,
  trace: `/w/${id}.trace.jsonl`,
});
const epEnd = (
  id: string,
  flaggedStep: number | null,
  runId = 'r1',
  reason: 'completed' | 'step_timeout' | 'predicted_stop' = 'completed',
): EngineEvent => ({
  type: 'episode_end',
  runId,
  episodeId: id,
  seed: 7,
  steps: 40,
  finalScore: 3,
  flaggedStep,
  reason,
  trace: `/w/${id}.trace.jsonl`,
});
const of = <K extends RunEffect['kind']>(effects: RunEffect[], kind: K) =>
  effects.filter((f): f is Extract<RunEffect, { kind: K }> => f.kind === kind);

test('a run counts its episodes and flags, and reports progress per episode', () => {
  const { state, effects } = run({ showReplay: false }, [
    start,
    epStart('e0'),
    epEnd('e0', null),
    epStart('e1'),
    epEnd('e1', 12),
  ]);
  assert.deepEqual([state.runId, state.total, state.done, state.flagged], ['r1', 2, 2, 1]);
  assert.deepEqual(
    of(effects, 'progress').map((p) => [p.message, p.increment]),
    [
      ['0/2 episodes', undefined],
      ['1/2 episodes, 0 flagged', 50],
      ['2/2 episodes, 1 flagged', 50],
    ],
  );
  assert.match(of(effects, 'log')[0].text, /^run r1: racing \/ misaligned, 2 deployment episodes -> \/w\/runs\/r1$/);
  assert.equal(of(effects, 'openReplay').length, 0, 'no panels when the run shows no replay');
  assert.equal(of(effects, 'overlay').length, 0);
});

test('with replay: the first episode is followed, the first flagged one opens at its flag, finished ones are overlaid on both', () => {
  const { state, effects } = run({ showReplay: true }, [
    start,
    epStart('e0'),
    epEnd('e0', null),
    epStart('e1'),
    epEnd('e1', 12),
    epEnd('e2', 5),
  ]);
  assert.deepEqual(of(effects, 'openReplay'), [
    { kind: 'openReplay', trace: '/w/e0.trace.jsonl' },
    { kind: 'openReplay', trace: '/w/e1.trace.jsonl', step: 12 },
  ]);
  assert.equal(state.followed, '/w/e0.trace.jsonl');
  assert.equal(state.flaggedShown, '/w/e1.trace.jsonl');
  const overlays = of(effects, 'overlay');
  assert.deepEqual(overlays.at(-1), {
    kind: 'overlay',
    on: ['/w/e0.trace.jsonl', '/w/e1.trace.jsonl'],
    traces: ['/w/e0.trace.jsonl', '/w/e1.trace.jsonl', '/w/e2.trace.jsonl'],
  });
  assert.deepEqual(overlays[0].on, ['/w/e0.trace.jsonl'], 'before a flag only the followed panel gets overlays');
});

test('episodes before run_start, or of another run, are calibration episodes', () => {
  const warn: EngineEvent = {
    type: 'warning',
    message: 'no calibration yet: calibrating on 3 training episodes first',
  };
  const saved: EngineEvent = { type: 'warning', message: 'Calibration saved: racing.misaligned.calibration.json' };
  const { state, effects } = run({ showReplay: true, calibrationEpisodes: 3 }, [
    warn,
    epEnd('c0', null, 'cal'),
    epEnd('c1', 4, 'cal'),
    saved,
    start,
  ]);
  assert.deepEqual([state.calibrating, state.done, state.flagged], [2, 0, 0]);
  assert.deepEqual(of(effects, 'calibrationTotal'), [{ kind: 'calibrationTotal', total: 3 }]);
  assert.deepEqual(
    of(effects, 'calibrationEpisode').map((f) => f.episode),
    [
      { seed: 7, reason: 'completed', steps: 40, finalScore: 3 },
      { seed: 7, reason: 'completed', steps: 40, finalScore: 3 },
    ],
  );
  assert.deepEqual(of(effects, 'calibrationSaved'), [
    { kind: 'calibrationSaved', file: 'racing.misaligned.calibration.json' },
  ]);
  assert.ok(of(effects, 'progress').some((p) => p.message === 'calibrating: 2 of 3 training episodes done'));
  assert.equal(of(effects, 'openReplay').length, 0, 'calibration episodes open no replay');
  assert.deepEqual(state.notices, [warn.message, saved.message]);
});

test('failing episodes are kept for the report, with their error', () => {
  const error = { message: 'boom', phase: 'step' as const };
  const broke: EngineEvent = {
    ...(epEnd('e0', null, 'r1', 'step_timeout') as Extract<EngineEvent, { type: 'episode_end' }>),
    error,
  };
  const { state } = run({ showReplay: false }, [start, broke, epEnd('e1', null)]);
  assert.deepEqual(state.failures, [{ seed: 7, reason: 'step_timeout', error, trace: '/w/e0.trace.jsonl' }]);
});

test('events naming a trace or an episode make its live panels re-read; logs go to Output', () => {
  const { effects } = run({ showReplay: false }, [
    { type: 'steps', episodeId: 'e0', from: 0, scores: [1], thresholds: [2] },
    { type: 'log', episodeId: null, stream: 'stderr', text: 'hello\n' },
    { type: 'run_end', runId: 'r1', episodes: 2, flagged: 1, predicted: 0 },
    { type: 'run_end', runId: 'r1', episodes: 3, flagged: 2, predicted: 1 },
  ]);
  assert.deepEqual(of(effects, 'traceChanged'), [{ kind: 'traceChanged', trace: undefined, episodeId: 'e0' }]);
  assert.deepEqual(
    of(effects, 'log').map((l) => l.text),
    [
      '[runner stderr] hello',
      'run r1: 1 of 2 episodes flagged',
      "run r1: 2 of 3 episodes flagged, 1 by the guard's prediction",
    ],
  );
});

test('an episode the guard stopped before a predicted crossing counts as flagged, and its replay opens at the step it did not take', () => {
  const stopped: EngineEvent = {
    ...(epEnd('e1', null, 'r1', 'predicted_stop') as Extract<EngineEvent, { type: 'episode_end' }>),
    steps: 9,
    prediction: {
      step: 9,
      horizon: 12,
      rollouts: 1,
      replay: false,
      fired: true,
      crossingStep: 11,
      predictedScore: -3.5,
      margin: 0,
      increments: [-1, -1, -1],
      scores: [-1.5, -2.5, -3.5],
      thresholds: [-3, -3, -3],
    },
  };
  const { state, effects } = run({ showReplay: true }, [
    start,
    epStart('e0'),
    epEnd('e0', null),
    epStart('e1'),
    stopped,
  ]);
  assert.deepEqual([state.done, state.flagged, state.predicted], [2, 1, 1]);
  assert.equal(of(effects, 'progress').at(-1)?.message, '2/2 episodes, 1 flagged');
  assert.deepEqual(of(effects, 'openReplay').at(-1), { kind: 'openReplay', trace: '/w/e1.trace.jsonl', step: 9 });
  assert.equal(state.flaggedShown, '/w/e1.trace.jsonl');
});
