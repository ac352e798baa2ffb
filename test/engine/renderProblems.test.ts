// A display problem never stops monitoring (issue 9): a render() that throws or returns something
// unusable costs the scene, never the step. The episode goes on, monitored and recorded; the trace
// notes the problem once (what came back, what was expected, file and line); Gymnasium-style
// returns (a string, an RGB array) are frames. Real runner children, Node and Python.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { computeCalibration } from '../../src/engine/calibrationStore';
import { runEpisodes } from '../../src/engine/index';
import type { EngineEvent } from '../../src/shared/engineEvents';
import type { LoadedScenario } from '../../src/core/scenario';
import type { TraceReadResult } from '../../src/core/traceReader';
import { fixture, problems, request, tmpDir, trace } from './helpers';
import { FIX, fx } from './pythonHarness';

const root = path.resolve(__dirname, '../..');

async function runWith(render: string, events: EngineEvent[] = []): Promise<TraceReadResult & { reason: string }> {
  const req = request({
    spec: { environment: { module: 'renderEnv', options: { render, length: 6 } } },
    seeds: [1],
    events,
  });
  const r = await runEpisodes(req);
  return { ...trace(r.episodes[0].trace), reason: r.episodes[0].reason };
}

/** The records carrying a sceneProblem (reset and steps), to check it is noted once. */
function noted(t: TraceReadResult) {
  return [t.reset, ...t.steps].filter((r) => r?.sceneProblem !== undefined);
}

test('render() that throws: every step monitored and recorded without scenes, the problem noted once with file and line', async () => {
  const events: EngineEvent[] = [];
  const t = await runWith('throw', events);
  assert.equal(t.reason, 'completed');
  assert.deepEqual(problems(t), []);
  assert.equal(t.steps.length, 6);
  assert.ok(t.steps.every((s) => s.scene === undefined && typeof s.score === 'number'));
  const [first] = noted(t);
  assert.equal(noted(t).length, 1);
  assert.equal(first, t.reset);
  const p = t.reset!.sceneProblem!;
  assert.match(p.message, /^render\(\) threw at reset: no display attached/);
  assert.equal(path.basename(p.file!), 'renderEnv.ts');
  assert.equal(p.line, 19);
  assert.equal(t.end?.sceneProblem?.message, p.message);
  assert.equal(events.filter((e) => e.type === 'scene_problem').length, 1);
});

test('render() returning something unusable says what came back and what was expected', async () => {
  const n = await runWith('number');
  assert.equal(n.reason, 'completed');
  assert.match(
    n.reset!.sceneProblem!.message,
    /render\(\) returned number 42; expected a scene \{ width, height, shapes: \[\.\.\.\] \}, a string \(a text frame\) or an RGB array/,
  );
  const bad = await runWith('badShapes');
  assert.equal(bad.reason, 'completed');
  assert.match(
    bad.reset!.sceneProblem!.message,
    /render\(\) returned an object with shapes but without numeric width and height/,
  );
  assert.equal(noted(bad).length, 1);
  // a renderer that breaks mid-episode: the scenes before are kept, the problem sits on its step
  const later = await runWith('laterThrow');
  assert.equal(later.reason, 'completed');
  assert.ok(later.reset?.scene && later.steps[1].scene);
  assert.equal(noted(later).length, 1);
  assert.match(later.steps[2].sceneProblem!.message, /^render\(\) threw at step 2: renderer lost at step 3/);
  assert.ok(later.steps.slice(2).every((s) => s.scene === undefined));
});

test('Gymnasium-style returns: a string is a text frame, an RGB array (nested or { width, height, data }) an image frame', async () => {
  const s = await runWith('string');
  const text = s.steps[0].scene!.shapes[0];
  assert.equal(text.kind, 'text');
  assert.ok(text.kind === 'text' && text.mono && text.text === '@..G\nstep 1', JSON.stringify(text));
  const nested = await runWith('rgbNested');
  const img = nested.steps[0].scene!.shapes[0];
  assert.ok(
    img.kind === 'image' && img.cols === 6 && img.rows === 4 && Buffer.from(img.rgb, 'base64').length === 6 * 4 * 3,
  );
  assert.deepEqual([...Buffer.from(img.kind === 'image' ? img.rgb : '', 'base64').subarray(3, 6)], [40, 0, 255]);
  const typed = await runWith('rgbTyped');
  const big = typed.steps[0].scene!.shapes[0];
  assert.ok(
    big.kind === 'image' && big.w === 100 && big.h === 80 && big.cols <= 64 && big.rows <= 64,
    JSON.stringify({ ...big, rgb: undefined }),
  );
  for (const t of [s, nested, typed]) assert.equal(noted(t).length, 0);
});

