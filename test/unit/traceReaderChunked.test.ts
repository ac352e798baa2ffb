// The language server reads traces in chunks (src/server/chunkedRead.ts) with the core's
// TraceReader; its result must be exactly readTrace's on any input, at any chunk size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readTrace, TraceReader } from '../../src/core/traceReader';
import { readTraceChunked } from '../../src/server/chunkedRead';
import { header, reset, steps, end } from './traceFixtures';

// Lines an engine writes, and lines a damaged or hand-edited file holds.
const goodLines = (n: number, flagAt: number) => {
  const st = steps(
    Array.from({ length: n }, (_, i) => (i % 3) - 1.25),
    flagAt,
  );
  return [
    JSON.stringify(header()),
    JSON.stringify(reset),
    ...st.map((s) => JSON.stringify(s)),
    JSON.stringify(end(st)),
  ];
};
const damage = fc.oneof(
  fc.constant(''),
  fc.constant('{"type": "step", not json'),
  fc.constant('\uFEFF{}'),
  fc.constant('{"type":"reset"}\r'),
  fc.constant('{"type":"step","step":0,"increment":1,"score":1,"statistic":1,"threshold":0,"flag":true}'),
  fc.constant(JSON.stringify(header())),
  fc.string({ maxLength: 30 }),
  fc.json({ maxDepth: 2 }),
);

const traceText = fc
  .record({
    n: fc.integer({ min: 0, max: 60 }),
    flagAt: fc.integer({ min: -1, max: 60 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant('delete' as const), damage)), { maxLength: 6 }),
    tail: fc.oneof(
      fc.constant(''),
      fc.constant('\n\n'),
      fc.string({ maxLength: 20 }).map((s) => s.replace(/\n/g, '')),
    ),
  })
  .map(({ n, flagAt, edits, tail }) => {
    const lines = goodLines(n, flagAt);
    for (const [at, e] of edits) {
      const i = at % (lines.length + 1);
      if (e === 'delete') lines.splice(i, 1);
      else lines.splice(i, 0, e);
    }
    return lines.join('\n') + (lines.length ? '\n' : '') + tail;
  });

test('chunked reads equal readTrace on random traces, as strings and bytes, at every chunk size', async () => {
  await fc.assert(
    fc.asyncProperty(traceText, fc.integer({ min: 1, max: 12 }), fc.boolean(), async (text, chunkLines, bytes) => {
      const data = bytes ? Buffer.from(text, 'utf8') : text;
      const whole = readTrace(data);
      assert.deepEqual(await readTraceChunked(data, { chunkLines }), whole);
      // The core reader fed by hand, including zero-line calls, matches too.
      const r = new TraceReader(data);
      let calls = 0;
      while (!r.readLines(calls++ % 3)) {
        /* 0, 1, 2 lines at a time */
      }
      assert.deepEqual(r.finish(), whole);
    }),
    { numRuns: 300 },
  );
});

test('a chunked read stops between chunks when asked, and reads nothing more', async () => {
  const text = goodLines(200, 150).join('\n') + '\n';
  let chunks = 0;
  const stop = new Error('stop');
  await assert.rejects(
    readTraceChunked(text, { chunkLines: 10, stop: () => (++chunks === 3 ? stop : null) }),
    (e) => e === stop,
  );
  assert.equal(chunks, 3);
});
