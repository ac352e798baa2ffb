// User stdout/stderr from a runner child: kept apart from the records, capped in bytes and in rate.
// Memory is bounded whatever the child writes (1 GB, one 400 MiB line without a newline): chunks
// are counted and dropped, only a 64 KiB tail per stream is kept. Past a byte budget per episode the
// owner is told (it kills the child: an output flood is a fault, not a log).
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

export const TAIL_BYTES = 64 * 1024;
/** user output allowed per episode before the child is killed as an output flood */
export const OUTPUT_BUDGET_BYTES = 128 * 1024 * 1024;
/** log text passed on per stream per flush (every LOG_EVERY_MS) */
const LOG_CHUNK_BYTES = 8 * 1024;
const LOG_EVERY_MS = 100;

export type StreamName = 'stdout' | 'stderr';

class StreamTail {
  private chunks: Buffer[] = [];
  private bytes = 0;
  pendingLog: Buffer[] = [];
  pendingLogBytes = 0;
  droppedLogBytes = 0;
  readonly decoder = new StringDecoder('utf8');

  add(chunk: Buffer): void {
    // copy: a subarray would pin the stream's whole chunk
    const keep =
      chunk.length > TAIL_BYTES ? Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES)) : Buffer.from(chunk);
    this.chunks.push(keep);
    this.bytes += keep.length;
    while (this.bytes - this.chunks[0].length >= TAIL_BYTES) this.bytes -= this.chunks.shift()!.length;
    const room = LOG_CHUNK_BYTES - this.pendingLogBytes;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.pendingLog.push(Buffer.from(part));
      this.pendingLogBytes += part.length;
      this.droppedLogBytes += chunk.length - part.length;
    } else this.droppedLogBytes += chunk.length;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - TAIL_BYTES)).toString('utf8');
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}

export interface OutputOwner {
  log(stream: StreamName, text: string): void;
  flood(stream: StreamName, bytes: number): void;
}

export class OutputCapture {
  private readonly tails: Record<StreamName, StreamTail> = { stdout: new StreamTail(), stderr: new StreamTail() };
  /** bytes since the last resetBudget (an episode start) */
  private episodeBytes = 0;
  private flooded = false;
  private timer: NodeJS.Timeout | null = null;
  totalBytes = 0;

  constructor(private readonly owner: OutputOwner) {}

  attach(name: StreamName, stream: Readable | null): void {
    if (!stream) return;
    stream.on('data', (chunk: Buffer) => this.onData(name, chunk));
    stream.on('error', () => {});
  }

  private onData(name: StreamName, chunk: Buffer): void {
    this.totalBytes += chunk.length;
    this.episodeBytes += chunk.length;
    if (this.flooded) return;
    this.tails[name].add(chunk);
    if (this.episodeBytes > OUTPUT_BUDGET_BYTES) {
      this.flooded = true;
      this.owner.flood(name, this.episodeBytes);
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flushLogs(), LOG_EVERY_MS);
      this.timer.unref();
    }
  }

  flushLogs(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const name of ['stdout', 'stderr'] as const) {
      const t = this.tails[name];
      if (!t.pendingLogBytes && !t.droppedLogBytes) continue;
      let text = t.decoder.write(Buffer.concat(t.pendingLog));
      if (t.droppedLogBytes) text += `\n[objective-monitor: ${t.droppedLogBytes} bytes of ${name} not shown]\n`;
      t.pendingLog = [];
      t.pendingLogBytes = 0;
      t.droppedLogBytes = 0;
      if (text) this.owner.log(name, text);
    }
  }

  /** The last 64 KiB written to a stream. */
  tail(name: StreamName): string {
    return this.tails[name].text();
  }

  /** At an episode's start: budget and tails count from here. */
  resetEpisode(): void {
    this.episodeBytes = 0;
    this.flooded = false;
    this.tails.stdout.clear();
    this.tails.stderr.clear();
  }

  dispose(): void {
    this.flushLogs();
  }
}
