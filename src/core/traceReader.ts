// Reading traces (traceFormat.ts). Never throws, linear time, every line length capped: the language
// server runs this on whatever is in the editor and a crash would kill the feature.
//
// Rules (docs/reliability.md): exactly one torn (unterminated) last line is tolerated and reported as
// 'torn' — it is never turned into a record, even when it happens to be valid JSON, because the
// engine writes each record and its '\n' in one write. Every other bad line is reported.
// Decisions: a BOM, CR before '\n' (CRLF), empty lines in the middle and invalid UTF-8 are
// 'malformed' (the engine writes none of them, so they mean the file was damaged or hand-edited);
// empty lines after the last record are tolerated.

import { isUtf8 } from 'node:buffer';
import { indexLines, type LineIndex } from './lineIndex';
import { RecordOrder } from './traceOrder';
import type { TraceProblem } from './traceProblem';
import {
  checkEnd,
  checkHeader,
  checkReset,
  checkStep,
  describe,
  isObject,
  normalizeRecord,
} from './traceRecordValidate';
import type { TraceEnd, TraceHeader, TraceRecord, TraceReset, TraceStep } from './traceFormat';
import { MAX_RECORD_BYTES } from './wire';

export type { TraceProblem } from './traceProblem';

export { indexLines, lineText, type LineIndex } from './lineIndex';

/** A trace line holds a wire record (<= MAX_RECORD_BYTES) plus the engine's few added fields
 *  (score, statistic, threshold, flag), so the cap leaves 64 KiB of headroom above the wire cap. */
export const MAX_TRACE_LINE = MAX_RECORD_BYTES + 64 * 1024;

export type ParsedLine = { ok: true; record: TraceRecord } | { ok: false; message: string; column?: number };

export interface TraceReadResult {
  header: TraceHeader | null;
  reset: TraceReset | null;
  /** accepted step records, in file order; `step` strictly increases (gaps are reported, kept) */
  steps: TraceStep[];
  end: TraceEnd | null;
  problems: TraceProblem[];
  /** the last line had no '\n' and was ignored */
  tornTail: boolean;
  /** 0-based line of the header / reset / end record, -1 when absent */
  headerLine: number;
  resetLine: number;
  endLine: number;
  /** stepLines[i] is the line holding steps[i]; see lineOfStep for lookups by step index */
  stepLines: number[];
  /** line boundaries, in bytes for Buffer input and UTF-16 units for string input */
  lines: LineIndex;
}

export interface ReadTraceOptions {
  /** line length cap; default MAX_TRACE_LINE */
  maxLineLength?: number;
}

const POSITION = /at position (\d+)/;

