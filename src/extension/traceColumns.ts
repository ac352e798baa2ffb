// Reads a trace file into columns in one streaming pass: 1 MiB chunks, one line parsed at a time
// (core's parseTraceLine, the language server's own line check), each step object dropped as soon
// as its numbers are copied. Neither the file's bytes nor its step objects are ever all in memory,
// so opening a 1M-step trace does not grow the extension host's heap by hundreds of MB (V8 keeps a
// grown heap long after the objects are garbage).
//
// Records are accepted by the same ordering check as core/traceReader.ts (core/traceOrder.ts: a
// header only on line 0, one reset before the first step, steps strictly increasing, nothing after
// episode_end; the torn last line ignored); rejected lines become problems. Only the first MAX_PROBLEMS are kept: the extension
// shows the first, and the language server lists them all.
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import type { TraceEnd, TraceHeader, TraceReset, TraceStep } from '../core/traceFormat';
import { readEngineStepLine } from '../core/stepLineFast';
import { RecordOrder } from '../core/traceOrder';
import { MAX_TRACE_LINE, parseTraceLine, type TraceProblem } from '../core/traceReader';

const CHUNK = 1 << 20;
/** With a preview, the file's first read is this small: the first chunk is parsed by code that is not
 *  optimized yet (cold, it blocked the extension host 0.1 s on 1 MiB on a quiet machine and 0.4 s under
 *  load, while the replay page was being handed over), and only its steps are shown early anyway
 *  (~1,000 scores-only steps; the rest comes a moment later with the whole trace). */
const FIRST_CHUNK = 128 << 10;
const MAX_PROBLEMS = 100;

export interface TraceColumns {
  header: TraceHeader | null;
  reset: TraceReset | null;
  end: TraceEnd | null;
  /** the first MAX_PROBLEMS problems (the language server reports them all) */
  problems: TraceProblem[];
  /** number of accepted step records */
  steps: number;
  /** step number per record; null when record i is step i for every i (the usual case) */
  stepNumbers: Float64Array | null;
  increments: Float64Array;
  scores: Float64Array;
  /** as recorded */
  thresholds: Float64Array;
  statistics: Float64Array;
  /** the first step recorded with flag: true, or null */
  flaggedRecord: number | null;
  /** byte offset and length of record i's line, for reading its detail on demand */
  lineStart: Float64Array;
  lineLength: Float64Array;
  /** per record, the index of the last record at or before it that has a scene (-1: none); null when no step has one */
  lastScene: Int32Array | null;
}

/** A growable column. One class per element type keeps `set` monomorphic: it runs for every
 *  number of a 1M-step trace. */
