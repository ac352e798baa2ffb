// Validation of one record line from a runner (docs/reliability.md, framing). The framer has already
// capped the length and rejected invalid UTF-8; this checks what a line may hold: no BOM, no CR, no
// NUL, nesting at most MAX_DEPTH deep, valid JSON, a known record type with fields of the right types
// and finite numbers. Ordering (step indexes) depends on the episode and is checked by the recorder.
import { MAX_HORIZON as MAX_PREDICTED } from '../core/guardTypes';
import { MAX_RECORD_BYTES, SCORES_BATCH, type RunnerRecord } from '../core/wire';

export const MAX_DEPTH = 64;

export type Checked = { ok: true; record: RunnerRecord } | { ok: false; message: string };

const bad = (message: string): Checked => ({ ok: false, message });

/** At most `max` of '[' and '{' anywhere in s (inside strings too): then it cannot nest deeper.
 *  indexOf runs at memchr speed; most records (a step of a full recording) have a dozen brackets. */
function fewBrackets(s: string, max: number): boolean {
  let n = 0;
  for (let i = s.indexOf('{'); i >= 0; i = s.indexOf('{', i + 1)) if (++n > max) return false;
  for (let i = s.indexOf('['); i >= 0; i = s.indexOf('[', i + 1)) if (++n > max) return false;
  return true;
}

/** Depth of [ and { nesting outside strings, without recursion (a 1 MiB line of '[' is fine).
 *  The char-by-char scan cost ~2 us on an 800-byte step record, as much as 40% of JSON.parse's
 *  time: a line with few brackets is let through without it. */
