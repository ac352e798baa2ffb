// Byte-level framing of the runner wire (wire.ts): '\n'-terminated UTF-8 JSON lines, some followed
// by a raw binary payload (`scores`). Split on bytes and decode only whole lines, so a multi-byte
// character cut by a chunk boundary decodes right. Memory stays bounded: a line over the cap is
// reported once and then skipped up to its newline without being buffered (readline buffered a
// 400 MiB line whole). Fast path: a line inside one chunk is decoded straight from the chunk.

import { isUtf8 } from 'node:buffer';
import { MAX_RECORD_BYTES } from './wire';

export interface FramerError {
  kind: 'oversize' | 'utf8';
  message: string;
}

export interface FramerHandlers {
  /** one line, decoded, without its '\n'. May call framer.expectBinary(n). */
  onLine(line: string): void;
  /** the n bytes asked for by expectBinary, as a fresh Buffer (8-byte aligned: Float64Array-viewable) */
  onBinary?(data: Buffer): void;
  /** an oversize line (reported once, then skipped to its newline) or a line that is not UTF-8 (skipped) */
  onError(error: FramerError): void;
}

const NL = 10;
const EMPTY = Buffer.alloc(0);

export class LineFramer {
  private parts: Buffer[] = [];
  private partLen = 0;
  /** inside an oversize line: drop bytes until the next '\n' */
  private discarding = false;
  private discarded = 0;
  private binActive = false;
  private binNeed = 0;
  private binGot = 0;
  private binBuf: Buffer = EMPTY;
  private totalLines = 0;

  constructor(
    private readonly handlers: FramerHandlers,
    private readonly maxLine: number = MAX_RECORD_BYTES,
  ) {}

  /** Number of complete lines delivered or rejected so far. */
  get lines(): number {
    return this.totalLines;
  }

  /** Bytes held for an unfinished line or binary payload (bounded by maxLine + one chunk). */
  get bufferedBytes(): number {
    return this.partLen + this.binGot;
  }

  /** Call from inside onLine: the next n bytes after that line's '\n' are a binary payload.
   *  The caller validates n first; beyond maxLine it is refused with a RangeError. */
  expectBinary(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.maxLine) {
      throw new RangeError(`binary payload of ${n} bytes refused (must be an integer in 0..${this.maxLine})`);
    }
    if (this.binActive) throw new RangeError('a binary payload is already pending');
    this.binActive = true;
    this.binNeed = n;
    this.binGot = 0;
    this.binBuf = n === 0 ? EMPTY : Buffer.allocUnsafe(n);
  }

  push(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    for (;;) {
      if (this.binActive) {
        const take = Math.min(this.binNeed - this.binGot, len - pos);
        if (take > 0) {
          chunk.copy(this.binBuf, this.binGot, pos, pos + take);
          this.binGot += take;
          pos += take;
        }
        if (this.binGot < this.binNeed) return;
        const data = this.binBuf;
        this.binActive = false;
        this.binBuf = EMPTY;
        this.binGot = 0;
        this.handlers.onBinary?.(data);
        continue;
      }
      if (pos >= len) return;
      const nl = chunk.indexOf(NL, pos);
      if (this.discarding) {
        if (nl < 0) {
          this.discarded += len - pos;
          return;
        }
        this.discarding = false;
        this.discarded = 0;
        this.totalLines++;
        pos = nl + 1;
        continue;
      }
      if (nl < 0) {
        const rest = len - pos;
        if (this.partLen + rest > this.maxLine) {
          this.discarded = this.partLen + rest;
          this.oversize(this.discarded, false);
          this.discarding = true;
          return;
        }
        this.parts.push(chunk.subarray(pos));
        this.partLen += rest;
        return;
      }
      const lineLen = this.partLen + (nl - pos);
      this.totalLines++;
      if (lineLen > this.maxLine) {
        this.oversize(lineLen, true);
      } else if (this.partLen === 0) {
        this.deliver(chunk, pos, nl);
      } else {
        this.parts.push(chunk.subarray(pos, nl));
        const joined = Buffer.concat(this.parts, lineLen);
        this.parts = [];
        this.partLen = 0;
        this.deliver(joined, 0, lineLen);
      }
      pos = nl + 1;
    }
  }

  /** At end of stream: what was left unfinished (a torn line or a short binary payload). */
  end(): { tornBytes: number; binaryMissing: number } {
    const r = {
      tornBytes: this.discarding ? this.discarded : this.partLen,
      binaryMissing: this.binActive ? this.binNeed - this.binGot : 0,
    };
    this.parts = [];
    this.partLen = 0;
    this.discarding = false;
    this.discarded = 0;
    this.binActive = false;
    this.binBuf = EMPTY;
    this.binGot = 0;
    return r;
  }

  private deliver(buf: Buffer, s: number, e: number): void {
    const text = buf.toString('utf8', s, e);
    // The decoder turns bad bytes into U+FFFD; only then is the exact check worth its cost.
    if (text.indexOf('\ufffd') >= 0 && !isUtf8(buf.subarray(s, e))) {
      this.handlers.onError({ kind: 'utf8', message: `line ${this.totalLines} is not valid UTF-8` });
      return;
    }
    this.handlers.onLine(text);
  }

  private oversize(bytes: number, complete: boolean): void {
    if (this.partLen > 0) {
      this.parts = [];
      this.partLen = 0;
    }
    this.handlers.onError({
      kind: 'oversize',
      message: `line ${complete ? this.totalLines : this.totalLines + 1} is ${complete ? '' : 'over '}${bytes} bytes; records are limited to ${this.maxLine} bytes`,
    });
  }
}
