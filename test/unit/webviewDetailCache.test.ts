// Which step details the replay panel asks for ahead of the cursor, and how fast playback lands on
// steps known in advance (webview/detailCache.ts, webview/timeline.ts advance with a stride).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StepDetailParams } from '../../src/shared/webviewProtocol';
import {
  BATCH,
  DETAIL_CACHE,
  DetailCache,
  MAX_IN_FLIGHT,
  playbackStride,
  RETRY_MS,
  wantedSteps,
} from '../../webview/detailCache';
import { advance, initialTimeline, SPEEDS, togglePlay } from '../../webview/timeline';

const detail = (step: number): StepDetailParams => ({
  episodeId: 'e',
  step,
  available: true,
  increment: 1,
  score: step,
  threshold: 0,
  statistic: 0,
  margin: step,
  scene: null,
});

test('playback at any offered speed lands only on steps asked for ahead', () => {
  for (const speed of SPEEDS) {
    const n = 100_000;
    const stride = playbackStride(speed);
    let t = togglePlay({ ...initialTimeline(), speed, step: 37 }, n);
    const wanted = new Set(wantedSteps(t.step, n, true, speed));
    let frames = 0;
    // uneven frames (16-33 ms), for the wall time the lookahead covers (1.5 s), less a frame
    for (let ms = 0; ms < 1400 && t.playing; frames++) {
      const dt = 16 + ((frames * 7) % 18);
      ms += dt;
      t = advance(t, dt, n, false, stride);
      assert.ok(
        wanted.has(t.step),
        `${speed}/s: step ${t.step} (frame ${frames}) was not asked for ahead: ${[...wanted].slice(0, 12)}`,
      );
    }
  }
});

test('a stride keeps the speed: the steps skipped carry to the next frame', () => {
  let t = togglePlay({ ...initialTimeline(), speed: 6000 }, 1e6);
  for (let i = 0; i < 100; i++) t = advance(t, 1000 / 60, 1e6, false, playbackStride(6000));
  assert.ok(Math.abs(t.step - 10_000) <= 100, `after 100 frames at 6000/s: ${t.step}`);
  assert.equal(t.step % 100, 0, 'on the stride');
  // the last step is reached even off the stride, and playback stops there
  let e = togglePlay({ ...initialTimeline(), speed: 6000 }, 250);
  for (let i = 0; i < 10 && e.playing; i++) e = advance(e, 1000 / 60, 250, false, 100);
  assert.deepEqual([e.step, e.playing], [249, false]);
});

test('paused: the cursor and its neighbours, and the first steps playback at the chosen speed lands on', () => {
  const w = wantedSteps(50, 1000, false, 6000);
  assert.equal(w[0], 50);
  for (const s of [49, 51, 56, 44, 100, 200, 500, 900]) assert.ok(w.includes(s), `wants ${s}: ${w}`);
  const slow = wantedSteps(50, 1000, false, 30);
  assert.ok(slow.includes(50 + 45), `paused at 30/s: the next 1.5 s of playback: ${slow}`);
  assert.deepEqual(wantedSteps(0, 3, false, 30), [0, 1, 2]);
  assert.deepEqual(wantedSteps(0, 0, true, 30), []);
  assert.ok(wantedSteps(990, 1000, true, 30).every((s) => s < 1000));
});

test('the cache asks in batches, at most two in flight, never twice for a step, and stays bounded', () => {
  const c = new DetailCache();
  const wanted = wantedSteps(0, 10_000, true, 60);
  const first = c.next(wanted, 0);
  assert.equal(first.length, MAX_IN_FLIGHT);
  assert.ok(first.every((b) => b.length <= BATCH && b.length > 0));
  assert.deepEqual(first[0].slice(0, 3), [0, 1, 2], 'nearest first');
  assert.deepEqual(c.next(wanted, 10), [], 'nothing more while two are in flight');
  c.receive(first[0].map(detail), 20);
  const second = c.next(wanted, 30);
  assert.equal(second.length, 1);
  assert.ok(
    second[0].every((s) => !first.flat().includes(s)),
    'no step asked twice',
  );
  // an answer that never comes is asked again after the retry time
  assert.deepEqual(c.next(wanted, 40), []);
  const again = c.next(wanted, 40 + RETRY_MS);
  assert.ok(again.flat().includes(first[1][0]), 'the lost batch is asked again');
  for (let s = 0; s < DETAIL_CACHE * 2; s++) c.receive([detail(s)], 50);
  assert.equal(c.size, DETAIL_CACHE);
  assert.ok(c.get(DETAIL_CACHE * 2 - 1) && !c.get(0), 'the oldest go first');
});