class Column {
  data: Float64Array;
  constructor(capacity: number) {
    this.data = new Float64Array(capacity);
  }
  set(i: number, v: number): void {
    if (i >= this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[i] = v;
  }
  done(n: number): Float64Array {
    return this.data.slice(0, n);
  }
}

class IndexColumn {
  data: Int32Array;
  constructor(capacity: number) {
    this.data = new Int32Array(capacity);
  }
  set(i: number, v: number): void {
    if (i >= this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[i] = v;
  }
  done(n: number): Int32Array {
    return this.data.slice(0, n);
  }
}

/** How far a read has got: bytes of whole lines parsed, of the file's size when the read began. */
export interface ReadProgress {
  bytesRead: number;
  bytes: number;
}

/**
 * Reads `file` into columns. `preview`, when given, is called once with the columns of the steps
 * read so far, after the first chunk that holds a step when more of the file is left: the replay
 * panel draws those while the rest is read (a 1M-step trace takes a second or more).
 */
export async function readTraceColumns(
  file: string,
  preview?: (partial: TraceColumns, progress: ReadProgress) => void,
): Promise<TraceColumns> {
  const fh = await fs.promises.open(file, 'r');
  // columns sized for the file's lines up front (scores-only step lines are ~100 bytes): no regrowth
  // (capped: a full recording's lines are longer, and untouched capacity costs no memory anyway)
  const size = await fh.stat().then(
    (st) => st.size,
    () => 0,
  );
  const capacity = Math.min(1 << 22, Math.max(1024, Math.ceil(size / 96)));
  const header: { v: TraceHeader | null } = { v: null };
  let reset: TraceReset | null = null;
  let end: TraceEnd | null = null;
  const problems: TraceProblem[] = [];
  const problem = (p: TraceProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const inc = new Column(capacity);
  const sc = new Column(capacity);
  const th = new Column(capacity);
  const st = new Column(capacity);
  const ls = new Column(capacity);
  const ll = new Column(capacity);
  let nums: Column | null = null;
  let scenes: IndexColumn | null = null;
  let n = 0;
  const order = new RecordOrder();
  let lastScene = -1;
  let lineNo = 0;
  let lastContentLine = -1;
  let pendingEmpty: number | null = null;

  const fast: TraceStep = {
    type: 'step',
    step: 0,
    increment: 0,
    score: 0,
    statistic: 0,
    threshold: 0,
    flag: false,
  };
  const addStep = (step: TraceStep, offset: number, length: number): void => {
    inc.set(n, step.increment);
    sc.set(n, step.score);
    th.set(n, step.threshold);
    st.set(n, step.statistic);
    ls.set(n, offset);
    ll.set(n, length);
    if (step.step !== n && !nums) {
      nums = new Column(capacity);
      for (let j = 0; j < n; j++) nums.set(j, j);
    }
    nums?.set(n, step.step);
    if (step.scene !== undefined) {
      if (!scenes) {
        scenes = new IndexColumn(Math.max(1024, n + 1));
        for (let j = 0; j < n; j++) scenes.set(j, -1);
      }
      lastScene = n;
    }
    scenes?.set(n, lastScene);
    n++;
  };

  const onLine = (buf: Buffer, s: number, e: number, offset: number): void => {
    const line = lineNo++;
    if (e === s) {
      if (pendingEmpty === null) pendingEmpty = line;
      return;
    }
    // empty lines are only an error when content follows them
    if (pendingEmpty !== null) {
      problem({ line: pendingEmpty, kind: 'malformed', message: 'empty line; expected a JSON record' });
      pendingEmpty = null;
    }
    lastContentLine = line;
    // the engine's own scores-only step line: its numbers straight from the bytes (core/stepLineFast.ts)
    if (readEngineStepLine(buf, s, e, fast)) {
      if (order.accept(fast, line, problem)) addStep(fast, offset, e - s);
      return;
    }
    if (e - s > MAX_TRACE_LINE) {
      problem({ line, kind: 'malformed', message: `line is ${e - s} bytes long; the limit is ${MAX_TRACE_LINE}` });
      return;
    }
    const bytes = buf.subarray(s, e);
    if (!isUtf8(bytes)) {
      problem({ line, kind: 'malformed', message: 'line is not valid UTF-8' });
      return;
    }
    const parsed = parseTraceLine(bytes.toString('utf8'));
    if (!parsed.ok) {
      const p: TraceProblem = { line, kind: 'malformed', message: parsed.message };
      if (parsed.column !== undefined) p.column = parsed.column;
      problem(p);
      return;
    }
    const rec = parsed.record;
    if (!order.accept(rec, line, problem)) return;
    switch (rec.type) {
      case 'header':
        header.v = rec;
        break;
      case 'reset':
        reset = rec;
        break;
      case 'step':
        addStep(rec, offset, e - s);
        break;
      case 'episode_end':
        end = rec;
        break;
    }
  };

  const columns = (): TraceColumns => {
    const numbers = nums as Column | null;
    const sceneCol = scenes as IndexColumn | null;
    return {
      header: header.v,
      reset,
      end,
      problems: problems.slice(),
      steps: n,
      stepNumbers: numbers ? numbers.done(n) : null,
      increments: inc.done(n),
      scores: sc.done(n),
      thresholds: th.done(n),
      statistics: st.done(n),
      flaggedRecord: order.flaggedStep < 0 ? null : order.flaggedStep,
      lineStart: ls.done(n),
      lineLength: ll.done(n),
      lastScene: sceneCol ? sceneCol.done(n) : null,
    };
  };

  try {
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = 0;
    let pos = 0;
    let previewed = !preview;
    for (;;) {
      // the unfinished line carried over goes first, the next chunk is read in right after it
      const want = preview && pos === 0 ? FIRST_CHUNK : CHUNK;
      const into = Buffer.allocUnsafe(carry.length + want);
      carry.copy(into);
      const { bytesRead } = await fh.read(into, carry.length, want, pos);
      if (bytesRead === 0) break;
      if (!previewed && n > 0) {
        // the chunk just read proves there is more: show what is read so far
        previewed = true;
        preview?.(columns(), { bytesRead: carryOffset, bytes: Math.max(size, carryOffset) });
      }
      pos += bytesRead;
      const buf = into.subarray(0, carry.length + bytesRead);
      let s = 0;
      for (;;) {
        const nl = buf.indexOf(10, s);
        if (nl < 0) break;
        onLine(buf, s, nl, carryOffset + s);
        s = nl + 1;
      }
      carryOffset += s;
      // a line longer than the cap is still scanned to its end, but only its length is kept
      carry = buf.subarray(s, s + MAX_TRACE_LINE + 1);
      if (buf.length - s > MAX_TRACE_LINE + 1) {
        // skip the rest of an over-long line: find its newline directly in the file
        const skip = await skipToNewline(fh, pos);
        if (skip < 0) {
          problem({ line: lineNo, kind: 'torn', message: 'the last line is unterminated and over-long; ignored' });
          carry = Buffer.alloc(0);
          break;
        }
        problem({
          line: lineNo++,
          kind: 'malformed',
          message: `line is longer than the limit of ${MAX_TRACE_LINE} bytes`,
        });
        carry = Buffer.alloc(0);
        pos = skip + 1;
        carryOffset = pos;
      }
    }
    if (carry.length)
      problem({
        line: lineNo,
        kind: 'torn',
        message: `the last line is unterminated (${carry.length} bytes without a newline): the writer stopped mid-record; ignored`,
      });
  } finally {
    await fh.close();
  }
  if (!end)
    problem({
      line: Math.max(0, lastContentLine),
      kind: 'incomplete',
      message: 'no episode_end record: the episode did not finish, or the trace is still being written',
    });
  if (!header.v && lastContentLine >= 0)
    problem({ line: 0, kind: 'order', message: 'the first line must be the header record' });
  return columns();
}

/** The file offset of the next '\n' at or after `pos`, or -1. */
async function skipToNewline(fh: fs.promises.FileHandle, pos: number): Promise<number> {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) return -1;
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl >= 0) return pos + nl;
    pos += bytesRead;
  }
}
