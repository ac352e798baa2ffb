// Garbage on the record channel (fd 3), written by user code: invalid JSON, wrong type, out-of-order
// step, NaN, deep nesting, invalid UTF-8, CRLF, BOM, NUL, an oversize line. Pass: one recorded
// protocol error each (in episode_end.detail), reason protocol_error, steps before it kept, the
// child replaced, 0 unhandled rejections.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runEpisodes } from '../../src/engine/index';
import { problems, request, trace } from './helpers';

let unhandled = 0;
process.on('unhandledRejection', () => unhandled++);

const step = (n: number, extra = '') =>
  `{"t":"step","step":${n},"action":"go","reward":1,"increment":2,"observation":{"t":${n + 1}},"terminated":false,"truncated":false${extra}}`;
const K = 5;
const CASES: Record<string, Buffer> = {
  'invalid JSON': Buffer.from('{"t":"step",\n'),
  'wrong type': Buffer.from(step(K).replace('"increment":2', '"increment":"two"') + '\n'),
  'unknown record type': Buffer.from('{"t":"launch"}\n'),
  'out-of-order step': Buffer.from(step(K + 3) + '\n'),
  'repeated step': Buffer.from(step(K - 1) + '\n'),
  NaN: Buffer.from(step(K).replace('"increment":2', '"increment":NaN') + '\n'),
  'overflowing number': Buffer.from(step(K).replace('"increment":2', '"increment":1e999') + '\n'),
  'deep nesting': Buffer.from(step(K, `,"info":{"x":${'['.repeat(200)}${']'.repeat(200)}}`) + '\n'),
  'invalid UTF-8': Buffer.concat([
    Buffer.from(step(K).slice(0, -1) + ',"info":{"s":"'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('"}}\n'),
  ]),
  CRLF: Buffer.from(step(K) + '\r\n'),
  BOM: Buffer.from('\ufeff' + step(K) + '\n'),
  NUL: Buffer.from(step(K).replace('"go"', '"g\u0000o"') + '\n'),
};

const OPTIONS: Record<string, Record<string, unknown>> = Object.fromEntries(
  Object.entries(CASES).map(([name, bytes]) => [name, { fault: 'record', bytes: bytes.toString('base64') }]),
);
OPTIONS['oversize line (2 MiB)'] = { fault: 'bigRecord', size: 2 * 1024 * 1024 };
/** what the recorded protocol error must say, per case */
const SAYS: Record<string, RegExp> = {
  'invalid JSON': /not valid JSON/,
  'wrong type': /"increment" must be a finite number/,
  'unknown record type': /unknown record type "launch"/,
  'out-of-order step': /step 8 out of order; expected step 5/,
  'repeated step': /step 4 out of order; expected step 5/,
  NaN: /not valid JSON/,
  'overflowing number': /"increment" must be a finite number/,
  'deep nesting': /nests deeper than 64/,
  'invalid UTF-8': /not valid UTF-8/,
  CRLF: /carriage return/,
  BOM: /byte-order mark/,
  NUL: /NUL byte/,
  'oversize line (2 MiB)': /limited to 1048576 bytes/,
};

for (const [name, options] of Object.entries(OPTIONS)) {
  test(`bad record: ${name} -> one protocol error, reason protocol_error`, async () => {
    const res = await runEpisodes(
      request({ agent: 'faultAgent.js', agentOptions: { at: K, ...options }, seeds: [1, 2], spec: { maxSteps: 20 } }),
    );
    const [bad, next] = res.episodes;
    const t = trace(bad.trace);
    assert.deepEqual(problems(t), []);
    assert.equal(bad.reason, 'protocol_error');
    assert.equal(t.end?.reason, 'protocol_error');
    assert.match(String(t.end?.detail?.message), SAYS[name]);
    assert.ok(String(t.end?.detail?.record ?? '').length <= 400, 'the bad record is kept truncated');
    // the step records before the garbage are kept (the agent writes it during step K's act)
    assert.deepEqual(
      t.steps.map((s) => s.step),
      [...Array(K).keys()],
    );
    // a fresh child ran the next episode, which hit the same garbage at the same step
    assert.equal(next.reason, 'protocol_error');
    assert.equal(next.steps, K);
    assert.equal(unhandled, 0);
  });
}

test('increments NaN in a binary scores payload -> protocol_error', async () => {
  const head = Buffer.from('{"t":"scores","from":0,"count":2}\n');
  const payload = Buffer.alloc(16);
  payload.writeDoubleLE(1, 0);
  payload.writeDoubleLE(NaN, 8);
  const res = await runEpisodes(
    request({
      recording: 'scores',
      agent: 'faultAgent.js',
      agentOptions: { at: 0, fault: 'record', bytes: Buffer.concat([head, payload]).toString('base64') },
      spec: { maxSteps: 20 },
    }),
  );
  const [ep] = res.episodes;
  assert.equal(ep.reason, 'protocol_error');
  assert.match(String(trace(ep.trace).end?.detail?.message), /non-finite increment/);
  assert.equal(unhandled, 0);
});
