// Whether a trace file is finished: its last line is an episode_end record. The replay panel starts
// reading such a file as soon as the panel is made (before its webview is up); a trace still being
// written (a live run's) is read only once the webview is ready, as it then is, so a run's followed
// panel never loads an episode that ended after the read (not zoomed on its flag, scene unknown).
import fs from 'node:fs';
import { parseTraceLine } from '../core/traceReader';

/** an episode_end line is short: its error's message and stack are capped well below this */
const TAIL = 64 * 1024;

export function isFinishedTrace(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, TAIL);
    const buf = Buffer.alloc(len);
    const got = fs.readSync(fd, buf, 0, len, size - len);
    const text = buf.subarray(0, got).toString('utf8');
    // the last line ends with a newline: a torn line means the writer is still at it (or stopped)
    if (!text.endsWith('\n')) return false;
    const start = text.lastIndexOf('\n', text.length - 2) + 1;
    if (start === 0 && len < size) return false; // the last line is longer than the tail
    const parsed = parseTraceLine(text.slice(start, -1));
    return parsed.ok && parsed.record.type === 'episode_end';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
