// Step details (action, observation, info, scene) held in the webview, and which ones to ask the
// host for next. A round trip to the host takes tens of milliseconds, longer than a frame, so
// asking for the current step only when the cursor gets there leaves the scene behind during
// playback. Instead the panel asks ahead: the steps playback is about to land on, in the play
// direction, a batch at a time, with a bounded number of batches in flight and a bounded cache.
// Pure apart from the clock passed in, so it is tested without a browser.

import { MAX_DETAIL_BATCH, type StepDetailParams } from '../src/shared/webviewProtocol';

/** Details kept; the oldest inserted go first. A few seconds of playback at any speed, plus room. */
export const DETAIL_CACHE = 512;
/** Steps per request. */
export const BATCH = Math.min(32, MAX_DETAIL_BATCH);
/** Requests in flight at once: one answer is on its way while the next is read. */
export const MAX_IN_FLIGHT = 2;
/** A request with no answer after this long is asked again (host busy, message lost). */
export const RETRY_MS = 2000;
/** How far ahead playback prefetches, in seconds of playback. */
export const LOOKAHEAD_S = 1.5;
/** Paused, the host is idle: fill the cache this many playback steps ahead (a busy machine can take
 *  seconds per batch, and playback then starts from what is already here). */
export const PAUSED_LOOKAHEAD = 4 * 32;
/** Steps around a paused cursor kept ready for stepping with the arrow keys. */
const PAUSED_AHEAD = 12;
const PAUSED_BEHIND = 6;

/** Playback at `speed` steps/s shows one step per frame (60 Hz); above 60 steps/s it moves `stride`
 *  steps per frame, on multiples of the stride, so the steps it lands on are known in advance. */
export function playbackStride(speed: number): number {
  return Math.max(1, Math.round(speed / 60));
}

/** The steps wanted next, nearest first: the cursor; paused, a few steps either side of it (for
 *  stepping with the arrow keys); and the steps playback at `speed` lands on next: playing, those of
 *  the next LOOKAHEAD_S seconds; paused, PAUSED_LOOKAHEAD of them, so pressing play starts with
 *  them at hand. Only indices 0..n-1. */
export function wantedSteps(cursor: number, n: number, playing: boolean, speed: number): number[] {
  const out: number[] = [];
  if (n <= 0) return out;
  const add = (s: number) => {
    if (s >= 0 && s < n && !out.includes(s)) out.push(s);
  };
  add(cursor);
  if (!playing) {
    for (let d = 1; d <= PAUSED_BEHIND; d++) {
      add(cursor + d);
      add(cursor - d);
    }
  }
  const stride = playbackStride(speed);
  const count = playing
    ? Math.min(Math.max(Math.ceil((speed * LOOKAHEAD_S) / stride), PAUSED_AHEAD), 3 * BATCH)
    : PAUSED_LOOKAHEAD;
  let s = Math.floor(cursor / stride) * stride;
  for (let k = 0; k < count && s < n; k++) {
    s += stride;
    add(Math.min(s, n - 1));
  }
  if (playing) add(n - 1); // playback stops on the last step, wherever the stride points fall
  return out;
}

export class DetailCache {
  private readonly details = new Map<number, StepDetailParams>();
  /** step -> when it was asked for */
  private readonly pending = new Map<number, number>();
  /** batches in flight: their steps and when they were sent */
  private readonly batches: { steps: number[]; at: number }[] = [];

  clear(): void {
    this.details.clear();
    this.pending.clear();
    this.batches.length = 0;
  }

  get(step: number): StepDetailParams | undefined {
    return this.details.get(step);
  }

  get size(): number {
    return this.details.size;
  }

  /** Stores an answer. A step asked for but left out of the answer can be asked again at once. */
  receive(details: readonly StepDetailParams[], now: number): void {
    for (const d of details) {
      this.details.delete(d.step);
      this.details.set(d.step, d);
      this.pending.delete(d.step);
    }
    const got = new Set(details.map((d) => d.step));
    const i = this.batches.findIndex((b) => b.steps.some((s) => got.has(s)));
    if (i >= 0) {
      for (const s of this.batches[i].steps) this.pending.delete(s);
      this.batches.splice(i, 1);
    } else if (details.length === 0 && this.batches.length) {
      // an empty answer: the oldest batch had nothing the host could read
      for (const s of this.batches.shift()!.steps) this.pending.delete(s);
    }
    this.expire(now);
    while (this.details.size > DETAIL_CACHE) this.details.delete(this.details.keys().next().value as number);
  }

  /** The next batches to ask for (each a list of steps), given the steps wanted in order of need. */
  next(wanted: readonly number[], now: number): number[][] {
    this.expire(now);
    const out: number[][] = [];
    let batch: number[] = [];
    for (const s of wanted) {
      if (this.batches.length + out.length >= MAX_IN_FLIGHT) break;
      if (this.details.has(s) || this.pending.has(s)) continue;
      batch.push(s);
      if (batch.length === BATCH) {
        out.push(batch);
        batch = [];
      }
    }
    if (batch.length && this.batches.length + out.length < MAX_IN_FLIGHT) out.push(batch);
    for (const b of out) {
      this.batches.push({ steps: b, at: now });
      for (const s of b) this.pending.set(s, now);
    }
    // keep the steps about to be shown: refresh their place in the insertion order
    for (const s of wanted.slice(0, 2 * BATCH)) {
      const d = this.details.get(s);
      if (d) {
        this.details.delete(s);
        this.details.set(s, d);
      }
    }
    return out;
  }

  /** Milliseconds until the oldest request in flight is due for a retry, or null. */
  retryIn(now: number): number | null {
    if (!this.batches.length) return null;
    return Math.max(0, this.batches[0].at + RETRY_MS - now);
  }

  private expire(now: number): void {
    while (this.batches.length && now - this.batches[0].at >= RETRY_MS) {
      for (const s of this.batches.shift()!.steps) this.pending.delete(s);
    }
  }
}
