// Closing a trace (traceWriter.ts): the last lines are in the file when close() returns, and once
// traceWritesSettled() resolves every closed trace has been synced and its descriptor released (the
// close runs in the sync's callback). Checked on the descriptors this process holds (/proc/self/fd).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { TraceWriter, traceWritesSettled } from '../../src/engine/traceWriter';
import { tmpDir } from './helpers';

/** The files this process has open. */
function openFiles(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the descriptor readdir used, closed by now
    }
  }
  return out;
}

test('closed traces hold their lines at once and no descriptor once the writes settle', async () => {
  const dir = tmpDir();
  const files = Array.from({ length: 40 }, (_, i) => path.join(dir, `ep-${i}.jsonl`));
  for (const [i, file] of files.entries()) {
    const w = new TraceWriter(file);
    w.addLine('{"type":"reset"}');
    // past the sync threshold for some, so a mid-trace sync may still run when close() is called
    for (let s = 0; s < (i % 3) * 150; s++) w.addLine(`{"step":${s}}`);
    w.flush();
    w.addLine(`{"type":"episode_end","n":${i}}`);
    w.close();
    w.close();
    assert.ok(fs.readFileSync(file, 'utf8').endsWith(`{"type":"episode_end","n":${i}}\n`));
  }
  await traceWritesSettled();
  const open = openFiles().filter((f) => f.startsWith(dir));
  assert.deepEqual(open, [], 'trace files still open after the writes settled');
  for (const [i, file] of files.entries())
    assert.equal(fs.readFileSync(file, 'utf8').split('\n').length, 3 + (i % 3) * 150, path.basename(file));
});
