// A fast path for the one line layout that makes up almost all of a large trace: the step record
// exactly as the engine writes it (src/engine/episodeRecorder.ts), read straight from the bytes:
//   {"type":"step","step":N,"increment":X,"score":X,"statistic":X,"threshold":X|null,"flag":true|false}
// and the closing '}' (scores-only recording; a full recording's lines go on with more fields and
// take the full parser).
// JSON.parse plus validation cost ~3 us per line; this costs a few hundred ns.
//
// It never decides that a line is bad: anything it does not recognize (other key order, spaces,
// escapes, non-finite numbers, a step written as 1e3, ...) returns false and the caller runs the
// full parser (traceReader.ts parseTraceLine), which gives the same value or the same error as
// always. Numbers follow the JSON grammar; their value is the correctly rounded double, as
// JSON.parse gives: exact integer arithmetic for up to 15 significant digits and a power of ten up
// to 1e22 (one correctly rounded IEEE operation, Clinger's fast path), else Number() of the text.

import { FALSE, FLAG, INCREMENT, NULL, PREFIX, SCORE, STATISTIC, THRESHOLD, TRUE } from './stepLineLayout';
import type { TraceStep } from './traceFormat';

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

/** The parser's position and the value just read; module state so no object is made per number. */
let pos = 0;
let value = 0;

function lit(buf: Uint8Array, end: number, word: Uint8Array): boolean {
  const n = word.length;
  if (pos + n > end) return false;
  for (let k = 0; k < n; k++) if (buf[pos + k] !== word[k]) return false;
  pos += n;
  return true;
}

/** A JSON number at `pos` into `value`; false when there is none or it is not finite. */
function num(buf: Buffer, end: number): boolean {
  const start = pos;
  let p = pos;
  let neg = false;
  if (p < end && buf[p] === 45 /* - */) {
    neg = true;
    p++;
  }
  let m = 0;
  let digits = 0; // significant digits accumulated into m
  let scale = 0; // power of ten to apply to m
  let exact = true;
  const intStart = p;
  if (p < end && buf[p] === 48 /* 0 */) p++;
  else {
    while (p < end && buf[p] >= 48 && buf[p] <= 57) {
      if (digits < 15) {
        m = m * 10 + (buf[p] - 48);
        if (m !== 0) digits++;
      } else {
        exact = false;
      }
      p++;
    }
  }
  if (p === intStart) return false;
  if (p < end && buf[p] === 46 /* . */) {
    p++;
    const fracStart = p;
    while (p < end && buf[p] >= 48 && buf[p] <= 57) {
      if (digits < 15) {
        m = m * 10 + (buf[p] - 48);
        if (m !== 0) digits++;
        scale--;
      } else if (buf[p] !== 48) exact = false;
      p++;
    }
    if (p === fracStart) return false;
  }
  if (p < end && (buf[p] === 101 || buf[p] === 69) /* e E */) {
    p++;
    let eneg = false;
    if (p < end && (buf[p] === 43 || buf[p] === 45)) eneg = buf[p++] === 45;
    const expStart = p;
    let x = 0;
    while (p < end && buf[p] >= 48 && buf[p] <= 57) {
      if (x < 10000) x = x * 10 + (buf[p] - 48);
      p++;
    }
    if (p === expStart) return false;
    scale += eneg ? -x : x;
  }
  pos = p;
  // digits left out after the 15th (integer part), or a power beyond 1e22: the slow, exact way
  if (exact && scale >= -22 && scale <= 22) {
    const v = scale < 0 ? m / POW10[-scale] : m * POW10[scale];
    value = neg ? -v : v;
    return true;
  }
  value = Number(buf.toString('latin1', start, p));
  return Number.isFinite(value);
}

function sameBytes(buf: Uint8Array, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (buf[a + k] !== buf[b + k]) return false;
  return true;
}

/** An integer >= 0 written as plain digits (no sign, fraction or exponent), at most 15 of them. */
function index(buf: Uint8Array, end: number): boolean {
  let p = pos;
  let v = 0;
  if (p < end && buf[p] === 48) p++;
  else
    while (p < end && buf[p] >= 48 && buf[p] <= 57) {
      v = v * 10 + (buf[p] - 48);
      p++;
    }
  if (p === pos || p - pos > 15) return false;
  const next = p < end ? buf[p] : -1;
  if (next === 46 || next === 101 || next === 69) return false; // 1.0, 1e3: the full parser decides
  pos = p;
  value = v;
  return true;
}

/**
 * Reads buf[s..e) (one line without its '\n') as an engine-written scores-only step record into
 * `out` (reused by the caller: a 1M-step read makes no object per line). True: `out` holds the
 * numbers parseTraceLine would give (a null threshold as -Infinity). False: use the full parser.
 */
export function readEngineStepLine(buf: Buffer, s: number, e: number, out: TraceStep): boolean {
  pos = s;
  if (!lit(buf, e, PREFIX) || !index(buf, e)) return false;
  out.step = value;
  if (!lit(buf, e, INCREMENT) || !num(buf, e)) return false;
  out.increment = value;
  if (!lit(buf, e, SCORE)) return false;
  const scoreStart = pos;
  if (!num(buf, e)) return false;
  out.score = value;
  const scoreEnd = pos;
  if (!lit(buf, e, STATISTIC)) return false;
  // the fixed detector's statistic is the score, written as the same text: compare, not parse again
  const len = scoreEnd - scoreStart;
  if (pos + len < e && sameBytes(buf, scoreStart, pos, len) && buf[pos + len] === 44 /* , */) pos += len;
  else if (!num(buf, e)) return false;
  out.statistic = value;
  if (!lit(buf, e, THRESHOLD)) return false;
  if (lit(buf, e, NULL)) out.threshold = -Infinity;
  else if (num(buf, e)) out.threshold = value;
  else return false;
  if (!lit(buf, e, FLAG)) return false;
  if (lit(buf, e, TRUE)) out.flag = true;
  else if (lit(buf, e, FALSE)) out.flag = false;
  else return false;
  return pos + 1 === e && buf[pos] === 125; /* } */
}
