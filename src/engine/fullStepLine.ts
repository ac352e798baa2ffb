// The engine's step line of a full recording, encoded straight into the trace writer's buffer:
//   {"type":"step","step":N,"increment":U,"score":S,"statistic":Z,"threshold":T,"flag":B,<rest>
// where <rest> is the runner's validated record after its own `{"t":"step","step":N,"increment":U,`
// head, copied as received (it ends in `}`). The engine's fields are written as on a scores-only line
// (scoresLine.ts: numbers by numberBytes.ts, no String() and no string per line); the runner's text
// is encoded once, not joined to a head string first. The same bytes as the string the engine built
// before (test/engine/traceWriterLines.test.ts).
import { INCREMENT, PREFIX } from '../core/stepLineLayout';
import { NUMBER_BYTES, putNumber } from './numberBytes';
import { FIXED, put, putScores } from './scoresLine';
import { RESERVE_MAX, type TraceWriter } from './traceWriter';

/** the runner's step record starts `{"t":"step","step":` */
const RUNNER_PREFIX = '{"t":"step","step":';
/** then the step index, then `,"increment":`, then the increment's text, then a comma */
const RUNNER_INCREMENT = ',"increment":';

/** Queues the full step line for the runner's record `line` (already validated, its keys checked by
 *  the caller) and returns true; returns false and queues nothing when the line does not start with
 *  exactly the head the engine's own fields replace — the step index and the increment as String()
 *  writes them — or is too long for the writer's buffer (the caller then builds the line as a string).
 *  `tail` is scoresLineTail(threshold, flag, true): `,"threshold":T,"flag":B,`. */
export function addFullStepLine(
  w: TraceWriter,
  step: number,
  increment: number,
  score: number,
  statistic: number,
  tail: Uint8Array,
  line: string,
): boolean {
  if (!line.startsWith(RUNNER_PREFIX)) return false;
  // 3 bytes per UTF-16 unit is the most UTF-8 takes; the runner's head is dropped, so this is room to spare
  const most = FIXED + NUMBER_BYTES + tail.length + line.length * 3 + 1;
  if (most > RESERVE_MAX) return false;
  const buf = w.reserve(most);
  const start = w.offset;
  let p = put(buf, start, PREFIX);
  // the runner's step index and increment must be the very text written here: the line then says
  // nothing about them that the engine's fields do not
  let k = RUNNER_PREFIX.length;
  const stepAt = p;
  p = putNumber(buf, p, step);
  for (let i = stepAt; i < p; i++) if (line.charCodeAt(k++) !== buf[i]) return false;
  if (!line.startsWith(RUNNER_INCREMENT, k)) return false;
  k += RUNNER_INCREMENT.length;
  p = put(buf, p, INCREMENT);
  const incAt = p;
  p = putNumber(buf, p, increment);
  for (let i = incAt; i < p; i++) if (line.charCodeAt(k++) !== buf[i]) return false;
  if (line.charCodeAt(k++) !== 44) return false; // ,
  p = putScores(buf, p, score, statistic);
  p = put(buf, p, tail);
  p += buf.write(line.slice(k), p, 'utf8');
  buf[p++] = 10; // \n
  w.endLine(p);
  return true;
}
