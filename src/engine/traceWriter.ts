// The trace file writer (the engine is its only writer). Lines are queued and written with one
// fs.writeSync of whole lines, so a kill at any moment leaves complete lines plus at most one torn
// tail, which the next writer cuts off before appending. fdatasync every ~100 lines (at most every
// 20 ms) and at close: per-record syncs cost ~240 us each here, per-100 ~9 us amortized.
// Lines are encoded straight into one reused buffer (a pool shared by the writers of a process):
// joining them into a string and Buffer.from() of it cost ~7 us per scores-only line here, nearly all
// of it the fresh 100+ KiB allocation per flush; writing into memory already in use costs ~0.01 us.
import fs from 'node:fs';
import path from 'node:path';
import type { TraceRecord } from '../core/traceFormat';

const SYNC_LINES = 100;

/** Final syncs still running on the thread pool (see close()). */
const pendingSyncs = new Set<Promise<void>>();

/** Resolves when every closed trace is on disk; a run awaits it before it reports its end. */
export async function traceWritesSettled(): Promise<void> {
  while (pendingSyncs.size) await Promise.all([...pendingSyncs]);
}
const SYNC_MIN_MS = 20;

/** Folders known to exist (bounded: a long-lived host writes many runs). */
const madeDirs = new Set<string>();
function rememberDir(dir: string): void {
  if (madeDirs.size >= 64) madeDirs.clear();
  madeDirs.add(dir);
}
const FLUSH_BYTES = 256 * 1024;
/** the most reserve() can give: a line built byte by byte fits the buffer */
export const RESERVE_MAX = FLUSH_BYTES;
/** writeSoon() writes once this much is queued, or WRITE_MS after the last write (see there) */
const WRITE_BYTES = 64 * 1024;
const WRITE_MS = 20;
const EMPTY = Buffer.alloc(0);

/** Cuts a file back to just after its last '\n' (0 bytes when it has none). Returns bytes removed. */
export function repairTornTail(fd: number): number {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return 0;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = fs.readSync(fd, chunk, 0, end - start, start);
    const i = chunk.subarray(0, n).lastIndexOf(10);
    if (i >= 0) {
      const keep = start + i + 1;
      if (keep < size) fs.ftruncateSync(fd, keep);
      return size - keep;
    }
    end = start;
  }
  fs.ftruncateSync(fd, 0);
  return size;
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // EIO at close cannot be acted on here (the sync before it reported its own outcome), and the
    // descriptor is released either way
  }
}

/** Buffers of released writers, reused by the next ones (a run opens one writer per episode). */
const pool: Buffer[] = [];
const POOL_MAX = 8;

export class TraceWriter {
  private fd: number;
  /** queued lines, encoded; `used` bytes of it hold `lines` whole lines */
  private buf: Buffer;
  private used = 0;
  private lines = 0;
  private unsynced = 0;
  private lastSync = Date.now();
  private lastWrite = Date.now();
  private closed = false;
  /** bytes cut off a torn tail when the file was opened */
  readonly repaired: number;

