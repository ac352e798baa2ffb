// readTrace in chunks of lines with a turn of the event loop between them, so a 100k-step read
// (150-700 ms in one piece) lets the server see a cancel, an edit or a newer request meanwhile.
// The result is exactly readTrace's: the same core reader, fed in slices.

import { TraceReader, type ReadTraceOptions, type TraceReadResult } from '../core/traceReader';

/** About 5-30 ms of parsing per chunk for full-recording lines on this machine. */
export const READ_CHUNK_LINES = 5000;

export const yieldTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

export interface ChunkedReadOptions extends ReadTraceOptions {
  chunkLines?: number;
  /** asked between chunks: an Error to stop with (rejects), or null to go on */
  stop?: () => Error | null;
}

export async function readTraceChunked(
  data: string | Uint8Array,
  opts: ChunkedReadOptions = {},
): Promise<TraceReadResult> {
  const chunk = Math.max(1, opts.chunkLines ?? READ_CHUNK_LINES);
  const reader = new TraceReader(data, opts);
  while (!reader.readLines(chunk)) {
    await yieldTurn();
    const e = opts.stop?.();
    if (e) throw e;
  }
  return reader.finish();
}
