// The engine's scores-only step line, encoded byte by byte into the trace writer's buffer:
//   {"type":"step","step":N,"increment":U,"score":S,"statistic":Z,"threshold":T,"flag":B}
// the layout core/stepLineFast.ts reads back. No string per line, no join, no UTF-8 encode: the
// fixed parts are copied from bytes made once (core/stepLineLayout.ts, shared with the reader), the
// step index and the numbers are written straight from the doubles (numberBytes.ts:
// String()'s text without making a string). The same bytes as the template string it replaces
// (test/engine/traceWriterLines.test.ts).
import { FALSE, FLAG, INCREMENT, PREFIX, SCORE, STATISTIC, THRESHOLD, TRUE } from '../core/stepLineLayout';
import { NUMBER_BYTES, putNumber } from './numberBytes';
import type { TraceWriter } from './traceWriter';

/** the fixed parts before the tail, and the step index and three numbers written here */
export const FIXED = PREFIX.length + INCREMENT.length + SCORE.length + STATISTIC.length + 4 * NUMBER_BYTES;

/** The line's end after the statistic, for a threshold (its JSON text: a number or `null`) and a flag:
 *  `,"threshold":T,"flag":false}` and the newline. Made once while the threshold stays the same.
 *  `open`: the same up to the flag, then a comma, for a full step line that goes on (fullStepLine.ts). */
export function scoresLineTail(threshold: string, flag: boolean, open = false): Uint8Array {
  const value = flag ? TRUE : FALSE;
  const out = new Uint8Array(THRESHOLD.length + threshold.length + FLAG.length + value.length + (open ? 1 : 2));
  let p = put(out, 0, THRESHOLD);
  for (let i = 0; i < threshold.length; i++) out[p++] = threshold.charCodeAt(i);
  p = put(out, p, FLAG);
  p = put(out, p, value);
  if (open) {
    out[p] = 44; // ,
    return out;
  }
  out[p++] = 125; // }
  out[p] = 10; // \n
  return out;
}

/** Writes `,"score":S,"statistic":Z` at p; returns the offset past it. */
export function putScores(buf: Uint8Array, p: number, score: number, statistic: number): number {
  p = put(buf, p, SCORE);
  const scoreAt = p;
  p = putNumber(buf, p, score);
  const scoreEnd = p;
  p = put(buf, p, STATISTIC);
  if (statistic === score) {
    // the fixed detector's statistic is its score: the same text
    for (let i = scoreAt; i < scoreEnd; i++) buf[p++] = buf[i];
  } else p = putNumber(buf, p, statistic);
  return p;
}

export function put(buf: Uint8Array, pos: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) buf[pos + i] = src[i];
  return pos + src.length;
}

/** Queues one scores-only step line. The numbers are finite; `tail` is scoresLineTail() of the
 *  threshold and flag. */
export function addScoresLine(
  w: TraceWriter,
  step: number,
  increment: number,
  score: number,
  statistic: number,
  tail: Uint8Array,
): void {
  const buf = w.reserve(FIXED + tail.length);
  let p = w.offset;
  p = put(buf, p, PREFIX);
  p = putNumber(buf, p, step); // an integer: numberBytes' integer path
  p = put(buf, p, INCREMENT);
  p = putNumber(buf, p, increment);
  p = putScores(buf, p, score, statistic);
  p = put(buf, p, tail);
  w.endLine(p);
}
