// The record channel to the engine (fd 3). Every record is written with a blocking fs.writeSync of a
// whole line, so a record that left this function survives user code calling process.exit() or being
// killed right after (docs/reliability.md: writes through process.stdout were lost, writeSync lost none).
import fs from 'node:fs';
import os from 'node:os';
import { MAX_RECORD_BYTES, RECORD_FD } from '../core/wire';
import type { RunnerRecord } from '../core/wire';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const littleEndian = os.endianness() === 'LE';

/** Set by main: what to do when the engine end of the pipe is gone (the engine died). */
let onBrokenPipe: () => never = () => process.abort();
export function setBrokenPipeHandler(h: () => never): void {
  onBrokenPipe = h;
}

/** Writes all bytes, retrying on EAGAIN (a non-blocking pipe or socket) with a short sleep: a record
 *  is never dropped, split among other writes, or reordered. */
export function writeAll(buf: Uint8Array): void {
  let off = 0;
  // The engine reads as fast as it can; a full socket buffer drains in well under a millisecond, so
  // the back-off starts tiny (fractional ms) and stays short: a long sleep here idles the pipeline.
  let backoff = 0.02;
  while (off < buf.length) {
    try {
      off += fs.writeSync(RECORD_FD, buf, off, buf.length - off);
      backoff = 0.02;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') {
        Atomics.wait(sleepCell, 0, 0, backoff);
        backoff = Math.min(backoff * 2, 2);
        continue;
      }
      if (code === 'EPIPE' || code === 'ECONNRESET' || code === 'EBADF') onBrokenPipe();
      throw e;
    }
  }
}

export class RecordTooLarge extends Error {}

/** One record as one line. Throws RecordTooLarge rather than send what the engine must reject. */
export function sendRecord(record: RunnerRecord): void {
  sendLine(JSON.stringify(record));
}

export function sendLine(json: string): void {
  writeAll(recordBytes(json));
}

/** A record's line as bytes; throws RecordTooLarge over the limit. */
function recordBytes(json: string): Buffer {
  const buf = Buffer.from(json + '\n', 'utf8');
  if (buf.length > MAX_RECORD_BYTES) {
    throw new RecordTooLarge(
      `a ${recordType(json)} record of ${buf.length} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`,
    );
  }
  return buf;
}

function recordType(json: string): string {
  const m = /^\{"t":"(\w+)"/.exec(json);
  return m ? m[1] : 'runner';
}

/** A `scores` line followed by count*8 bytes of float64 LE, in one write. `then`, a record that
 *  follows at once (the episode's end or error), goes out in the same write: each write that finds
 *  the engine waiting wakes it, and on these VMs a wake-up moves the engine onto the runner's core
 *  (docs/performance.md, "Where the runner's time goes"). */
export function sendScores(from: number, values: Float64Array, count: number, then?: RunnerRecord): void {
  const head = Buffer.from(`{"t":"scores","from":${from},"count":${count}}\n`, 'utf8');
  const tail = then === undefined ? null : recordBytes(JSON.stringify(then));
  const out = Buffer.allocUnsafe(head.length + count * 8 + (tail ? tail.length : 0));
  head.copy(out, 0);
  if (littleEndian) {
    Buffer.from(values.buffer, values.byteOffset, count * 8).copy(out, head.length);
  } else {
    for (let i = 0; i < count; i++) out.writeDoubleLE(values[i], head.length + i * 8);
  }
  if (tail) tail.copy(out, head.length + count * 8);
  writeAll(out);
}
