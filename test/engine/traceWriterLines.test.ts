// The trace writer's line buffer (src/engine/traceWriter.ts, scoresLine.ts): what reaches the file is
// exactly the lines queued, whatever their size (lines longer than the buffer, multi-byte UTF-8, lines
// built byte by byte mixed with text lines), across writers that reuse each other's buffers. And the
// scores-only step line built byte by byte is the same text the engine wrote with a template string,
// which core's readers parse to the engine's numbers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { TraceWriter } from '../../src/engine/traceWriter';
import { addScoresLine, scoresLineTail } from '../../src/engine/scoresLine';
import { parseTraceLine } from '../../src/core/traceReader';
import type { TraceStep } from '../../src/core/traceFormat';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'om-writer-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** The line as the engine wrote it before the byte writer (a template string of String() texts). The
 *  byte writer formats the numbers itself (numberBytes.ts); this checks it against String(). */
function templateLine(step: number, u: number, score: number, statistic: number, threshold: number, flag: boolean) {
  const s = String(score);
  const st = statistic === score ? s : String(statistic);
  const th = Number.isFinite(threshold) ? String(threshold) : 'null';
  return `{"type":"step","step":${step},"increment":${u},"score":${s},"statistic":${st},"threshold":${th},"flag":${flag}}`;
}

function addTemplateScores(w: TraceWriter, l: [number, number, number, number, number, boolean]): string {
  const [step, u, score, statistic, threshold, flag] = l;
  const th = Number.isFinite(threshold) ? String(threshold) : 'null';
  addScoresLine(w, step, u, score, statistic, scoresLineTail(th, flag));
  return templateLine(step, u, score, statistic, threshold, flag);
}

const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
/** what scores are made of: any double, a running sum, a short decimal, a whole number */
const finite = fc.oneof(
  anyDouble,
  fc
    .array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 50 })
    .map((xs) => xs.reduce((a, b) => a + b, 0)),
  fc.tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 12 })).map(([m, k]) => m / 10 ** k),
  fc.integer({ min: -1e15, max: 1e15 }),
);
/** step, increment, score, statistic (half the time the score itself: the fixed detector), threshold, flag */
const scoresArgs = fc
  .tuple(
    fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    finite,
    finite,
    fc.option(finite, { nil: null }),
    fc.oneof(finite, fc.constant(-Infinity)),
    fc.boolean(),
  )
  .map(
    ([i, u, score, statistic, threshold, flag]) =>
      [i, u, score, statistic ?? score, threshold, flag] as [number, number, number, number, number, boolean],
  );
/** a text line (any JSON string value, so multi-byte and astral characters too), or a scores line */
const lineArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map((s) => ({ text: JSON.stringify(s) })) },
  { weight: 3, arbitrary: scoresArgs.map((scores) => ({ scores })) },
  { weight: 1, arbitrary: fc.integer({ min: 200_000, max: 700_000 }).map((len) => ({ text: `"${'é'.repeat(len)}"` })) },
);

test('the file holds exactly the queued lines: text lines of any size and byte-built lines, flushed at any point', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(lineArb, fc.boolean()), { maxLength: 60 }), (items) => {
      const file = path.join(tmp, `t${n++}.jsonl`);
      const w = new TraceWriter(file);
      const expected: string[] = [];
      for (const [item, flushNow] of items) {
        if ('text' in item) {
          w.addLine(item.text);
          expected.push(item.text);
        } else expected.push(addTemplateScores(w, item.scores));
        if (flushNow) w.flush();
      }
      w.close();
      assert.equal(fs.readFileSync(file, 'utf8'), expected.map((l) => l + '\n').join(''));
      fs.rmSync(file);
    }),
    { numRuns: 60 },
  );
});

test('a byte-built scores line is the template line, and core reads it back to the same numbers', () => {
  fc.assert(
    fc.property(scoresArgs, (args) => {
      const file = path.join(tmp, `s${n++}.jsonl`);
      const w = new TraceWriter(file);
      const line = addTemplateScores(w, args);
      w.close();
      const text = fs.readFileSync(file, 'utf8');
      fs.rmSync(file);
      assert.equal(text, line + '\n');
      const r = parseTraceLine(line);
      assert.ok(r.ok, line);
      const step = r.record as TraceStep;
      const [i, u, score, statistic, threshold, flag] = args;
      assert.equal(step.step, i);
      // JSON has no -0: String(-0) is "0", as JSON.stringify writes it
      for (const [got, want] of [
        [step.increment, u],
        [step.score, score],
        [step.statistic, statistic],
        [step.threshold, threshold],
      ] as const)
        assert.ok(Object.is(got, want) || (want === 0 && got === 0), `${got} vs ${want} in ${line}`);
      assert.equal(step.flag, flag);
    }),
    { numRuns: 500 },
  );
});
