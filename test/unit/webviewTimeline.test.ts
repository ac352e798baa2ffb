// Playback logic of the replay panel: steps stay in range, speed is steps per second whatever the
// frame rate, a finished episode stops at its end, a live one waits there and follows new steps.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  advance,
  clampStep,
  initialTimeline,
  onGrow,
  seek,
  setSpeed,
  speedLabel,
  togglePlay,
  SPEEDS,
} from '../../webview/timeline';
import { keyAction } from '../../webview/keyboard';

test('clampStep gives an integer step inside 0..n-1 for any input', () => {
  fc.assert(
    fc.property(fc.double(), fc.nat({ max: 10_000_000 }), (s, n) => {
      const c = clampStep(s, n);
      assert.ok(Number.isInteger(c));
      assert.ok(n === 0 ? c === 0 : c >= 0 && c <= n - 1);
    }),
  );
  assert.equal(clampStep(-5, 10), 0);
  assert.equal(clampStep(99, 10), 9);
  assert.equal(clampStep(4.6, 10), 5);
  assert.equal(clampStep(NaN, 10), 0);
});

test('seek clamps and follows only at the last step', () => {
  const t = initialTimeline();
  assert.deepEqual([seek(t, 500, 100).step, seek(t, 500, 100).follow], [99, true]);
  assert.deepEqual([seek(t, 5, 100).step, seek(t, 5, 100).follow], [5, false]);
});

test('playback advances speed x seconds steps, whatever the frame rate', () => {
  fc.assert(
    fc.property(fc.constantFrom(...SPEEDS), fc.integer({ min: 5, max: 100 }), (speed, frameMs) => {
      let t = togglePlay(setSpeed(seek(initialTimeline(), 0, 1e9), speed), 1e9);
      let elapsed = 0;
      while (elapsed + frameMs <= 2000) {
        t = advance(t, frameMs, 1e9, false);
        elapsed += frameMs;
      }
      const expected = (speed * elapsed) / 1000;
      assert.ok(Math.abs(t.step - expected) <= 1, `speed ${speed} frame ${frameMs}: ${t.step} vs ${expected}`);
    }),
  );
});

test('a long pause (hidden panel) does not jump far ahead', () => {
  let t = togglePlay(setSpeed(seek(initialTimeline(), 0, 1e6), 100), 1e6);
  t = advance(t, 60_000, 1e6, false);
  assert.ok(t.step <= 25, `${t.step}`);
});

test('a finished episode stops at its last step; playing from the end starts over', () => {
  let t = togglePlay(setSpeed(seek(initialTimeline(), 90, 100), 600), 100);
  for (let i = 0; i < 10; i++) t = advance(t, 16, 100, false);
  assert.equal(t.step, 99);
  assert.equal(t.playing, false);
  t = togglePlay(t, 100);
  assert.equal(t.step, 0);
  assert.equal(t.playing, true);
});

test('a live episode waits at the newest step and a following cursor moves with new steps', () => {
  let t = togglePlay(setSpeed(seek(initialTimeline(), 95, 100), 600), 100);
  for (let i = 0; i < 10; i++) t = advance(t, 16, 100, true);
  assert.equal(t.step, 99);
  assert.equal(t.playing, true, 'waits for more steps');
  t = advance(t, 16, 200, true);
  assert.ok(t.step > 99);
  const following = seek(initialTimeline(), 99, 100);
  assert.equal(onGrow(following, 150).step, 149);
  const parked = seek(initialTimeline(), 10, 100);
  assert.equal(onGrow(parked, 150).step, 10);
});

test('bad speeds are refused; labels read per frame at 60 Hz multiples', () => {
  const t = initialTimeline();
  assert.equal(setSpeed(t, -1).speed, t.speed);
  assert.equal(setSpeed(t, NaN).speed, t.speed);
  assert.equal(speedLabel(6000), '100/frame');
  assert.equal(speedLabel(60), '1/frame');
  assert.equal(speedLabel(5), '5/s');
});

test('keyboard shortcuts', () => {
  assert.equal(keyAction(' ', false), 'togglePlay');
  assert.equal(keyAction('ArrowLeft', false), 'back');
  assert.equal(keyAction('ArrowRight', true), 'forward10');
  assert.equal(keyAction('Home', false), 'first');
  assert.equal(keyAction('End', false), 'last');
  assert.equal(keyAction('f', false), 'flag');
  assert.equal(keyAction('F', true), 'flag');
  assert.equal(keyAction('x', false), null);
});