test('calibrate checks render() on the first calibration episode (scores only) and reports the problem', async () => {
  const dir = tmpDir();
  for (const f of ['renderEnv.ts', 'counterEnv.ts', 'goAgent.ts', 'doubleObjective.ts'])
    fs.copyFileSync(fixture(f), path.join(dir, f));
  const base = request({
    spec: {
      environment: { module: 'renderEnv', options: { render: 'number', length: 5 } },
      calibration: { seeds: { from: 0, count: 6 } },
    },
  }).scenario;
  const scenario: LoadedScenario = { ...base, dir, file: path.join(dir, 'fixture.scenario.json') };
  const events: EngineEvent[] = [];
  const r = await computeCalibration({
    scenario,
    agent: { name: 'go', module: path.join(dir, 'goAgent.ts'), options: {} },
    alpha: 0.2,
    outDir: dir,
    limits: { startupTimeoutMs: 10_000, stepTimeoutMs: 2000, episodeTimeoutMs: 30_000, memoryLimitMb: 256 },
    workers: 1,
    onEvent: (e) => events.push(e),
  });
  assert.equal(r.failed, 0);
  const found = events.filter((e) => e.type === 'scene_problem');
  assert.equal(found.length, 1, 'checked on the first episode only');
  assert.ok(found[0].type === 'scene_problem' && /returned number 42/.test(found[0].problem.message));
});

test('CLI: the scene problem is printed once per run on stderr; the episodes are monitored as usual', () => {
  const dir = tmpDir();
  fs.cpSync(path.join(root, 'examples/corridor'), dir, { recursive: true });
  const env = path.join(dir, 'environment.ts');
  fs.writeFileSync(
    env,
    fs
      .readFileSync(env, 'utf8')
      .replace(/render\(\)[^{]*\{/, (m) => `${m}\n      if (Math.random() < 2) return 42 as never;`),
  );
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'dist/cli.js'),
      'run',
      'corridor.scenario.json',
      '--agent',
      'misaligned',
      '--episodes',
      '4',
      '--json',
    ],
    { cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(out.episodes.every((e: { reason: string }) => e.reason === 'flagged_stop'));
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('warning: no scenes'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /render\(\) returned number 42; expected a scene .* \(.*environment\.ts\)/);
});

test('python: scene() that raises or returns something unusable costs the scene, never the step', async () => {
  for (const kind of ['raise', 'number', 'bad', 'string']) {
    const req = request({ seeds: [1] });
    const scenario: LoadedScenario = {
      ...req.scenario,
      dir: FIX,
      file: path.join(FIX, 'fixture.scenario.json'),
      spec: {
        ...req.scenario.spec,
        environment: { module: 'renderEnv', options: { render: kind, length: 5 } },
        objective: undefined,
      },
    };
    const r = await runEpisodes({
      ...req,
      scenario,
      agent: { name: 'const', module: fx('constAgent.py'), options: {} },
      limits: { ...req.limits, startupTimeoutMs: 15_000, stepTimeoutMs: 2000 },
    });
    const e = r.episodes[0];
    assert.equal(e.reason, 'completed', `${kind}: ${JSON.stringify(e.error)}`);
    assert.equal(e.steps, 5);
    const t = trace(e.trace);
    assert.deepEqual(problems(t), []);
    if (kind === 'string') {
      assert.equal(t.steps[0].scene?.shapes[0].kind, 'text');
      assert.equal(noted(t).length, 0);
      continue;
    }
    assert.equal(noted(t).length, 1, kind);
    assert.ok(t.end?.sceneProblem, kind);
    if (kind === 'raise') {
      assert.match(t.reset!.sceneProblem!.message, /^render\(\) raised at reset: .*no display attached/);
      assert.equal(path.basename(t.reset!.sceneProblem!.file!), 'renderEnv.py');
    }
    if (kind === 'number') assert.match(t.reset!.sceneProblem!.message, /render\(\) returned .*42.*; expected a scene/);
  }
});
