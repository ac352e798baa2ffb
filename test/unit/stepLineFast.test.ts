// The fast step-line reader (core/stepLineFast.ts) against the full parser (parseTraceLine): on
// every line it accepts it gives the same numbers bit for bit, and it accepts nothing the full
// parser refuses. Then the whole column read (extension/traceColumns.ts, which uses it) against
// core's readTrace on random traces with damaged lines, and its early preview.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { readEngineStepLine } from '../../src/core/stepLineFast';
import type { TraceStep } from '../../src/core/traceFormat';
import { parseTraceLine, readTrace } from '../../src/core/traceReader';
import { readTraceColumns, type TraceColumns } from '../../src/extension/traceColumns';
import { buildHeader } from './serverTraceBuilder';

const out = (): TraceStep => ({
  type: 'step',
  step: -1,
  increment: NaN,
  score: NaN,
  statistic: NaN,
  threshold: NaN,
  flag: false,
});

/** How the engine writes a scores-only step line (src/engine/episodeRecorder.ts): String() of each
 *  number, a non-finite threshold as null, the statistic's text reused when it equals the score. */
function engineLine(step: number, u: number, score: number, statistic: number, threshold: number, flag: boolean) {
  const s = String(score);
  const st = statistic === score ? s : String(statistic);
  const th = Number.isFinite(threshold) ? String(threshold) : 'null';
  return `{"type":"step","step":${step},"increment":${u},"score":${s},"statistic":${st},"threshold":${th},"flag":${flag}}`;
}

/** Both readers on one line: the fast one may decline, but when it accepts it agrees exactly. */
function agree(line: string): boolean {
  const buf = Buffer.from(line, 'utf8');
  const o = out();
  const fast = readEngineStepLine(buf, 0, buf.length, o);
  const full = parseTraceLine(line);
  if (!fast) return false;
  assert.ok(full.ok, `fast path accepted a line the full parser refuses: ${line}`);
  assert.equal(full.record.type, 'step');
  const r = full.record as TraceStep;
  for (const k of ['step', 'increment', 'score', 'statistic', 'threshold'] as const)
    assert.ok(Object.is(o[k], r[k]), `${k}: fast ${o[k]} vs full ${r[k]} in ${line}`);
  assert.equal(o.flag, r.flag);
  assert.equal(o.scene, undefined);
  return true;
}

const UNUSUAL = [
  0,
  -0,
  1,
  -1,
  0.1,
  0.1 + 0.2,
  -1e-7,
  1e21,
  -1e21,
  1.5e300,
  5e-324,
  -5e-324,
  2.2250738585072014e-308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  123456789012345680000,
  1e22,
  1e23,
  9007199254740993e-5,
  0.000001,
  1e-6,
  1.7976931348623157e308,
  4.35,
  1189.7070000020367,
];
const finite = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...UNUSUAL),
  fc.integer({ min: -1e9, max: 1e9 }).map((k) => k / 1000),
);

test("engine-written step lines: the fast path takes them and gives the full parser's numbers", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.nat(), fc.constantFrom(0, 999_999_999_999_999, 1e15, Number.MAX_SAFE_INTEGER)),
      finite,
      finite,
      fc.option(finite),
      fc.oneof(finite, fc.constant(-Infinity)),
      fc.boolean(),
      (step, u, score, statistic, threshold, flag) => {
        const line = engineLine(step, u, score, statistic ?? score, threshold, flag);
        const took = agree(line);
        // only a step number past 15 digits is left to the full parser
        assert.equal(took, String(step).length <= 15, line);
      },
    ),
    { numRuns: 3000 },
  );
});

