// Exit classification without a child: V8's heap-limit abort is `oom` whichever way it shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyExit } from '../../src/engine/classifyExit';

test('SIGABRT, exit 134 and "Reached heap limit" are oom; other exits are crashed', () => {
  assert.equal(classifyExit({ code: null, signal: 'SIGABRT' }, '', 256).reason, 'oom');
  assert.equal(classifyExit({ code: 134, signal: null }, '', 256).reason, 'oom');
  assert.equal(
    classifyExit(
      { code: 1, signal: null },
      '<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
      256,
    ).reason,
    'oom',
  );
  const c = classifyExit({ code: 1, signal: null }, 'boom', 256);
  assert.equal(c.reason, 'crashed');
  assert.equal(c.detail?.code, 1);
  assert.equal(classifyExit({ code: null, signal: 'SIGKILL' }, '', 256).reason, 'crashed');
  assert.equal(
    classifyExit({ code: null, signal: null, spawnError: 'could not start python3: ENOENT' }, '', 256).detail?.message,
    'could not start python3: ENOENT',
  );
});
