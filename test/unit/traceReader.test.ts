import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  indexLines,
  lineOfStep,
  lineText,
  MAX_TRACE_LINE,
  parseTraceLine,
  readTrace,
  type TraceProblem,
} from '../../src/core/traceReader';
import { end, header, reset, steps, traceText } from './traceFixtures';

const line = (r: unknown) => JSON.stringify(r);
/** damage: anything but the tolerated torn tail and a still-running episode */
const isCorruption = (p: TraceProblem) => p.kind !== 'torn' && p.kind !== 'incomplete';

test('a complete trace reads back every record with no problems', () => {
  const text = traceText([1, 2, -5, 0.5], 2);
  for (const input of [text, Buffer.from(text)]) {
    const r = readTrace(input);
    assert.deepEqual(r.problems, []);
    assert.equal(r.header?.runId, 'run-1');
    assert.deepEqual(r.reset?.observation, { x: 0, name: 'é漢😀' });
    assert.deepEqual(
      r.steps.map((s) => s.score),
      [1, 3, -2, -1.5],
    );
    assert.equal(r.end?.reason, 'completed');
    assert.equal(r.end?.flaggedStep, 2);
    assert.equal(r.headerLine, 0);
    assert.equal(r.resetLine, 1);
    assert.equal(r.endLine, 6);
    assert.equal(lineOfStep(r, 0), 2);
    assert.equal(lineOfStep(r, 3), 5);
    assert.equal(lineOfStep(r, 4), -1);
    assert.equal(r.tornTail, false);
  }
});

test('line offsets point at each line in bytes for a Buffer and in characters for a string', () => {
  const text = traceText([1, 2]);
  const buf = Buffer.from(text);
  const ib = indexLines(buf);
  const is = indexLines(text);
  assert.equal(ib.starts.length, 5);
  assert.equal(is.starts.length, 5);
  for (let i = 0; i < 5; i++) assert.equal(lineText(buf, ib, i), lineText(text, is, i));
  // the reset line holds non-ASCII text, so byte and character offsets of later lines differ
  assert.ok(ib.starts[2] > is.starts[2]);
  assert.equal(buf.toString('utf8', ib.starts[2], ib.ends[2]), text.slice(is.starts[2], is.ends[2]));
});

test('a missing episode_end is reported as incomplete, not as corruption', () => {
  const st = steps([1, 1]);
  const text = [header(), reset, ...st].map((r) => line(r) + '\n').join('');
  const r = readTrace(text);
  assert.equal(r.steps.length, 2);
  assert.equal(r.end, null);
  assert.deepEqual(
    r.problems.map((p) => [p.kind, p.line]),
    [['incomplete', 3]],
  );
  assert.equal(r.problems.filter(isCorruption).length, 0);
});

test('one torn last line is tolerated and never becomes a record, even when it is valid JSON', () => {
  const st = steps([1, 1, 1]);
  const text = [header(), reset, st[0], st[1]].map((r) => line(r) + '\n').join('') + line(st[2]);
  const r = readTrace(text);
  assert.equal(r.steps.length, 2);
  assert.equal(r.tornTail, true);
  assert.deepEqual(r.problems.map((p) => p.kind).sort(), ['incomplete', 'torn']);
  assert.equal(r.problems.find((p) => p.kind === 'torn')?.line, 4);
});

test('trailing empty lines are tolerated; an empty line in the middle is malformed', () => {
  const text = traceText([1]);
  assert.deepEqual(readTrace(text + '\n\n').problems, []);
  const lines = text.split('\n');
  lines.splice(2, 0, '');
  const r = readTrace(lines.join('\n'));
  assert.deepEqual(
    r.problems.map((p) => [p.kind, p.line]),
    [['malformed', 2]],
  );
  assert.equal(r.steps.length, 1);
});

