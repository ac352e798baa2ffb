// Line boundaries of a JSONL file, found with one memchr-speed scan (Buffer.indexOf / String.indexOf)
// and no decoding, so a server can index a 100k+ step trace at once and parse only the lines it shows.

export interface LineIndex {
  /** offset of each line's first byte (Buffer input) or UTF-16 unit (string input) */
  starts: number[];
  /** offset just past each line's content, excluding the '\n' */
  ends: number[];
  /** true when the last line has no terminating '\n' (a torn tail: the writer stopped mid-record) */
  torn: boolean;
  /** total length of the input, in the same unit */
  length: number;
}

const NL = 10;

/** Indexes every line. The empty remainder after a final '\n' is not a line. */
export function indexLines(data: string | Uint8Array): LineIndex {
  const starts: number[] = [];
  const ends: number[] = [];
  const length = data.length;
  let pos = 0;
  if (typeof data === 'string') {
    while (pos < length) {
      const nl = data.indexOf('\n', pos);
      starts.push(pos);
      if (nl < 0) {
        ends.push(length);
        return { starts, ends, torn: true, length };
      }
      ends.push(nl);
      pos = nl + 1;
    }
  } else {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    while (pos < length) {
      const nl = buf.indexOf(NL, pos);
      starts.push(pos);
      if (nl < 0) {
        ends.push(length);
        return { starts, ends, torn: true, length };
      }
      ends.push(nl);
      pos = nl + 1;
    }
  }
  return { starts, ends, torn: false, length };
}

/** The text of line `i` (without its '\n'); Buffer lines are decoded as UTF-8. */
export function lineText(data: string | Uint8Array, index: LineIndex, i: number): string {
  const s = index.starts[i];
  const e = index.ends[i];
  if (typeof data === 'string') return data.slice(s, e);
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return buf.toString('utf8', s, e);
}