/** Any text the JSON number grammar allows, including ones that overflow to Infinity. */
const jsonNumberText = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,25}$/)),
    fc.option(fc.stringMatching(/^[0-9]{1,25}$/)),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,4}$/))),
  )
  .map(
    ([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp ? exp.join('') : ''}`,
  );

test('any JSON number in any field: the same value as JSON.parse, or left to the full parser', () => {
  fc.assert(
    fc.property(jsonNumberText, fc.constantFrom('increment', 'score', 'statistic', 'threshold'), (text, field) => {
      const nums: Record<string, string> = { increment: '1', score: '2', statistic: '3', threshold: '-4' };
      nums[field] = text;
      const line = `{"type":"step","step":7,"increment":${nums.increment},"score":${nums.score},"statistic":${nums.statistic},"threshold":${nums.threshold},"flag":false}`;
      const took = agree(line);
      // a finite number is always taken; an overflow (1e400) is the full parser's error to report
      assert.equal(took, Number.isFinite(Number(text)), line);
    }),
    { numRuns: 3000 },
  );
});

test('damaged lines: the fast path never accepts what the full parser refuses', () => {
  const base = engineLine(12, -0.5, 3.25, 3.25, -10, false);
  const alphabet = '{}[]",:.-+eE0123456789 \tnulltruefalse\\\r\u00e9x';
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length), fc.nat(2), fc.constantFrom(...alphabet.split(''))), {
        minLength: 1,
        maxLength: 3,
      }),
      (edits) => {
        let line = base;
        for (const [at, kind, ch] of edits) {
          const i = at % (line.length + 1);
          if (kind === 0) line = line.slice(0, i) + ch + line.slice(i);
          else if (kind === 1) line = line.slice(0, i) + line.slice(i + 1);
          else line = line.slice(0, i) + ch + line.slice(i + 1);
        }
        agree(line);
      },
    ),
    { numRuns: 5000 },
  );
  // fields in another order, a duplicate key, spaces, a step written as 1e1 or 3.0: all left to the full parser
  for (const line of [
    '{"step":1,"type":"step","increment":1,"score":1,"statistic":1,"threshold":0,"flag":false}',
    '{"type":"step","step":1,"increment":1,"score":1,"statistic":1,"threshold":0,"flag":false,"score":2}',
    '{"type":"step", "step":1,"increment":1,"score":1,"statistic":1,"threshold":0,"flag":false}',
    '{"type":"step","step":1e1,"increment":1,"score":1,"statistic":1,"threshold":0,"flag":false}',
    '{"type":"step","step":3.0,"increment":1,"score":1,"statistic":1,"threshold":0,"flag":false}',
    '{"type":"step","step":1,"increment":1,"score":1,"statistic":1,"threshold":0,"flag":false,"scene":null}',
    '{"type":"step","step":1,"increment":1,"score":1e999,"statistic":1,"threshold":0,"flag":false}',
  ])
    assert.equal(agree(line), false, line);
});

/** A random trace: engine step lines, some damaged (bad JSON, a step going back, a duplicate
 *  flag, a CR, an empty line) and maybe a torn tail. */
const traceText = fc
  .tuple(
    fc.array(fc.tuple(finite, fc.nat(30)), { minLength: 0, maxLength: 60 }),
    fc.boolean(),
    fc.option(fc.constantFrom('{"type":"step","st', '{"type":"episode_end"', 'x')),
  )
  .map(([steps, withEnd, torn]) => {
    const lines = [JSON.stringify(buildHeader({ maxSteps: 100, recording: 'scores' })), '{"type":"reset"}'];
    let score = 0;
    let step = 0;
    let flagged: number | null = null;
    for (const [u, damage] of steps) {
      score += u;
      const flag = flagged === null && score < -10;
      if (flag) flagged = step;
      let line = engineLine(step, u, score, score, -10, flag);
      if (damage === 0) line = line.slice(0, -1);
      else if (damage === 1) line = engineLine(Math.max(0, step - 1), u, score, score, -10, false);
      else if (damage === 2) line += '\r';
      // (one empty line at a time: a run of them is one problem here and one per line in readTrace)
      else if (damage === 3 && lines[lines.length - 1] !== '') line = '';
      else if (damage === 4) line = engineLine(step, u, score, score, -10, true);
      else if (damage === 5) line = line.replace('"flag"', '"flag" ');
      lines.push(line);
      step++;
    }
    if (withEnd)
      lines.push(
        JSON.stringify({
          type: 'episode_end',
          reason: 'completed',
          steps: step,
          score,
          flaggedStep: flagged,
          durationMs: 1,
        }),
      );
    return lines.join('\n') + '\n' + (torn ?? '');
  });

function sameColumns(c: TraceColumns, text: string): void {
  const r = readTrace(Buffer.from(text, 'utf8'));
  assert.equal(c.steps, r.steps.length);
  const col = (k: 'increment' | 'score' | 'statistic' | 'threshold') => r.steps.map((s) => s[k]);
  const same = (a: Float64Array, b: number[], what: string) =>
    assert.ok(
      b.every((x, i) => Object.is(a[i], x)),
      what,
    );
  same(c.increments, col('increment'), 'increments');
  same(c.scores, col('score'), 'scores');
  same(c.statistics, col('statistic'), 'statistics');
  same(c.thresholds, col('threshold'), 'thresholds');
  const numbers = r.steps.map((s) => s.step);
  assert.deepEqual(c.stepNumbers ? [...c.stepNumbers] : numbers.map((_, i) => i), numbers);
  assert.equal(c.flaggedRecord, r.steps.findIndex((s) => s.flag) < 0 ? null : r.steps.find((s) => s.flag)!.step);
  assert.deepEqual(c.end, r.end);
  assert.deepEqual(
    c.problems.map((p) => [p.line, p.kind]),
    r.problems.map((p) => [p.line, p.kind]),
  );
}

test('column read = the full reader on random traces with damaged lines', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-fastcols-'));
  try {
    const file = path.join(dir, 'r.trace.jsonl');
    await fc.assert(
      fc.asyncProperty(traceText, async (text) => {
        fs.writeFileSync(file, text);
        sameColumns(await readTraceColumns(file), text);
      }),
      { numRuns: 300 },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a multi-chunk trace: the preview comes before the end and holds the first steps exactly', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-preview-'));
  try {
    const file = path.join(dir, 'p.trace.jsonl');
    const lines = [JSON.stringify(buildHeader({ maxSteps: 60_000, recording: 'scores' })), '{"type":"reset"}'];
    let score = 0;
    for (let t = 0; t < 60_000; t++) {
      const u = Math.sin(t / 100) * 1.37 - 0.001;
      score += u;
      lines.push(engineLine(t, u, score, score, -1e9, false));
    }
    lines.push(
      JSON.stringify({
        type: 'episode_end',
        reason: 'completed',
        steps: 60_000,
        score,
        flaggedStep: null,
        durationMs: 1,
      }),
    );
    const text = lines.join('\n') + '\n';
    fs.writeFileSync(file, text);
    const previews: TraceColumns[] = [];
    let previewedAt = -1;
    const all = await readTraceColumns(file, (c, progress) => {
      previews.push(c);
      previewedAt = progress.bytesRead;
    });
    sameColumns(all, text);
    assert.equal(previews.length, 1);
    const p = previews[0];
    assert.ok(p.steps > 0 && p.steps < all.steps, `preview of ${p.steps} steps`);
    assert.equal(p.end, null);
    assert.equal(p.header?.episodeId, all.header?.episodeId);
    assert.deepEqual([...p.scores], [...all.scores.subarray(0, p.steps)]);
    assert.deepEqual([...p.lineStart], [...all.lineStart.subarray(0, p.steps)]);
    // the first read is small (128 KiB): the early view does not wait for a cold parse of a whole MiB
    assert.ok(previewedAt > 0 && previewedAt <= 128 * 1024, `preview after ${previewedAt} bytes`);
    // a trace read in one chunk has no preview
    const small = path.join(dir, 's.trace.jsonl');
    fs.writeFileSync(small, lines.slice(0, 100).join('\n') + '\n');
    let called = false;
    await readTraceColumns(small, () => (called = true));
    assert.equal(called, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