function tooDeep(s: string): boolean {
  if (fewBrackets(s, MAX_DEPTH)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function field(
  o: Record<string, unknown>,
  name: string,
  ok: (v: unknown) => boolean,
  expected: string,
  optional = false,
): string | null {
  if (!(name in o) || o[name] === undefined) return optional ? null : `missing field "${name}" (${expected})`;
  return ok(o[name])
    ? null
    : `field "${name}" must be ${expected}; got ${JSON.stringify(o[name])?.slice(0, 60) ?? typeof o[name]}`;
}

// Module-level, not per call: a step record is checked ~100,000 times a second.
const str = (v: unknown) => typeof v === 'string';
const bool = (v: unknown) => typeof v === 'boolean';
const nonNegInt = (v: unknown) => isInt(v) && v >= 0;
const userErr = (v: unknown) => isObj(v) && typeof v.message === 'string';

function checkFields(o: Record<string, unknown>): string | null {
  switch (o.t) {
    case 'hello':
      return (
        field(o, 'wire', isInt, 'an integer') ??
        field(o, 'runtime', (v) => v === 'node' || v === 'python', '"node" or "python"') ??
        field(o, 'pid', nonNegInt, 'a pid') ??
        field(o, 'version', str, 'a string')
      );
    case 'reset':
      return (
        field(o, 'episodeId', str, 'a string') ??
        field(o, 'info', isObj, 'an object', true) ??
        field(o, 'scene', isObj, 'an object', true) ??
        field(o, 'sceneProblem', userErr, 'an object with a message', true)
      );
    case 'step':
      return (
        field(o, 'step', nonNegInt, 'a non-negative integer') ??
        field(o, 'reward', isFiniteNum, 'a finite number') ??
        field(o, 'increment', isFiniteNum, 'a finite number') ??
        field(o, 'terminated', bool, 'a boolean') ??
        field(o, 'truncated', bool, 'a boolean') ??
        field(o, 'fallback', bool, 'a boolean', true) ??
        field(o, 'info', isObj, 'an object', true) ??
        field(o, 'scene', isObj, 'an object', true) ??
        field(o, 'sceneProblem', userErr, 'an object with a message', true)
      );
    case 'scores':
      return (
        field(o, 'from', nonNegInt, 'a non-negative integer') ??
        field(
          o,
          'count',
          (v) => isInt(v) && v >= 1 && v <= Math.max(SCORES_BATCH, MAX_RECORD_BYTES / 8),
          `an integer in 1..${Math.max(SCORES_BATCH, MAX_RECORD_BYTES / 8)}`,
        )
      );
    case 'end':
      return (
        field(o, 'episodeId', str, 'a string') ??
        field(
          o,
          'reason',
          (v) => v === 'completed' || v === 'flagged_stop' || v === 'predicted_stop',
          '"completed", "flagged_stop" or "predicted_stop"',
        ) ??
        field(o, 'steps', nonNegInt, 'a non-negative integer') ??
        field(o, 'guardExtreme', (v) => v === null || isFiniteNum(v), 'a finite number or null', true) ??
        field(o, 'harmSteps', (v) => Array.isArray(v) && v.every(nonNegInt), 'an array of step indexes', true)
      );
    case 'prediction':
      return (
        field(o, 'episodeId', str, 'a string') ??
        field(o, 'step', nonNegInt, 'a non-negative integer') ??
        field(
          o,
          'increments',
          (v) => Array.isArray(v) && v.length >= 1 && v.length <= MAX_PREDICTED && v.every(isFiniteNum),
          `an array of 1..${MAX_PREDICTED} finite numbers`,
        ) ??
        field(o, 'crossingStep', (v) => v === null || nonNegInt(v), 'a step index or null') ??
        field(o, 'fired', bool, 'a boolean') ??
        field(o, 'replay', bool, 'a boolean') ??
        field(o, 'truncated', bool, 'a boolean', true)
      );
    case 'guard':
      return (
        field(o, 'episodeId', str, 'a string') ??
        field(
          o,
          'status',
          (v) => v === 'on' || v === 'unavailable' || v === 'corrupted' || v === 'failed',
          '"on", "unavailable", "corrupted" or "failed"',
        ) ??
        field(o, 'message', str, 'a string') ??
        field(o, 'module', str, 'a string', true) ??
        field(o, 'replay', bool, 'a boolean', true) ??
        field(o, 'copies', isObj, 'an object', true)
      );
    case 'snapshot':
      return (
        field(o, 'episodeId', str, 'a string') ??
        field(o, 'step', nonNegInt, 'a non-negative integer') ??
        field(o, 'problem', str, 'a string', true)
      );
    case 'restored':
      return field(o, 'episodeId', str, 'a string') ?? field(o, 'step', nonNegInt, 'a non-negative integer');
    case 'error':
      return (
        field(o, 'episodeId', str, 'a string') ??
        field(o, 'error', (v) => isObj(v) && typeof v.message === 'string', 'an object with a message')
      );
    default:
      return `unknown record type ${JSON.stringify(o.t)?.slice(0, 40)}; expected hello, reset, step, scores, prediction, guard, snapshot, restored, end or error`;
  }
}

export function checkRecordLine(line: string): Checked {
  if (line.charCodeAt(0) === 0xfeff) return bad('record starts with a byte-order mark (U+FEFF)');
  if (line.charCodeAt(line.length - 1) === 13) return bad('record ends with a carriage return (CRLF line ending)');
  if (line.indexOf('\u0000') >= 0) return bad(`record contains a NUL byte at column ${line.indexOf('\u0000') + 1}`);
  if (line.length === 0) return bad('empty record line');
  if (tooDeep(line)) return bad(`record nests deeper than ${MAX_DEPTH} levels`);
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return bad(`record is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(v)) return bad(`record must be a JSON object; got ${Array.isArray(v) ? 'an array' : typeof v}`);
  if (typeof v.t !== 'string') return bad('record has no string field "t"');
  const problem = checkFields(v);
  if (problem) return bad(`${v.t} record: ${problem}`);
  return { ok: true, record: v as unknown as RunnerRecord };
}

/** The bad record as kept in episode_end.detail: truncated so a trace line stays small. */
export function excerpt(line: string, max = 300): string {
  return line.length > max ? line.slice(0, max) + `... (${line.length} chars)` : line;
}