test('CRLF, BOM, NUL and invalid UTF-8 are reported with clear messages', () => {
  const text = traceText([1, 2]);
  const crlf = readTrace(text.replace(/\n/g, '\r\n'));
  assert.equal(crlf.problems.filter((p) => p.kind === 'malformed').length, 5);
  assert.match(crlf.problems[0].message, /CRLF/);
  const bom = readTrace('\ufeff' + text);
  assert.deepEqual(
    bom.problems.map((p) => [p.kind, p.line]),
    [['malformed', 0]],
  );
  assert.match(bom.problems[0].message, /byte-order mark/);
  const nul = readTrace(text.replace('"right"', '"ri\u0000ght"'));
  assert.equal(nul.problems[0].kind, 'malformed');
  assert.match(nul.problems[0].message, /invalid JSON/);
  const bytes = Buffer.from(text);
  const at = bytes.indexOf('right');
  bytes[at] = 0xff;
  const bad = readTrace(bytes);
  // the damaged step 0 is reported; the later steps still read (with the gap reported)
  assert.deepEqual(
    bad.problems.map((p) => [p.kind, p.line]),
    [
      ['malformed', 2],
      ['order', 3],
      ['inconsistent', 4],
    ],
  );
  assert.equal(bad.problems[0].message, 'line is not valid UTF-8');
  assert.deepEqual(
    bad.steps.map((s) => s.step),
    [1],
  );
});

test('step indices must strictly increase from 0; gaps and repeats are order problems', () => {
  const st = steps([1, 1, 1, 1]);
  const recs = [header(), reset, st[0], st[2], st[2], st[1], st[3], end(st)];
  const r = readTrace(recs.map((x) => line(x) + '\n').join(''));
  assert.deepEqual(
    r.steps.map((s) => s.step),
    [0, 2, 3],
  );
  const order = r.problems.filter((p) => p.kind === 'order');
  assert.deepEqual(
    order.map((p) => p.line),
    [3, 4, 5],
  );
  assert.match(order[0].message, /expected step 1, found step 2: step 1 is missing/);
  assert.match(order[1].message, /step 2 out of order/);
  assert.deepEqual(
    r.problems.filter((p) => p.kind === 'inconsistent').map((p) => p.line),
    [7],
  );
});

test('records after episode_end, a second header and a missing header are order problems', () => {
  const st = steps([1]);
  const t1 = [header(), reset, st[0], end(st), st[0]].map((x) => line(x) + '\n').join('');
  const r1 = readTrace(t1);
  assert.deepEqual(
    r1.problems.map((p) => [p.kind, p.line]),
    [['order', 4]],
  );
  const t2 = [reset, st[0], end(st)].map((x) => line(x) + '\n').join('');
  const r2 = readTrace(t2);
  assert.deepEqual(
    r2.problems.map((p) => [p.kind, p.line]),
    [['order', 0]],
  );
  assert.match(r2.problems[0].message, /header/);
});

test('parseTraceLine names the field and what was expected', () => {
  const st = steps([1])[0];
  const cases: [unknown, RegExp][] = [
    [{ ...st, score: '3' }, /step: field 'score' must be a finite number, got "3"/],
    [{ ...st, statistic: null }, /field 'statistic' must be a finite number, got null/],
    [{ ...st, step: -1 }, /field 'step' must be an integer >= 0/],
    [{ ...st, step: 1.5 }, /field 'step' must be an integer >= 0/],
    [{ ...st, flag: undefined }, /missing field 'flag'/],
    [
      { type: 'episode_end', reason: 'exploded', steps: 0, score: 0, flaggedStep: null, durationMs: 1 },
      /field 'reason' must be one of completed, /,
    ],
    [{ ...header(), version: 2 }, /unsupported trace version 2/],
    [{ ...header(), detector: { kind: 'window' } }, /header.detector: missing field 'window'/],
    [{ ...header(), protocol: 'halt' }, /header.protocol must be "stop"/],
    [{ ...header(), distribution: 'test' }, /'distribution' must be "calibration" or "deployment"/],
    [{ type: 'nope' }, /field 'type' must be "header", "reset", "step" or "episode_end", got "nope"/],
    [[1, 2], /expected a JSON object record, got an array/],
  ];
  for (const [rec, re] of cases) {
    const p = parseTraceLine(JSON.stringify(rec));
    assert.equal(p.ok, false, JSON.stringify(rec));
    if (!p.ok) assert.match(p.message, re);
  }
  const inf = parseTraceLine(JSON.stringify(st).replace('"score":1', '"score":1e999'));
  assert.ok(!inf.ok && /non-finite Infinity/.test(inf.message));
  const syntax = parseTraceLine('{"type":"step",}');
  assert.ok(!syntax.ok && syntax.column === 15, JSON.stringify(syntax));
  assert.ok(parseTraceLine(JSON.stringify({ ...st, extraField: 1 })).ok, 'unknown fields are allowed');
  // -Infinity thresholds (never alarm) travel through JSON as null and come back as -Infinity
  const never = parseTraceLine(JSON.stringify({ ...st, threshold: -Infinity }));
  assert.ok(never.ok && never.record.type === 'step' && never.record.threshold === -Infinity);
  const h = parseTraceLine(JSON.stringify(header({ detector: { kind: 'fixed', threshold: -Infinity } })));
  assert.ok(
    h.ok &&
      h.record.type === 'header' &&
      h.record.detector.kind === 'fixed' &&
      h.record.detector.threshold === -Infinity,
  );
});

