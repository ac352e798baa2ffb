// Playback state, kept pure so it can be tested without a browser: the current step, play/pause,
// speed in steps per second, and "follow" (stay on the newest step while a live episode grows).

export const SPEEDS: readonly number[] = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1500, 3000, 6000];
export const DEFAULT_SPEED = 30;
/** A frame after a long pause (hidden panel, breakpoint) must not jump far ahead. */
const MAX_FRAME_MS = 250;

export interface Timeline {
  step: number;
  playing: boolean;
  /** steps per second */
  speed: number;
  /** fraction of a step carried to the next frame */
  carry: number;
  /** keep the cursor on the last step as steps arrive */
  follow: boolean;
}

export function initialTimeline(): Timeline {
  return { step: 0, playing: false, speed: DEFAULT_SPEED, carry: 0, follow: true };
}

/** A valid step for `n` steps: an integer in 0..n-1 (0 when there are none). */
export function clampStep(step: number, n: number): number {
  if (n <= 0 || !Number.isFinite(step)) return 0;
  return Math.min(Math.max(Math.round(step), 0), n - 1);
}

export function seek(t: Timeline, step: number, n: number): Timeline {
  const s = clampStep(step, n);
  return { ...t, step: s, carry: 0, follow: n > 0 && s === n - 1 };
}

export function setSpeed(t: Timeline, speed: number): Timeline {
  return Number.isFinite(speed) && speed > 0 ? { ...t, speed: Math.min(speed, 1e6), carry: 0 } : t;
}

export function togglePlay(t: Timeline, n: number): Timeline {
  if (t.playing) return { ...t, playing: false, carry: 0 };
  // playing from the end starts over, like a media player
  const step = n > 0 && t.step >= n - 1 ? 0 : t.step;
  return { ...t, playing: n > 1, step, carry: 0, follow: false };
}

/** Advances a playing timeline by `dtMs` of wall time; stops at the last step unless the episode
 *  is live (then it waits there for new steps). With a `stride` above 1 (fast playback, several
 *  steps a frame) the cursor lands only on multiples of the stride, so the steps it will show are
 *  known ahead and can be fetched ahead; the steps skipped stay in `carry`, so the speed holds. */
export function advance(t: Timeline, dtMs: number, n: number, live: boolean, stride = 1): Timeline {
  if (!t.playing || n === 0) return t;
  const dt = Math.min(Math.max(dtMs, 0), MAX_FRAME_MS);
  const total = t.carry + (t.speed * dt) / 1000;
  let step = t.step + Math.floor(total);
  if (stride > 1 && step < n - 1) step = Math.max(t.step, Math.floor(step / stride) * stride);
  step = Math.min(step, n - 1);
  if (step >= n - 1 && !live) return { ...t, step: n - 1, playing: false, carry: 0, follow: true };
  return { ...t, step, carry: step >= n - 1 ? 0 : total - (step - t.step) };
}

/** New steps arrived: a following cursor moves to the newest step. */
export function onGrow(t: Timeline, n: number): Timeline {
  return t.follow && !t.playing && n > 0 ? { ...t, step: n - 1 } : { ...t, step: clampStep(t.step, n) };
}

export function speedLabel(speed: number): string {
  if (speed >= 60 && speed % 60 === 0) return `${speed / 60}/frame`;
  return `${speed}/s`;
}
