// The engine's scores-only step line, encoded byte by byte into the trace writer's buffer:
//   {"type":"step","step":N,"increment":U,"score":S,"statistic":Z,"threshold":T,"flag":B}
// the layout core/stepLineFast.ts reads back. No string per line, no join, no UTF-8 encode: the
// fixed parts are copied from bytes made once (core/stepLineLayout.ts, shared with the reader), the
// step index is written digit by digit, and the numbers (ASCII, from String()) char by char. The same
// bytes as the template string it replaces (test/engine/traceWriterLines.test.ts).
import { FALSE, FLAG, INCREMENT, PREFIX, SCORE, STATISTIC, THRESHOLD, TRUE } from '../core/stepLineLayout';
import type { TraceWriter } from './traceWriter';

/** every fixed part, the longest flag, the closing brace and newline, and a step index of up to 16 digits */
const FIXED =
  PREFIX.length +
  INCREMENT.length +
  SCORE.length +
  STATISTIC.length +
  THRESHOLD.length +
  FLAG.length +
  FALSE.length +
  2 +
  16;

function put(buf: Uint8Array, pos: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) buf[pos + i] = src[i];
  return pos + src.length;
}

/** ASCII text (a number as String() writes it, or null). */
function putText(buf: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[pos + i] = text.charCodeAt(i);
  return pos + text.length;
}

/** A non-negative safe integer in decimal, as String() writes it. */
function putIndex(buf: Uint8Array, pos: number, n: number): number {
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  let p = pos + digits;
  for (let m = n; p > pos; m = Math.floor(m / 10)) buf[--p] = 48 + (m % 10);
  return pos + digits;
}

/** Queues one scores-only step line. The texts are JSON numbers (or `null`), i.e. ASCII. */
export function addScoresLine(
  w: TraceWriter,
  step: number,
  increment: string,
  score: string,
  statistic: string,
  threshold: string,
  flag: boolean,
): void {
  const buf = w.reserve(FIXED + increment.length + score.length + statistic.length + threshold.length);
  let p = w.offset;
  p = put(buf, p, PREFIX);
  p = putIndex(buf, p, step);
  p = put(buf, p, INCREMENT);
  p = putText(buf, p, increment);
  p = put(buf, p, SCORE);
  p = putText(buf, p, score);
  p = put(buf, p, STATISTIC);
  p = putText(buf, p, statistic);
  p = put(buf, p, THRESHOLD);
  p = putText(buf, p, threshold);
  p = put(buf, p, FLAG);
  p = put(buf, p, flag ? TRUE : FALSE);
  buf[p++] = 125; // }
  buf[p++] = 10; // \n
  w.endLine(p);
}
