// Which traces the replay panel reads before its webview is up: finished ones only (last line an
// episode_end). A live run's trace (no end yet, or a torn last line) is read at the webview's ready.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isFinishedTrace } from '../../src/extension/traceFinished';
import { writeTrace } from '../traceFixture';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-finished-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a trace is finished when its last line is an episode_end', () => {
  const done = path.join(dir, 'done.trace.jsonl');
  writeTrace(done, [1, -3, 2, -5]);
  assert.equal(isFinishedTrace(done), true);
  const lines = fs.readFileSync(done, 'utf8').split('\n');
  // still running: the end not written yet
  const live = path.join(dir, 'live.trace.jsonl');
  fs.writeFileSync(live, lines.slice(0, -2).join('\n') + '\n');
  assert.equal(isFinishedTrace(live), false);
  // the end being written: torn
  const torn = path.join(dir, 'torn.trace.jsonl');
  fs.writeFileSync(torn, lines.slice(0, -1).join('\n').slice(0, -10));
  assert.equal(isFinishedTrace(torn), false);
  // a step line longer than the tail last: not taken for finished
  const long = path.join(dir, 'long.trace.jsonl');
  fs.writeFileSync(long, `${lines[0]}\n{"type":"step","step":0,"pad":"${'x'.repeat(70_000)}"}\n`);
  assert.equal(isFinishedTrace(long), false);
  const empty = path.join(dir, 'empty.trace.jsonl');
  fs.writeFileSync(empty, '');
  assert.equal(isFinishedTrace(empty), false);
  assert.equal(isFinishedTrace(path.join(dir, 'missing.trace.jsonl')), false);
});
