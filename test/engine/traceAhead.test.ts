// Trace files made ahead (src/engine/traceWriter.ts, openTraceAhead): a run makes its next episodes'
// files on the thread pool under a hidden name; the episode's writer renames the made file into
// place. What must hold on disk: the trace ends up under its own name with exactly the lines written,
// an existing trace is appended to and never replaced, and no hidden file outlives the run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dropTracesAhead, openTraceAhead, TraceWriter, traceWritesSettled } from '../../src/engine/traceWriter';
import { runEpisodes } from '../../src/engine/index';
import { request, tmpDir, trace } from './helpers';

/** A folder the writer knows (a first trace written into it), as a run's folder is. */
function runFolder(): string {
  const dir = path.join(tmpDir(), 'run');
  const w = new TraceWriter(path.join(dir, 'first.trace.jsonl'));
  w.addLine('{"first":true}');
  w.close();
  return dir;
}

const hidden = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('.'));

test('a trace made ahead is renamed into place and holds exactly the lines written', async () => {
  const dir = runFolder();
  const file = path.join(dir, 'next.trace.jsonl');
  openTraceAhead(file);
  await traceWritesSettled();
  assert.deepEqual(hidden(dir), ['.next.trace.jsonl.next'], 'made under a hidden name, not yet a trace');
  assert.equal(fs.existsSync(file), false);
  const w = new TraceWriter(file);
  assert.equal(w.repaired, 0);
  w.addLine('{"a":1}');
  w.addLine('{"b":2}');
  w.close();
  await traceWritesSettled();
  assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"b":2}\n');
  assert.deepEqual(hidden(dir), []);
});

test('an existing trace at the path is appended to (its torn tail cut), never replaced by the file made ahead', async () => {
  const dir = runFolder();
  const file = path.join(dir, 'again.trace.jsonl');
  fs.writeFileSync(file, '{"kept":true}\n{"torn":');
  openTraceAhead(file);
  await traceWritesSettled();
  const w = new TraceWriter(file);
  assert.equal(w.repaired, '{"torn":'.length);
  w.addLine('{"more":1}');
  w.close();
  await traceWritesSettled();
  assert.equal(fs.readFileSync(file, 'utf8'), '{"kept":true}\n{"more":1}\n');
  assert.deepEqual(hidden(dir), []);
});

test('a file made ahead for an episode that never starts is removed; none is made into an unknown folder', async () => {
  const dir = runFolder();
  const file = path.join(dir, 'never.trace.jsonl');
  openTraceAhead(file);
  dropTracesAhead([file]); // the open may still be running: it is removed when it completes
  const other = path.join(dir, 'later.trace.jsonl');
  openTraceAhead(other);
  await traceWritesSettled();
  dropTracesAhead([other]);
  await traceWritesSettled();
  assert.deepEqual(fs.readdirSync(dir), ['first.trace.jsonl']);
  const unknown = path.join(tmpDir(), 'elsewhere');
  fs.mkdirSync(unknown);
  openTraceAhead(path.join(unknown, 'x.trace.jsonl'));
  await traceWritesSettled();
  assert.deepEqual(fs.readdirSync(unknown), []);
});

test('a run leaves one complete trace per episode and nothing else in its folder', async () => {
  const res = await runEpisodes(request({ seeds: [1, 2, 3, 4, 5, 6], recording: 'scores', protocol: 'flag-only' }));
  assert.equal(res.episodes.length, 6);
  assert.deepEqual(fs.readdirSync(res.dir).sort(), res.episodes.map((e) => path.basename(e.trace)).sort());
  for (const e of res.episodes) {
    const t = trace(e.trace);
    assert.equal(t.header?.seed, e.seed);
    assert.equal(t.steps.length, e.steps);
    assert.equal(t.end?.reason, 'completed');
  }
});
