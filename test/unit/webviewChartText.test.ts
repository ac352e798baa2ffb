// What the replay panel says about steps, zoom and thresholds, as pure text and numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { focusZoom } from '../../webview/flagZoom';
import { positionText, reasonView, stepOfText, stepsText } from '../../webview/format';
import { END_REASONS, FAILURE_END_REASONS, ranProperly } from '../../src/core/traceFormat';
import { keyAction } from '../../webview/keyboard';
import { lastStepOf } from '../../webview/scoreChart';
import { thresholdNote } from '../../webview/thresholdNote';

test('one step convention: a step is its trace index, a count says which indices it covers', () => {
  assert.equal(stepsText(88), '88 steps (0–87)');
  assert.equal(stepsText(1), '1 step (step 0)');
  assert.equal(stepsText(0), '0 steps');
  assert.equal(stepOfText(87, 88), 'step 87 (of steps 0–87)');
  assert.equal(positionText(87, 88), 'step 87 · last 87');
  assert.equal(positionText(0, 0), 'no steps');
});

test('after a stop the chart opens on the flag: context before, room after; Z toggles', () => {
  assert.deepEqual(focusZoom(87, 87), { from: 67, to: 91 });
  const z = focusZoom(625, 625)!;
  assert.ok(z.from <= 625 - 100 && z.to > 625, JSON.stringify(z));
  assert.equal(focusZoom(10, 12), null, 'a short episode is shown whole');
  assert.equal(keyAction('z', false), 'toggleZoom');
  assert.equal(keyAction('Z', true), 'toggleZoom');
});

test('the x-axis ends at the longest of the episode and its overlays', () => {
  assert.equal(lastStepOf(300, [{ scores: new Float64Array(900) }, { scores: new Float64Array(10) }]), 899);
  assert.equal(lastStepOf(300, []), 299);
  assert.equal(lastStepOf(0, []), 0);
});

test("each detector's threshold is explained where it is drawn", () => {
  const cal = { alpha: 0.05, file: 'x', computedAt: 'y' };
  const cusum = thresholdNote({ detector: { kind: 'cusum', k: 0.5 }, calibration: cal });
  assert.match(cusum.text, /CUSUM k=0\.5.*jumps up to meet it/);
  assert.match(cusum.title, /S_\{t−1\} \+ mean_t \+ sd_t·\(C_\{t−1\} − k − h\)/);
  assert.match(thresholdNote({ detector: { kind: 'envelope' }, calibration: cal }).text, /envelope, α = 0\.05/);
  assert.match(
    thresholdNote({ detector: { kind: 'window', window: 25 }, calibration: cal }).text,
    /window 25.*25 steps earlier/,
  );
  assert.match(
    thresholdNote({ detector: { kind: 'fixed', threshold: -3 }, calibration: null }).text,
    /fixed.*the level -3 /,
  );
  assert.match(thresholdNote({ detector: { kind: 'cusum', k: 0.5 }, calibration: null }).text, /No threshold line/);
});

test("the header's end reason: core's text, and a tone that follows the reason's group", () => {
  for (const r of END_REASONS) {
    const v = reasonView(r);
    const want = r === 'completed' ? 'ok' : ranProperly(r) ? 'flag' : FAILURE_END_REASONS.has(r) ? 'fault' : 'stopped';
    assert.equal(v.tone, want, r);
    assert.ok(v.icon.length > 0 && v.text.length > 0, r);
  }
  assert.deepEqual(reasonView('predicted_stop'), {
    icon: '◆',
    text: 'stopped before the predicted crossing',
    tone: 'flag',
  });
  assert.deepEqual(reasonView('oom'), { icon: '✖', text: 'out of memory', tone: 'fault' });
  assert.deepEqual(reasonView('killed_by_user'), { icon: '■', text: 'stopped by the user', tone: 'stopped' });
});