/** Validates one line (without its '\n') as a trace record. */
export function parseTraceLine(text: string, maxLength: number = MAX_TRACE_LINE): ParsedLine {
  try {
    if (text.length > maxLength) {
      return { ok: false, message: `line is ${text.length} characters long; the limit is ${maxLength}` };
    }
    if (text.length === 0) return { ok: false, message: 'empty line; expected a JSON record' };
    if (text.charCodeAt(0) === 0xfeff) {
      return {
        ok: false,
        column: 0,
        message: 'line starts with a byte-order mark (U+FEFF); traces are UTF-8 without a BOM',
      };
    }
    if (text.charCodeAt(text.length - 1) === 13) {
      return {
        ok: false,
        column: text.length - 1,
        message: 'line ends with a carriage return (CRLF); traces use LF line endings only',
      };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const m = POSITION.exec(msg);
      const column = m ? Number(m[1]) : text.length;
      return { ok: false, column, message: `invalid JSON: ${msg}` };
    }
    if (!isObject(value)) return { ok: false, message: `expected a JSON object record, got ${describe(value)}` };
    let problem: string | null;
    switch (value.type) {
      case 'header':
        problem = checkHeader(value);
        break;
      case 'reset':
        problem = checkReset(value);
        break;
      case 'step':
        problem = checkStep(value);
        break;
      case 'episode_end':
        problem = checkEnd(value);
        break;
      default:
        problem = `field 'type' must be "header", "reset", "step" or "episode_end", got ${'type' in value ? describe(value.type) : 'nothing'}`;
    }
    if (problem !== null) return { ok: false, message: problem };
    normalizeRecord(value);
    return { ok: true, record: value as unknown as TraceRecord };
  } catch (e) {
    // Belt and braces: nothing above should throw, but a thrown parser kills the language server.
    return { ok: false, message: `unreadable line: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The index into `result.steps` of step `n`, or -1 (binary search: steps strictly increase). */
export function indexOfStep(result: Pick<TraceReadResult, 'steps'>, n: number): number {
  const steps = result.steps;
  let lo = 0;
  let hi = steps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = steps[mid].step;
    if (s === n) return mid;
    if (s < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The 0-based line holding step `n`, or -1. */
export function lineOfStep(result: Pick<TraceReadResult, 'steps' | 'stepLines'>, n: number): number {
  const i = indexOfStep(result, n);
  return i < 0 ? -1 : result.stepLines[i];
}

/** Reads a whole trace. Never throws. */
export function readTrace(data: string | Uint8Array, opts: ReadTraceOptions = {}): TraceReadResult {
  const reader = new TraceReader(data, opts);
  reader.readLines(Infinity);
  return reader.finish();
}

/**
 * readTrace in steps, for callers that must stay responsive (the language server yields to its
 * event loop between chunks so a cancel or an edit is seen during a 100k-step read). Lines are
 * indexed up front (memchr speed); parsing happens in readLines. Reading every line and calling
 * finish() gives exactly readTrace's result.
 */
export class TraceReader {
  private readonly result: TraceReadResult;
  private readonly buf: Buffer | null = null;
  private readonly allUtf8: boolean = true;
  private readonly maxLen: number;
  /** last non-empty complete line; empty lines after it are tolerated */
  private readonly lastContent: number;
  private next = 0;
  private readonly order = new RecordOrder();
  private finished = false;

  constructor(
    private readonly data: string | Uint8Array,
    opts: ReadTraceOptions = {},
  ) {
    this.maxLen = opts.maxLineLength ?? MAX_TRACE_LINE;
    const lines = indexLines(data);
    this.result = {
      header: null,
      reset: null,
      steps: [],
      end: null,
      problems: [],
      tornTail: lines.torn,
      headerLine: -1,
      resetLine: -1,
      endLine: -1,
      stepLines: [],
      lines,
    };
    const complete = lines.torn ? lines.starts.length - 1 : lines.starts.length;
    // UTF-8 is checked once over all complete lines (fast); only when that fails is each line checked.
    if (typeof data !== 'string') {
      this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const upTo = complete > 0 ? lines.ends[complete - 1] : 0;
      this.allUtf8 = isUtf8(this.buf.subarray(0, upTo));
    }
    let lastContent = complete - 1;
    while (lastContent >= 0 && lines.ends[lastContent] === lines.starts[lastContent]) lastContent--;
    this.lastContent = lastContent;
  }

  /** Lines to parse in all (the torn tail and trailing empty lines are not parsed). */
  get totalLines(): number {
    return this.lastContent + 1;
  }

  /** Lines parsed so far. */
  get linesRead(): number {
    return this.next;
  }

  /** Parses up to `maxLines` more lines; returns true when every line has been parsed. */
  readLines(maxLines: number): boolean {
    const stop = Math.min(this.lastContent + 1, this.next + Math.max(0, maxLines));
    for (let i = this.next; i < stop; i++) this.readLine(i);
    this.next = Math.max(this.next, stop);
    return this.next > this.lastContent;
  }

  /** Parses what is left, adds the whole-file problems and returns the result (once). */
  finish(): TraceReadResult {
    const result = this.result;
    if (this.finished) return result;
    this.readLines(Infinity);
    this.finished = true;
    const { lines, problems } = result;
    const n = lines.starts.length;
    // Empty lines in the middle were reported by parseTraceLine; trailing ones are fine.
    if (lines.torn) {
      const len = lines.ends[n - 1] - lines.starts[n - 1];
      problems.push({
        line: n - 1,
        kind: 'torn',
        message: `the last line is unterminated (${len} ${this.buf ? 'bytes' : 'characters'} without a newline): the writer stopped mid-record; ignored`,
      });
    }
    if (!result.end) {
      const line = Math.max(0, this.lastContent);
      problems.push({
        line,
        kind: 'incomplete',
        message: 'no episode_end record: the episode did not finish, or the trace is still being written',
      });
    }
    if (
      result.header === null &&
      this.lastContent >= 0 &&
      !problems.some((p) => p.line === 0 && p.kind === 'malformed')
    ) {
      problems.push({ line: 0, kind: 'order', message: 'the first line must be the header record' });
    }
    return result;
  }

  private readLine(i: number): void {
    const { result, buf, maxLen } = this;
    const { lines, problems } = result;
    const s = lines.starts[i];
    const e = lines.ends[i];
    if (e - s > maxLen) {
      problems.push({
        line: i,
        kind: 'malformed',
        message: `line is ${e - s} ${buf ? 'bytes' : 'characters'} long; the limit is ${maxLen}`,
      });
      return;
    }
    let text: string;
    if (buf) {
      if (!this.allUtf8 && !isUtf8(buf.subarray(s, e))) {
        problems.push({ line: i, kind: 'malformed', message: 'line is not valid UTF-8' });
        return;
      }
      text = buf.toString('utf8', s, e);
    } else {
      text = (this.data as string).slice(s, e);
    }
    const parsed = parseTraceLine(text, maxLen);
    if (!parsed.ok) {
      const p: TraceProblem = { line: i, kind: 'malformed', message: parsed.message };
      if (parsed.column !== undefined) p.column = parsed.column;
      problems.push(p);
      return;
    }
    const rec = parsed.record;
    if (!this.order.accept(rec, i, (p) => problems.push(p))) return;
    switch (rec.type) {
      case 'header':
        result.header = rec;
        result.headerLine = i;
        break;
      case 'reset':
        result.reset = rec;
        result.resetLine = i;
        break;
      case 'step':
        result.steps.push(rec);
        result.stepLines.push(i);
        break;
      case 'episode_end':
        result.end = rec;
        result.endLine = i;
        break;
    }
  }
}
