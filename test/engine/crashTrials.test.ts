// User code dies at a random step K in every way it can: throw, process.exit(0), process.exit(1),
// SIGKILL to itself, abort, heap exhaustion. Pass: the trace holds exactly steps 0..K-1 and one
// episode_end, with 0 malformed lines (docs/reliability.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rng as mulberry32 } from '../unit/random';
import { runEpisodes } from '../../src/engine/index';
import { problems, request, trace } from './helpers';

const FAULTS = ['throw', 'exit0', 'exit1', 'sigkill', 'abort', 'oom'] as const;
const TRIALS = Number(process.env.CRASH_TRIALS ?? 2);
const rand = mulberry32(20240611);

for (const fault of FAULTS) {
  test(`${fault} at a random step: exactly steps 0..K-1 and one episode_end (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const K = 1 + Math.floor(rand() * 60);
      const res = await runEpisodes(
        request({
          agent: 'faultAgent.js',
          agentOptions: { at: K, fault },
          spec: { maxSteps: 100 },
          limits: { memoryLimitMb: 128, stepTimeoutMs: 5000 },
        }),
      );
      const [ep] = res.episodes;
      const t = trace(ep.trace);
      assert.deepEqual(problems(t), [], `${fault} K=${K}`);
      assert.equal(t.tornTail, false);
      assert.deepEqual(
        t.steps.map((s) => s.step),
        [...Array(K).keys()],
        `${fault} K=${K}`,
      );
      assert.ok(t.end, 'one episode_end');
      assert.equal(t.end!.steps, K);
      const expected = fault === 'oom' ? 'oom' : 'crashed';
      assert.equal(t.end!.reason, expected, `${fault} K=${K}: ${JSON.stringify(t.end)}`);
      if (fault === 'throw') {
        assert.equal(t.end!.error?.phase, 'act');
        assert.match(t.end!.error?.message ?? '', new RegExp(`fault at step ${K}`));
        assert.match(t.end!.error?.file ?? '', /faultAgent\.js$/);
      }
      if (fault === 'exit0' || fault === 'exit1') assert.match(t.end!.error?.message ?? '', /process\.exit\(/);
    }
  });
}

test('scores recording keeps every step before a throw or exit (batched increments are flushed first)', async () => {
  for (const fault of ['throw', 'exit0', 'abort'] as const) {
    const K = 1234;
    const [ep] = (
      await runEpisodes(
        request({
          recording: 'scores',
          agent: 'faultAgent.js',
          agentOptions: { at: K, fault },
          spec: { maxSteps: 5000 },
        }),
      )
    ).episodes;
    const t = trace(ep.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(t.steps.length, K, fault);
    assert.equal(t.end?.reason, 'crashed');
  }
});

test('a TypeScript error names the user file, line and column', async () => {
  const [ep] = (await runEpisodes(request({ agent: 'throwingAgent.ts', agentOptions: { at: 3 } }))).episodes;
  assert.equal(ep.reason, 'crashed');
  assert.equal(ep.steps, 3);
  assert.equal(ep.error?.phase, 'act');
  assert.match(ep.error?.file ?? '', /throwingAgent\.ts$/);
  assert.equal(ep.error?.line, 7);
});

test('syntax error in a .ts module: crashed, phase load, file:line:col', async () => {
  const [ep] = (await runEpisodes(request({ agent: 'syntaxError.ts' }))).episodes;
  assert.equal(ep.reason, 'crashed');
  assert.equal(ep.steps, 0);
  assert.equal(ep.error?.phase, 'load');
  assert.match(ep.error?.message ?? '', /syntaxError\.ts:4:9: /);
  assert.equal(ep.error?.line, 4);
  assert.equal(ep.error?.column, 9);
  const t = trace(ep.trace);
  assert.deepEqual(problems(t), []);
  assert.equal(t.end?.reason, 'crashed');
});
