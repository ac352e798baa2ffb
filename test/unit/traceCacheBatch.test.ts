// The replay panel reads a batch of step records through one file handle (TraceCache.stepRecords):
// the same records as one read per step, in the order asked, null for steps the trace lacks, and
// right again after the file changed under the offsets.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TraceCache } from '../../src/extension/traceCache';
import { buildTrace } from './serverTraceBuilder';

test('stepRecords reads a batch as stepRecord reads each step', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-batch-'));
  try {
    const file = path.join(dir, 'a.trace.jsonl');
    fs.writeFileSync(file, buildTrace({ steps: 300, dropAt: 200 }).text);
    const store = new TraceCache();
    const t = await store.load(file);
    const asked = [5, 0, 299, 150, 7, -1, 300, 6];
    const { records } = await store.stepRecords(t, asked);
    assert.equal(records.length, asked.length);
    for (let k = 0; k < asked.length; k++) {
      const one = await store.stepRecord(t, asked[k]);
      assert.deepEqual(records[k], one?.record ?? null, `record ${asked[k]}`);
    }
    assert.deepEqual(
      records.slice(0, 3).map((r) => r?.step),
      [5, 0, 299],
    );
    // the file rewritten with other content: the batch falls back to reading afresh
    fs.writeFileSync(file, buildTrace({ steps: 300, dropAt: 100, increment: (i) => (i < 100 ? 2 : -5) }).text);
    const again = await store.stepRecords(t, [120, 121]);
    assert.deepEqual(
      again.records.map((r) => r?.increment),
      [-5, -5],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
