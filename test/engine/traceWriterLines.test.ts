// The trace writer's line buffer (src/engine/traceWriter.ts, scoresLine.ts, fullStepLine.ts): what
// reaches the file is exactly the lines queued, whatever their size (lines longer than the buffer,
// multi-byte UTF-8, lines built byte by byte mixed with text lines), across writers that reuse each
// other's buffers. The scores-only step line built byte by byte is the same text the engine wrote with
// a template string, which core's readers parse to the engine's numbers; so is a full recording's step
// line, the runner's record spliced in after the engine's fields.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { TraceWriter } from '../../src/engine/traceWriter';
import { addScoresLine, scoresLineTail } from '../../src/engine/scoresLine';
import { addFullStepLine } from '../../src/engine/fullStepLine';
import { parseTraceLine, readTrace } from '../../src/core/traceReader';
import type { TraceHeader, TraceStep } from '../../src/core/traceFormat';
import type { RunnerRecord } from '../../src/core/wire';
import { createMonitor } from '../../src/core/detectors';
import { EpisodeRecorder } from '../../src/engine/episodeRecorder';

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

/** A runner's step record (the Node runner's key order): any JSON for action, observation and info,
 *  strings with multi-byte and astral characters among them. */
const runnerRecord = fc.record({
  action: fc.jsonValue({ maxDepth: 3 }),
  reward: finite,
  observation: fc.jsonValue({ maxDepth: 3 }),
  info: fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
  terminated: fc.boolean(),
  truncated: fc.boolean(),
});

test('a byte-built full step line is the engine fields of the template line, then the runner record as received', () => {
  fc.assert(
    fc.property(scoresArgs, runnerRecord, fc.boolean(), (args, body, flushFirst) => {
      const [step, u, score, statistic, threshold, flag] = args;
      const th = Number.isFinite(threshold) ? String(threshold) : 'null';
      const line = JSON.stringify({ t: 'step', step, increment: u, ...body });
      const file = path.join(tmp, `f${n++}.jsonl`);
      const w = new TraceWriter(file);
      w.addLine('{"type":"reset"}');
      if (flushFirst) w.flush();
      assert.equal(addFullStepLine(w, step, u, score, statistic, scoresLineTail(th, flag, true), line), true);
      w.close();
      const text = fs.readFileSync(file, 'utf8');
      fs.rmSync(file);
      // the line the engine built as a string before: its own fields, a comma, the runner's rest
      const runnerHead = `{"t":"step","step":${step},"increment":${u},`;
      const expected =
        templateLine(step, u, score, statistic, threshold, flag).slice(0, -1) + ',' + line.slice(runnerHead.length);
      assert.equal(text, '{"type":"reset"}\n' + expected + '\n');
      const r = parseTraceLine(expected);
      assert.ok(r.ok, expected);
      assert.deepEqual((r.record as TraceStep).observation, JSON.parse(line).observation);
    }),
    { numRuns: 500 },
  );
});

test("a runner line whose head is not exactly the engine's step and increment text is not spliced byte by byte", () => {
  const file = path.join(tmp, `g${n++}.jsonl`);
  const w = new TraceWriter(file);
  const tail = scoresLineTail('null', false, true);
  const body = '"action":1,"reward":0,"observation":[1],"terminated":false,"truncated":false}';
  for (const line of [
    `{"t":"step","step":3,"increment":1.50,${body}`, // the same number, another text
    `{"t":"step","step":3,"increment":1.5e0,${body}`,
    `{"t":"step","step":03,"increment":1.5,${body}`,
    `{"t":"step","step":4,"increment":1.5,${body}`, // another step
    `{"t":"step","step":3,"increment":1.25,${body}`, // another increment
    `{"t":"step", "step":3,"increment":1.5,${body}`,
    `{"step":3,"t":"step","increment":1.5,${body}`,
    '{"t":"step","step":3,"increment":1.5}',
    `{"t":"step","step":3,"increment":1.5,"observation":"${'x'.repeat(300_000)}"}`, // longer than the buffer
  ])
    assert.equal(addFullStepLine(w, 3, 1.5, 2, 2, tail, line), false, line.slice(0, 60));
  assert.equal(addFullStepLine(w, 3, 1.5, 2, 2, tail, `{"t":"step","step":3,"increment":1.5,${body}`), true);
  w.close();
  // nothing of the refused lines reached the file
  assert.equal(
    fs.readFileSync(file, 'utf8'),
    `{"type":"step","step":3,"increment":1.5,"score":2,"statistic":2,"threshold":null,"flag":false,${body}\n`,
  );
});

test('writeSoon() holds lines until 64 KiB are queued (or 20 ms passed); flush() and close() write them all', () => {
  const file = path.join(tmp, `w${n++}.jsonl`);
  const t0 = Date.now();
  const w = new TraceWriter(file);
  const line = JSON.stringify({ type: 'step', pad: 'y'.repeat(1000) });
  w.addLine(line);
  w.writeSoon();
  // only meaningful when this ran inside the 20 ms (a stalled machine may take longer)
  if (Date.now() - t0 < 20) assert.equal(fs.statSync(file).size, 0, 'one small line is held');
  for (let i = 1; i < 70; i++) w.addLine(line);
  w.writeSoon();
  assert.equal(fs.statSync(file).size, 70 * (line.length + 1), 'written once 64 KiB are queued');
  w.addLine(line);
  w.flush();
  assert.equal(fs.statSync(file).size, 71 * (line.length + 1));
  w.addLine(line);
  w.close();
  assert.equal(fs.readFileSync(file, 'utf8'), (line + '\n').repeat(72));
});

test('the recorder holds the lines of records read close together until its ticker (flushEvents) or the end', () => {
  const file = path.join(tmp, `r${n++}.jsonl`);
  const header = { type: 'header', runId: 'r', episodeId: 'e', seed: 1 } as unknown as TraceHeader;
  const rec = new EpisodeRecorder({
    runId: 'r',
    episodeId: 'e',
    seed: 1,
    trace: file,
    header,
    recording: 'full',
    protocol: 'flag-only',
    maxSteps: 100,
    monitor: createMonitor({ kind: 'fixed', threshold: -1e9 }, null),
    memoryLimitMb: 256,
    emit: () => {},
  });
  const send = (r: Record<string, unknown>) => {
    const line = JSON.stringify(r);
    rec.record(JSON.parse(line) as RunnerRecord, line);
  };
  send({ t: 'reset', episodeId: 'e', observation: [0], info: {} });
  for (let step = 0; step < 10; step++)
    send({
      t: 'step',
      step,
      increment: 0.5,
      action: 1,
      reward: 0.5,
      observation: [step],
      terminated: false,
      truncated: false,
    });
  // records are queued, not written one by one: the ticker's flushEvents writes them
  assert.equal(readTrace(fs.readFileSync(file)).steps.length, 0);
  rec.flushEvents();
  const t = readTrace(fs.readFileSync(file));
  assert.deepEqual(
    t.steps.map((s) => [s.step, s.score, s.observation]),
    [...Array(10).keys()].map((i) => [i, 0.5 * (i + 1), [i]]),
  );
  send({ t: 'end', episodeId: 'e', reason: 'completed', steps: 10 });
  rec.finish();
  assert.equal(readTrace(fs.readFileSync(file)).end?.steps, 10);
});
