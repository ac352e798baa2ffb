// The Python runner on its own, driven like the engine drives it (pythonHarness.ts): records
// validated by the engine's validator, values as recorded, errors with file and line, the exact
// flag step under `stop`, faults that must not lose recorded steps, and exit on engine death.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createMonitor } from '../../src/core/detectors';
import type { CalibrationFile } from '../../src/core/calibrationTypes';
import { episode, fx, gymnasiumMissing, increments, PyRunner, type Rec } from './pythonHarness';

const runners: PyRunner[] = [];
function runner(args: string[] = []): PyRunner {
  const r = new PyRunner(args);
  runners.push(r);
  return r;
}
after(() => {
  for (const r of runners) r.kill();
});
// Every wait below is bounded on its own; this bounds a test as a whole, so that one stuck test
// fails by name (and `after` kills its runners) instead of the file timing out with no output.
const BOUND = 90_000;

/** 1-based line of the first line of a fixture that contains `text` */
const lineOf = (file: string, text: string) =>
  fs
    .readFileSync(fx(file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;
const steps = (recs: Rec[]) => recs.filter((r): r is Extract<Rec, { t: 'step' }> => r.t === 'step');
const only = <T extends Rec['t']>(recs: Rec[], t: T) => recs.find((r) => r.t === t) as Extract<Rec, { t: T }>;

test(
  'handshake, then full recording: reset, one step line per step, end; NumPy values as plain JSON',
  { skip: gymnasiumMissing(), timeout: BOUND },
  async () => {
    const r = runner();
    await r.waitFor((rs) => rs.length > 0, 'hello');
    const hello = r.records[0];
    assert.equal(hello.t, 'hello');
    assert.ok(
      hello.t === 'hello' &&
        hello.runtime === 'python' &&
        hello.wire === 1 &&
        hello.pid === r.child.pid &&
        /^3\./.test(hello.version),
    );

    r.send(episode({ episodeId: 'e1', maxSteps: 4, environment: { module: fx('numpyEnv'), options: { nan_at: 2 } } }));
    const recs = await r.episode('e1');
    assert.deepEqual(
      recs.map((x) => x.t),
      ['reset', 'step', 'step', 'step', 'step', 'end'],
    );
    const reset = only(recs, 'reset');
    assert.deepEqual(reset.observation, {
      pos: [0, 0],
      vel: 0.5,
      flag: true,
      pair: [0, 'x'],
      grid: [
        [0, 1],
        [2, 3],
      ],
      odd: 1.5,
    });
    assert.deepEqual(reset.info, { seed: 1 });
    const s = steps(recs);
    assert.deepEqual(
      s.map((x) => x.step),
      [0, 1, 2, 3],
    );
    assert.deepEqual(s[1].observation, {
      pos: [2, 4],
      vel: 0.5,
      flag: true,
      pair: [2, 'x'],
      grid: [
        [0, 1],
        [2, 3],
      ],
      odd: 'NaN',
    });
    // the agent's np.int64 reached env.step as np.int64; only the record is JSON
    assert.deepEqual(s[0].info, { action_type: 'int64', inf: 'Infinity' });
    assert.equal(s[0].action, 0);
    assert.equal(s[0].reward, 1);
    assert.equal(s[0].increment, 1);
    assert.equal(s[0].terminated, false);
    assert.deepEqual(only(recs, 'end'), { t: 'end', episodeId: 'e1', reason: 'completed', steps: 4 });
    assert.deepEqual(r.problems, []);
    await r.shutdown();
    assert.equal((await r.exited).code, 0); // shutdown() throws if it did not come
  },
);

test(
  'scores recording: batches of at most 1000 float64 increments cover every step in order',
  { timeout: BOUND },
  async () => {
    const r = runner();
    const rewards = [1.5, -0.25, 3, 1e-300, -7.125];
    r.send(
      episode({
        episodeId: 's1',
        maxSteps: 2503,
        recording: 'scores',
        environment: { module: fx('countEnv'), options: { rewards } },
      }),
    );
    const recs = await r.episode('s1');
    assert.deepEqual(recs[0], { t: 'reset', episodeId: 's1' });
    const batches = recs.filter((x) => x.t === 'scores');
    assert.ok(
      batches.length >= 3 && batches.every((b) => b.t === 'scores' && b.count <= 1000),
      `batches: ${batches.map((b) => b.t === 'scores' && b.count)}`,
    );
    const inc = increments(recs);
    assert.equal(inc.length, 2503);
    inc.forEach((u, t) => assert.equal(u, rewards[t % rewards.length]));
    assert.deepEqual(recs.at(-1), { t: 'end', episodeId: 's1', reason: 'completed', steps: 2503 });
    assert.deepEqual(r.problems, []);
    await r.shutdown();
  },
);

test(
  'user errors: traceback, file and line of the raise, phase; the runner goes on to the next episode',
  { timeout: BOUND },
  async () => {
    const r = runner();
    r.send(episode({ episodeId: 'x1', agent: { module: fx('faultAgent'), options: { mode: 'raise', at: 3 } } }));
    let recs = await r.episode('x1');
    assert.deepEqual(
      steps(recs).map((x) => x.step),
      [0, 1, 2],
    );
    const err = only(recs, 'error').error;
    assert.equal(err.message, 'RuntimeError: agent broke at step 3');
    assert.equal(err.phase, 'act');
    assert.equal(err.file, fx('faultAgent.py'));
    const raiseLine = lineOf('faultAgent.py', 'raise RuntimeError');
    assert.equal(err.line, raiseLine);
    assert.match(err.stack!, new RegExp(`faultAgent\\.py", line ${raiseLine}, in fault`));
    assert.doesNotMatch(err.stack!, /omEpisode/, 'runner frames are trimmed from the traceback');

    r.send(episode({ episodeId: 'x2', agent: { module: fx('syntaxError'), options: {} } }));
    recs = await r.episode('x2');
    const syn = only(recs, 'error').error;
    assert.equal(syn.phase, 'load');
    assert.equal(syn.file, fx('syntaxError.py'));
    assert.equal(syn.line, 2);
    assert.equal(syn.column, 12);
    assert.match(syn.message, /syntaxError\.py:2:12: SyntaxError: '\(' was never closed/);

    r.send(episode({ episodeId: 'x3', agent: { module: fx('importsMissing'), options: {} } }));
    const imp = only(await r.episode('x3'), 'error').error;
    assert.equal(imp.message, "ModuleNotFoundError: No module named 'not_a_real_module_xyz'");
    assert.equal(imp.file, fx('importsMissing.py'));
    assert.equal(imp.line, 2);

    r.send(episode({ episodeId: 'x4', objective: { module: fx('listObjective'), options: { bad_at: 2 } } }));
    recs = await r.episode('x4');
    assert.deepEqual(
      steps(recs).map((x) => x.step),
      [0, 1],
    );
    const nan = only(recs, 'error').error;
    assert.equal(nan.message, 'objective.increment returned nan at step 2; expected a finite number');
    assert.equal(nan.phase, 'increment');
    assert.equal(nan.file, fx('listObjective.py'));

    r.send(episode({ episodeId: 'x5', agent: { module: fx('nowhere'), options: {} } }));
    const missing = only(await r.episode('x5'), 'error').error;
    assert.match(missing.message, /agent module .*nowhere .*does not exist/);

    r.send(
      episode({
        episodeId: 'x6',
        objective: { module: fx('listObjective'), options: { bad_at: 1, bad: 'str' } },
        recording: 'scores',
      }),
    );
    recs = await r.episode('x6');
    assert.deepEqual(increments(recs), [1], 'steps before the bad increment are kept in scores mode too');
    assert.equal(
      only(recs, 'error').error.message,
      "objective.increment returned '3' at step 1; expected a finite number",
    );

    r.send(episode({ episodeId: 'ok' }));
    assert.equal(only(await r.episode('ok'), 'end').reason, 'completed');
    assert.deepEqual(r.problems, []);
    await r.shutdown();
  },
);

function calibration(
  kind: 'envelope' | 'window' | 'cusum',
  mean: number[],
  sd: number[],
  h: number,
  params: { window?: number; k?: number } = {},
): CalibrationFile {
  const det = (k: typeof kind) => ({
    kind: k,
    params: k === kind ? params : {},
    model: { mean: k === kind ? mean : [0], sd: k === kind ? sd : [1] },
    h: k === kind ? h : -3,
    k: 1,
    n: 19,
    bound: 0.05,
    guaranteed: true,
  });
  return {
    version: 1,
    scenario: { name: 's', file: '/s.json', hash: 'h' },
    agent: { name: 'a', module: '/a.py', hash: 'h' },
    environmentHash: 'h',
    objectiveHash: null,
    computedAt: '2024-01-01T00:00:00Z',
    alpha: 0.05,
    seeds: { from: 0, count: 40 },
    maxSteps: 100,
    fitEpisodes: 20,
    conformalEpisodes: 20,
    band: { p05: [], p50: [], p95: [] },
    detectors: { envelope: det('envelope'), window: det('window'), cusum: det('cusum') },
    warnings: [],
  } as CalibrationFile;
}

test(
  "protocol 'stop' halts at exactly the step the engine's detector flags, in both recordings",
  { timeout: BOUND },
  async () => {
    const r = runner();
    // a fine start, then a slump from step 40
    const rewards = [...Array(40).fill(1), ...Array(60).fill(-2)];
    const cases = [
      { detector: { kind: 'fixed' as const, threshold: 0.5 }, calibration: null },
      {
        detector: { kind: 'envelope' as const },
        calibration: calibration(
          'envelope',
          Array.from({ length: 100 }, (_, t) => t + 1),
          Array(100).fill(2),
          -2,
        ),
      },
      {
        detector: { kind: 'window' as const, window: 5 },
        calibration: calibration('window', [1, 2, 3, 4, 5], [1, 1, 1, 1, 1.5], -2.5, { window: 5 }),
      },
      { detector: { kind: 'cusum' as const, k: 0.5 }, calibration: calibration('cusum', [1], [0.3], 4, { k: 0.5 }) },
    ];
    let n = 0;
    for (const c of cases) {
      const m = createMonitor(c.detector, c.calibration);
      for (const u of rewards) m.push(u);
      const expected = m.flaggedStep;
      assert.ok(expected >= 40, `${c.detector.kind} flags once the slump begins (${expected})`);
      for (const recording of ['full', 'scores'] as const) {
        const id = `stop${n++}`;
        r.send(
          episode({
            episodeId: id,
            maxSteps: 100,
            recording,
            protocol: 'stop',
            detector: c.detector,
            calibration: c.calibration,
            environment: { module: fx('countEnv'), options: { rewards } },
          }),
        );
        const recs = await r.episode(id);
        const end = only(recs, 'end');
        assert.deepEqual(
          end,
          { t: 'end', episodeId: id, reason: 'flagged_stop', steps: expected + 1 },
          `${c.detector.kind} ${recording}`,
        );
        assert.equal(increments(recs).length, expected + 1);
      }
    }
    // flag-only runs on; a fallback replaces the agent's action from the step after the flag
    r.send(
      episode({
        episodeId: 'fo',
        maxSteps: 100,
        protocol: 'flag-only',
        detector: cases[0].detector,
        environment: { module: fx('countEnv'), options: { rewards } },
      }),
    );
    assert.deepEqual(only(await r.episode('fo'), 'end'), {
      t: 'end',
      episodeId: 'fo',
      reason: 'completed',
      steps: 100,
    });
    r.send(
      episode({
        episodeId: 'fb',
        maxSteps: 100,
        protocol: { fallback: 7 },
        detector: cases[0].detector,
        environment: { module: fx('countEnv'), options: { rewards } },
      }),
    );
    const fb = steps(await r.episode('fb'));
    const flag = createMonitor(cases[0].detector, null);
    for (const u of rewards) flag.push(u);
    assert.deepEqual(fb.filter((x) => x.fallback).map((x) => x.step)[0], flag.flaggedStep + 1);
    assert.ok(fb.filter((x) => x.fallback).every((x) => x.action === 7));
    assert.ok(fb.filter((x) => !x.fallback).every((x) => x.action === 0));
    await r.shutdown();
  },
);

test(
  'sys.exit and os._exit at step K: steps 0..K-1 kept, an error naming the call, the exit code asked for',
  { timeout: BOUND },
  async () => {
    const sysExit = lineOf('faultAgent.py', 'sys.exit(self.code)');
    const osExit = lineOf('faultAgent.py', 'os._exit(self.code)');
    for (const [mode, recording, line] of [
      ['sys_exit', 'full', sysExit],
      ['os_exit', 'scores', osExit],
      ['sys_exit', 'scores', sysExit],
    ] as const) {
      const r = runner();
      const K = 250;
      r.send(
        episode({
          episodeId: 'q',
          maxSteps: 1000,
          recording,
          agent: { module: fx('faultAgent'), options: { mode, at: K, code: 3 } },
          environment: { module: fx('countEnv'), options: {} },
        }),
      );
      const recs = await r.episode('q');
      assert.equal(increments(recs).length, K, `${mode} ${recording}`);
      assert.equal(only(recs, 'error').fatal, true, 'the engine is told the runner is exiting');
      const err = only(recs, 'error').error;
      assert.equal(err.message, mode === 'sys_exit' ? 'user code called sys.exit(3)' : 'user code called os._exit(3)');
      assert.equal(err.file, fx('faultAgent.py'));
      assert.equal(err.line, line);
      assert.equal(err.phase, 'act');
      assert.deepEqual(await r.exitedWithin(5000, `after ${mode} at step ${K}`), { code: 3, signal: null });
      assert.deepEqual(r.problems, []);
    }
  },
);

test(
  "SIGTERM during a hang (the engine's step timeout) flushes the batched steps first",
  { timeout: BOUND },
  async () => {
    const r = runner();
    const K = 700; // fast steps: all of them are still in the batch when the hang starts
    r.send(
      episode({
        episodeId: 'h',
        maxSteps: 5000,
        recording: 'scores',
        agent: { module: fx('faultAgent'), options: { mode: 'hang', at: K } },
        environment: { module: fx('countEnv'), options: {} },
      }),
    );
    // the hang is a pure-Python busy loop: the runner is alive and silent on fd 3
    await r.waitFor(() => r.stdout.includes('hanging'), 'the hang');
    const t0 = Date.now();
    process.kill(r.child.pid!, 'SIGTERM');
    // bounded: a runner that loses the signal spins in the user's loop for ever
    const exit = await r.exitedWithin(5000, 'of SIGTERM inside a busy user loop');
    assert.ok(Date.now() - t0 < 2000, `exited ${Date.now() - t0} ms after SIGTERM`);
    assert.equal(exit.signal, 'SIGTERM', JSON.stringify(exit) + r.stderr);
    await r.waitFor((rs) => increments(rs).length === K, `${K} increments`, 2000);
    assert.equal(increments(r.records).length, K);
    assert.deepEqual(r.problems, []);
  },
);

test(
  'engine death: fd 4 closed, the runner exits within 2 s, idle or inside a busy user loop',
  { timeout: BOUND },
  async () => {
    for (const mode of ['idle', 'hang', 'sleep'] as const) {
      const r = runner();
      await r.waitFor((rs) => rs.length > 0, 'hello');
      if (mode !== 'idle') {
        r.send(
          episode({ episodeId: 'd', maxSteps: 100, agent: { module: fx('faultAgent'), options: { mode, at: 3 } } }),
        );
        await r.waitFor((rs) => rs.filter((x) => x.t === 'step').length === 3, '3 steps');
      }
      const t0 = Date.now();
      r.closeControl();
      // bounded: a runner that misses the EOF fails the test instead of hanging the suite
      await r.exitedWithin(10_000, `of fd 4 closing (${mode})`);
      assert.ok(Date.now() - t0 < 2000, `${mode}: exited ${Date.now() - t0} ms after fd 4 closed`);
    }
  },
);

test(
  'Gymnasium ids: CartPole in scores mode, FrozenLake full with a monospace ansi scene, rgb_array frames downscaled',
  { skip: gymnasiumMissing(), timeout: BOUND },
  async () => {
    const r = runner();
    r.send(
      episode({
        episodeId: 'cp',
        maxSteps: 100000,
        recording: 'scores',
        environment: { gymnasium: 'CartPole-v1', options: {} },
        agent: { module: fx('cartpoleAgent'), options: {} },
      }),
    );
    let recs = await r.episode('cp');
    const inc = increments(recs);
    assert.equal(inc.length, 500, 'the balancing policy lasts until the time limit');
    assert.ok(inc.every((u) => u === 1));

    r.send(
      episode({
        episodeId: 'fl',
        maxSteps: 3,
        environment: { gymnasium: 'FrozenLake-v1', options: { is_slippery: false } },
        agent: { module: fx('constAgent'), options: {} },
      }),
    );
    recs = await r.episode('fl');
    const reset = only(recs, 'reset');
    const shape = reset.scene!.shapes[0];
    assert.equal(shape.kind, 'text');
    assert.ok(shape.kind === 'text' && shape.mono === true);
    assert.ok(
      shape.kind === 'text' && shape.text.split('\n').slice(-4).join('\n') === '@FFF\nFHFH\nFFFH\nHFFG',
      shape.kind === 'text' ? shape.text : '',
    );
    const s0 = steps(recs)[0];
    assert.equal(s0.observation, 0);
    assert.ok(s0.scene && s0.scene.shapes[0].kind === 'text' && !s0.scene.shapes[0].text.includes('\u001b'));

    r.send(
      episode({ episodeId: 'img', maxSteps: 2, environment: { module: fx('frameEnv'), options: { h: 150, w: 200 } } }),
    );
    recs = await r.episode('img');
    const img = only(recs, 'reset').scene!;
    const sh = img.shapes[0];
    assert.ok(sh.kind === 'image');
    if (sh.kind === 'image') {
      assert.equal(img.width, 200);
      assert.equal(img.height, 150);
      assert.ok(sh.cols <= 64 && sh.rows <= 64, `${sh.cols}x${sh.rows}`);
      const bytes = Buffer.from(sh.rgb, 'base64');
      assert.equal(bytes.length, sh.cols * sh.rows * 3);
      // pixel (row 1, col 2) of the downscaled frame is the source pixel (row 4, col 8): stride 4
      assert.deepEqual([...bytes.subarray((1 * sh.cols + 2) * 3, (1 * sh.cols + 2) * 3 + 3)], [4, 8, 0]);
    }
    assert.deepEqual(r.problems, []);
    await r.shutdown();
  },
);

test('a missing gymnasium gives one clear message naming the interpreter', { timeout: BOUND }, async () => {
  // -S: no site-packages, so gymnasium cannot be imported
  const r = runner(['-S']);
  r.send(episode({ episodeId: 'g', environment: { gymnasium: 'CartPole-v1', options: {} } }));
  const err = only(await r.episode('g'), 'error').error;
  assert.match(err.message, /^gymnasium is not installed for \S*python\S*: pip install gymnasium$/);
  assert.equal(err.phase, 'load');
  await r.shutdown();
});
