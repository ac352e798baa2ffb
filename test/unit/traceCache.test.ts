// The extension's trace cache keeps columns, not step objects: per-step detail is read back from
// the file on demand, through byte offsets that stay valid while a live trace grows. The cache is
// plain Node (no vscode import), so it is tested here, outside VS Code, on trace files in a temp folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AS_RECORDED } from '../../src/core/reflag';
import { recordOfStep, TraceCache } from '../../src/extension/traceCache';
import { writeTrace } from '../traceFixture';

describe('trace cache (columns + on-demand step detail)', () => {
  let dir = '';
  const store = new TraceCache();
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-store-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps the recorded numbers as columns and reads a step's observation from its line", async () => {
    const file = path.join(dir, 'cols.trace.jsonl');
    writeTrace(file, [1, -0.5, -2, 0.25], { threshold: -1 });
    const t = await store.load(file);
    assert.equal(t.steps, 4);
    assert.deepEqual([...t.increments], [1, -0.5, -2, 0.25]);
    assert.deepEqual([...t.scores], [1, 0.5, -1.5, -1.25]);
    assert.equal(t.flaggedRecord, 2);
    assert.equal(t.end?.flaggedStep, 2);
    const r = await store.stepRecord(t, recordOfStep(t, 3));
    assert.deepEqual(r?.record.observation, { x: 4 });
    assert.equal(r?.record.step, 3);
  });

  it('re-flags from the increments column under another threshold', async () => {
    const file = path.join(dir, 'reflag.trace.jsonl');
    writeTrace(file, [1, -0.5, -2, 0.25], { threshold: -1 });
    const t = await store.load(file);
    assert.equal(store.flags(t, AS_RECORDED).flaggedStep, 2);
    const f = store.flags(t, { detector: { kind: 'fixed', threshold: 0.75 }, alpha: null });
    assert.equal(f.reflagged, true);
    assert.equal(f.flaggedStep, 1);
    assert.equal(store.flags(t, { detector: { kind: 'fixed', threshold: -5 }, alpha: null }).flaggedStep, null);
  });

  it('a growing trace is re-read and a rewritten one gives the new line, not a stale offset', async () => {
    const file = path.join(dir, 'grow.trace.jsonl');
    writeTrace(file, [1, 1], { threshold: -1 });
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    // drop the end record: a live trace, then append two steps
    fs.writeFileSync(file, lines.slice(0, -1).join('\n') + '\n');
    const first = await store.load(file);
    assert.equal(first.steps, 2);
    assert.equal(first.end, null);
    const step = (t: number, s: number) =>
      JSON.stringify({
        type: 'step',
        step: t,
        increment: 1,
        score: s,
        statistic: s,
        threshold: -1,
        flag: false,
        observation: { x: 100 + t },
      });
    fs.appendFileSync(file, `${step(2, 3)}\n${step(3, 4)}\n`);
    const grown = await store.load(file);
    assert.equal(grown.steps, 4);
    assert.deepEqual((await store.stepRecord(grown, 3))?.record.observation, { x: 103 });
    // same step numbers, longer lines: the old offsets no longer point at step 1's record
    fs.writeFileSync(
      file,
      [
        lines[0],
        lines[1],
        step(0, 1).replace('"x":100', '"x":"rewritten-0"'),
        step(1, 2).replace('"x":101', '"x":"rewritten-1"'),
      ].join('\n') + '\n',
    );
    const r = await store.stepRecord(grown, 1);
    assert.deepEqual(r?.record.observation, { x: 'rewritten-1' });
    assert.equal(r?.trace.steps, 2);
  });
});
