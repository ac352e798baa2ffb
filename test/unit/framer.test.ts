import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineFramer } from '../../src/core/framer';

type Event = ['line', string] | ['bin', string] | ['error', string];

/** A consumer like the engine's: a line "B<n>" announces n binary bytes. */
function collect(maxLine = 64) {
  const events: Event[] = [];
  const framer: LineFramer = new LineFramer(
    {
      onLine(line) {
        events.push(['line', line]);
        const m = /^B(\d+)$/.exec(line);
        if (m) framer.expectBinary(Number(m[1]));
      },
      onBinary(data) {
        events.push(['bin', data.toString('hex')]);
      },
      onError(e) {
        events.push(['error', e.kind]);
      },
    },
    maxLine,
  );
  return { framer, events };
}

test('lines split on newline bytes, multi-byte characters survive any cut', () => {
  const { framer, events } = collect();
  const data = Buffer.from('héllo\n漢字😀\n\nlast');
  for (let i = 0; i < data.length; i++) framer.push(data.subarray(i, i + 1));
  assert.deepEqual(events, [
    ['line', 'héllo'],
    ['line', '漢字😀'],
    ['line', ''],
  ]);
  assert.deepEqual(framer.end(), { tornBytes: 4, binaryMissing: 0 });
});

test('binary payloads after a line arrive whole and aligned for Float64Array', () => {
  const got: Float64Array[] = [];
  const lines: string[] = [];
  const framer: LineFramer = new LineFramer({
    onLine(l) {
      lines.push(l);
      const r = JSON.parse(l);
      if (r.t === 'scores') framer.expectBinary(r.count * 8);
    },
    onBinary(d) {
      got.push(new Float64Array(d.buffer, d.byteOffset, d.length / 8).slice());
    },
    onError(e) {
      throw new Error(e.message);
    },
  });
  // a value whose bytes are mostly 0x0a: newline bytes inside a payload must not split lines
  const nlValue = new Float64Array(new Uint8Array([10, 10, 10, 10, 10, 10, 0xf0, 0x3f]).buffer)[0];
  const vals = new Float64Array([1.5, -2, nlValue, 1e-300]);
  const payload = Buffer.from(vals.buffer);
  assert.ok(payload.includes(10));
  const stream = Buffer.concat([
    Buffer.from('{"t":"scores","from":0,"count":4}\n'),
    payload,
    Buffer.from('{"t":"end"}\n'),
  ]);
  framer.push(stream.subarray(0, 37));
  framer.push(stream.subarray(37));
  assert.deepEqual(lines, ['{"t":"scores","from":0,"count":4}', '{"t":"end"}']);
  assert.deepEqual(Array.from(got[0]), [1.5, -2, nlValue, 1e-300]);
});

test('an oversize line is reported once and skipped; the next line is delivered', () => {
  const { framer, events } = collect(100);
  framer.push(Buffer.from('ok\n' + 'x'.repeat(60)));
  framer.push(Buffer.from('y'.repeat(60)));
  framer.push(Buffer.from('z'.repeat(60) + '\nafter\n' + 'w'.repeat(150) + '\nend\n'));
  assert.deepEqual(events, [
    ['line', 'ok'],
    ['error', 'oversize'],
    ['line', 'after'],
    ['error', 'oversize'],
    ['line', 'end'],
  ]);
});

test('invalid UTF-8 is reported and the line skipped; a real U+FFFD passes', () => {
  const { framer, events } = collect();
  framer.push(Buffer.concat([Buffer.from('a\n'), Buffer.from([0x62, 0xc3, 0x28, 10]), Buffer.from('\ufffd\n')]));
  assert.deepEqual(events, [
    ['line', 'a'],
    ['error', 'utf8'],
    ['line', '\ufffd'],
  ]);
});

test('expectBinary refuses sizes over the cap', () => {
  const framer: LineFramer = new LineFramer(
    {
      onLine() {
        framer.expectBinary(1e9);
      },
      onError() {},
    },
    1000,
  );
  assert.throws(() => framer.push(Buffer.from('x\n')), /refused/);
});

test('memory stays bounded on a 400 MiB line with no newline', () => {
  const { framer, events } = collect(1024 * 1024);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let maxHeld = 0;
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 6400; i++) {
    framer.push(chunk);
    maxHeld = Math.max(maxHeld, framer.bufferedBytes);
  }
  const grown = process.memoryUsage().rss - before;
  framer.push(Buffer.from('\nnext\n'));
  assert.ok(maxHeld <= 1024 * 1024, `held ${maxHeld}`);
  assert.ok(grown < 100 * 1024 * 1024, `rss grew ${grown}`);
  assert.deepEqual(events, [
    ['error', 'oversize'],
    ['line', 'next'],
  ]);
});

const item = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => ({ line: s.replace(/\n/g, ' ') })),
  fc.uint8Array({ maxLength: 20 }).map((b) => ({ bin: Buffer.from(b) })),
  fc.integer({ min: 65, max: 200 }).map((n) => ({ line: 'o'.repeat(n) })),
  fc.constant({ raw: Buffer.from([0x80, 0x41]) }),
);

test('property: random chunking gives the same events as one push', () => {
  fc.assert(
    fc.property(
      fc.array(item, { maxLength: 30 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
      (items, cuts) => {
        const parts: Buffer[] = [];
        for (const it of items) {
          if ('line' in it) parts.push(Buffer.from(it.line + '\n'));
          else if ('bin' in it) parts.push(Buffer.from(`B${it.bin.length}\n`), it.bin);
          else parts.push(it.raw, Buffer.from('\n'));
        }
        const stream = Buffer.concat(parts);
        const whole = collect();
        whole.framer.push(stream);
        const chunked = collect();
        let pos = 0;
        for (let i = 0; pos < stream.length; i++) {
          const n = cuts[i % cuts.length];
          chunked.framer.push(stream.subarray(pos, pos + n));
          pos += n;
        }
        assert.deepEqual(chunked.events, whole.events);
        assert.deepEqual(chunked.framer.end(), { tornBytes: 0, binaryMissing: 0 });
        // and the events say what was sent
        const expected: Event[] = [];
        for (const it of items) {
          if ('line' in it) expected.push(Buffer.byteLength(it.line) > 64 ? ['error', 'oversize'] : ['line', it.line]);
          else if ('bin' in it) expected.push(['line', `B${it.bin.length}`], ['bin', it.bin.toString('hex')]);
          else expected.push(['error', 'utf8']);
        }
        assert.deepEqual(whole.events, expected);
      },
    ),
    { numRuns: 500 },
  );
});

test('throughput of the fast path (reported, not asserted)', () => {
  const line =
    '{"t":"step","step":1,"action":0,"reward":1,"increment":1,"observation":[0.1,0.2],"terminated":false,"truncated":false}\n';
  const chunk = Buffer.from(line.repeat(Math.floor(65536 / line.length)));
  const perChunk = Math.floor(65536 / line.length);
  let n = 0;
  const framer = new LineFramer({
    onLine() {
      n++;
    },
    onError() {},
  });
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) framer.push(chunk);
  const ms = performance.now() - t0;
  assert.equal(n, 2000 * perChunk);
  console.log(`framer: ${(n / ms / 1000).toFixed(2)} M lines/s (${line.length} bytes each)`);
});
