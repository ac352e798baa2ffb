// The "opened" line the replay panel writes once per open (what the benchmark reads to time an
// open's phases): the phases reached, in order, with their ms from the panel's creation; said once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenTiming } from '../../src/extension/openTiming';

test('the opened line lists the phases reached in order, once', () => {
  const t = new OpenTiming();
  t.mark('read');
  t.mark('ready');
  t.mark('posted');
  t.mark('page');
  t.mark('ready'); // a later ready (webview reload) keeps the first time
  const line = t.line('big.trace.jsonl', 1_000_000, 128 * 2 ** 20);
  assert.ok(line);
  const m = /^opened big\.trace\.jsonl \(1,000,000 steps, 128 MB\): (.*)$/.exec(line);
  assert.ok(m, line);
  const parts = m[1].split(', ').map((p) => /^(.*) \+(\d+) ms$/.exec(p));
  assert.deepEqual(
    parts.map((p) => p?.[1]),
    ['page set', 'webview ready', 'read done', 'whole trace posted'],
  );
  const ms = parts.map((p) => Number(p![2]));
  assert.ok(
    ms.every((x) => Number.isInteger(x) && x >= 0),
    line,
  );
  assert.equal(t.line('big.trace.jsonl', 1, 1), null, 'said once per panel');
});