test('overlong lines and deep nesting are rejected without throwing', () => {
  const long = '{"type":"reset","observation":"' + 'x'.repeat(MAX_TRACE_LINE) + '"}';
  const p = parseTraceLine(long);
  assert.ok(!p.ok && /limit/.test(p.message));
  const r = readTrace(Buffer.from(line(header()) + '\n' + long + '\n'));
  assert.match(r.problems[0].message, /bytes long; the limit is/);
  const deep = '['.repeat(500_000) + ']'.repeat(500_000);
  const t0 = performance.now();
  const d = parseTraceLine(deep);
  assert.ok(!d.ok);
  // linear time is what keeps this fast; the time is reported, not asserted (a shared machine under load)
  console.log(`1M-character nesting rejected in ${(performance.now() - t0).toFixed(0)} ms`);
});

test('property: cutting a valid trace at every byte offset yields exactly the complete lines', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 0, maxLength: 6 }), (incs) => {
      const text = traceText(incs, incs.length > 1 ? 1 : -1);
      const full = Buffer.from(text);
      const allLines = text.split('\n').slice(0, -1);
      for (let cut = 0; cut <= full.length; cut++) {
        const r = readTrace(full.subarray(0, cut));
        const nComplete = full.subarray(0, cut).toString('latin1').split('\n').length - 1;
        const got = r.lines.starts.length - (r.tornTail ? 1 : 0);
        assert.equal(got, nComplete);
        const records = [r.header, r.reset, ...r.steps, r.end].filter((x) => x !== null);
        assert.deepEqual(
          records.map((x) => JSON.stringify(x)),
          allLines.slice(0, nComplete),
        );
        assert.equal(r.problems.filter(isCorruption).length, 0, JSON.stringify(r.problems));
        assert.ok(r.problems.filter((p) => p.kind === 'torn').length <= 1);
        assert.equal(r.tornTail, cut > 0 && full[cut - 1] !== 10);
      }
    }),
    { numRuns: 25 },
  );
});

test('property: random garbage never throws and every bad line is reported', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
      ),
      (junk) => {
        const text = junk.map((j) => j.replace(/\n/g, ' ')).join('\n') + '\n';
        const r1 = readTrace(text);
        const r2 = readTrace(Buffer.from(text, 'latin1'));
        for (const r of [r1, r2]) {
          assert.ok(Array.isArray(r.problems));
          const records = [r.header, r.reset, r.end].filter((x) => x !== null).length + r.steps.length;
          // every non-empty line is either a record or reported
          const reportedLines = new Set(r.problems.filter((p) => p.kind !== 'incomplete').map((p) => p.line));
          assert.ok(records + reportedLines.size >= r.lines.starts.length - countTrailingEmpty(text));
        }
      },
    ),
    { numRuns: 300 },
  );
});

function countTrailingEmpty(text: string): number {
  const parts = text.split('\n').slice(0, -1);
  let n = 0;
  for (let i = parts.length - 1; i >= 0 && parts[i] === ''; i--) n++;
  return n;
}

test('a 100k-step trace reads in well under a few seconds', () => {
  const incs = Array.from({ length: 100_000 }, (_, i) => (i % 7) - 3);
  const st = steps(incs);
  const text = [
    header(),
    reset,
    ...st.map((s) => ({
      type: 'step',
      step: s.step,
      increment: s.increment,
      score: s.score,
      statistic: 0,
      threshold: -1,
      flag: false,
    })),
    end(st),
  ]
    .map((r) => JSON.stringify(r) + '\n')
    .join('');
  const buf = Buffer.from(text);
  const t0 = performance.now();
  const idx = indexLines(buf);
  const tIndex = performance.now() - t0;
  const r = readTrace(buf);
  const tRead = performance.now() - t0 - tIndex;
  assert.equal(idx.starts.length, 100_003);
  assert.equal(r.steps.length, 100_000);
  assert.deepEqual(r.problems, []);
  console.log(
    `100k steps, ${(buf.length / 1e6).toFixed(1)} MB: index ${tIndex.toFixed(1)} ms, read ${tRead.toFixed(0)} ms`,
  );
});