  constructor(readonly file: string) {
    const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND;
    const dir = path.dirname(file);
    // A run's traces share a folder: make it once, not once per episode (~0.15 ms each here);
    // a folder removed meanwhile is made again.
    if (!madeDirs.has(dir)) fs.mkdirSync(dir, { recursive: true });
    try {
      this.fd = fs.openSync(file, flags, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      fs.mkdirSync(dir, { recursive: true });
      this.fd = fs.openSync(file, flags, 0o644);
    }
    rememberDir(dir);
    this.repaired = repairTornTail(this.fd);
    this.buf = pool.pop() ?? Buffer.allocUnsafe(FLUSH_BYTES);
  }

  /** Queues a record; written at the next flush (the caller flushes after each batch of input). */
  add(record: TraceRecord): void {
    this.addLine(JSON.stringify(record));
  }

  /** Queues one line (JSON text without its newline). */
  addLine(json: string): void {
    if (this.closed) throw new Error(`trace ${this.file} is closed`);
    // 3 bytes per UTF-16 unit is the most UTF-8 can take (a surrogate pair: 4 bytes for 2 units)
    const most = json.length * 3 + 1;
    if (this.used + most > this.buf.length) {
      this.flush();
      if (most > this.buf.length) {
        // a line larger than the buffer (a big observation or scene): written on its own
        this.writeOut(Buffer.from(json + '\n', 'utf8'), 1);
        return;
      }
    }
    const buf = this.buf;
    this.used += buf.write(json, this.used, 'utf8');
    buf[this.used++] = 10;
    this.lines++;
  }

  /** Room for `bytes` more bytes of line at `used` (flushing what is queued if need be); the caller
   *  writes them and then calls endLine. For lines built byte by byte (bytes <= FLUSH_BYTES). */
  reserve(bytes: number): Buffer {
    if (this.closed) throw new Error(`trace ${this.file} is closed`);
    if (this.used + bytes > this.buf.length) this.flush();
    return this.buf;
  }

  /** Ends a line written into reserve()'s buffer: `end` is the offset just past its newline. */
  endLine(end: number): void {
    this.used = end;
    this.lines++;
  }

  /** Offset where the next line starts in reserve()'s buffer. */
  get offset(): number {
    return this.used;
  }

  private writeOut(buf: Buffer, lines: number, len = buf.length): void {
    let off = 0;
    while (off < len) off += fs.writeSync(this.fd, buf, off, len - off);
    this.unsynced += lines;
  }

  /** Writes what is queued once a write call is worth it: WRITE_BYTES queued, or WRITE_MS since the
   *  last write. A runner sending full records one line per write wakes the engine for nearly every
   *  record; a trace write per wake-up cost ~3 us a step (docs/performance.md, "Full traces at long
   *  episodes"). Lines held here are no less safe than lines still in the pipe: the caller also
   *  flushes on its ticker (every 50 ms) and at the episode's end. */
  writeSoon(): void {
    if (this.used >= WRITE_BYTES || Date.now() - this.lastWrite >= WRITE_MS) this.flush();
  }

  /** Writes every queued line with one write call; syncs every ~100 lines. */
  flush(): void {
    if (this.used) {
      this.lastWrite = Date.now();
      const len = this.used;
      const lines = this.lines;
      this.used = 0;
      this.lines = 0;
      this.writeOut(this.buf, lines, len);
    }
    if (this.unsynced >= SYNC_LINES && Date.now() - this.lastSync >= SYNC_MIN_MS) this.sync();
  }

  /** fdatasync on the thread pool: durability every ~100 lines without stalling the event loop
   *  (a synchronous one cost ~3 ms here, 15% of a full-recording run's time). One at a time. */
  private syncing: Promise<void> | null = null;
  private sync(): void {
    this.unsynced = 0;
    this.lastSync = Date.now();
    if (this.syncing) return;
    this.syncing = new Promise<void>((resolve) =>
      fs.fdatasync(this.fd, () => {
        this.syncing = null;
        resolve();
      }),
    );
  }

  /** Writes what is queued (synchronously: the episode_end line is in the file when this returns),
   *  then syncs and closes on the thread pool, off the path between one episode and the next — a
   *  synchronous fdatasync here idled the runner for ~3 ms per episode. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (pool.length < POOL_MAX) pool.push(this.buf);
    this.buf = EMPTY;
    const fd = this.fd;
    // The close is made right in the sync's callback rather than as a second job on the pool: a
    // pool round trip (a pool thread woken, then this thread) cost ~100 us of CPU here against
    // ~5 us for the close itself, once per trace, i.e. per episode.
    const done = (this.syncing ?? Promise.resolve()).then(
      () =>
        new Promise<void>((resolve) => {
          fs.fdatasync(fd, () => {
            closeQuietly(fd);
            resolve();
          });
        }),
    );
    pendingSyncs.add(done);
    void done.then(() => pendingSyncs.delete(done));
  }
}
