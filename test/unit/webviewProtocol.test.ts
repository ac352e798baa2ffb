// The replay panel's message protocol: every valid message passes its guard; random values and
// valid messages with one field broken never do (the host uses these guards on everything the
// webview posts, the webview on everything the host sends).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  LoadMessage,
  MAX_DETAIL_BATCH,
  ReadyMessage,
  RequestStepsMessage,
  isReplayViewState,
  parseHostMessage,
  parseWebviewMessage,
  isFloat64Array,
  type IpcMessage,
} from '../../src/shared/webviewProtocol';

const f64 = (n: number, v = 1) => new Float64Array(n).fill(v);
const cols = (n: number, from = 0) => ({
  from,
  increments: f64(n),
  scores: f64(n),
  thresholds: f64(n, -Infinity),
  statistics: f64(n, NaN),
});
const meta = {
  runId: 'r1',
  episodeId: 'e1',
  scenario: 'racing',
  agent: 'misaligned',
  environment: 'env.ts',
  seed: 3,
  distribution: 'deployment',
  maxSteps: 100,
  recording: 'full',
  protocol: 'flag-only',
  detector: { kind: 'window', window: 20 },
  calibration: { alpha: 0.05, file: 'c.json', computedAt: '2025-01-01' },
  startedAt: '2025-01-01',
  hasScene: true,
};
const end = {
  reason: 'completed',
  steps: 10,
  score: 3,
  flaggedStep: 4,
  durationMs: 12,
  error: { message: 'x', line: 3 },
};
const scene = { width: 10, height: 5, shapes: [{ kind: 'rect', x: 0, y: 0, w: 1, h: 1 }] };

/** One valid message of every kind the host sends. */
function hostMessages(): IpcMessage[] {
  return [
    {
      method: 'replay/load',
      params: { meta, steps: cols(10), flaggedStep: 4, end, band: { p05: f64(12), p50: f64(12), p95: f64(12) } },
    },
    {
      method: 'replay/load',
      params: {
        meta: { ...meta, calibration: null, detector: { kind: 'fixed', threshold: -3 } },
        steps: cols(0),
        flaggedStep: null,
        end: null,
        band: null,
        gotoStep: 0,
      },
    },
    { method: 'replay/append', params: { episodeId: 'e1', steps: cols(5, 10), flaggedStep: null } },
    { method: 'replay/end', params: { episodeId: 'e1', end } },
    {
      method: 'replay/reflag',
      params: {
        episodeId: 'e1',
        detector: { kind: 'cusum', k: 0.5 },
        calibration: null,
        thresholds: f64(10),
        statistics: f64(10),
        flaggedStep: 2,
      },
    },
    {
      method: 'replay/stepDetails',
      params: {
        episodeId: 'e1',
        details: [
          {
            episodeId: 'e1',
            step: 3,
            available: true,
            action: 1,
            observation: [1, 2],
            info: {},
            increment: 1,
            score: 2,
            threshold: -Infinity,
            statistic: NaN,
            margin: Infinity,
            scene,
          },
        ],
      },
    },
    {
      method: 'replay/stepDetails',
      params: {
        episodeId: 'e1',
        details: [
          {
            episodeId: 'e1',
            step: 3,
            available: false,
            increment: 1,
            score: 2,
            threshold: 1,
            statistic: 1,
            margin: 1,
            scene: null,
          },
          {
            episodeId: 'e1',
            step: 4,
            available: false,
            increment: 1,
            score: 3,
            threshold: 1,
            statistic: 1,
            margin: 2,
            scene: null,
          },
        ],
      },
    },
    { method: 'replay/stepDetails', params: { episodeId: 'e1', details: [] } },
    {
      method: 'replay/overlay',
      params: { episodeId: 'e1', overlays: [{ episodeId: 'e2', label: 'seed 2', scores: f64(7), flaggedStep: null }] },
    },
    { method: 'replay/overlay', params: { episodeId: 'e1', overlays: [] } },
    { method: 'replay/gotoStep', params: { episodeId: 'e1', step: 0 } },
    {
      method: 'replay/calibration',
      params: {
        label: 'corridor / misaligned',
        total: 60,
        episodes: [],
        state: 'running',
        result: null,
        message: null,
      },
    },
    {
      method: 'replay/calibration',
      params: {
        label: 'corridor / misaligned',
        total: 3,
        state: 'done',
        message: 'why',
        episodes: [
          { seed: 0, reason: 'completed', steps: 60, finalScore: 9.5 },
          { seed: 1, reason: 'crashed', steps: 0, finalScore: 0 },
        ],
        result: {
          file: '/w/corridor.misaligned.calibration.json',
          alpha: 0.05,
          fitEpisodes: 30,
          conformalEpisodes: 30,
          warnings: ['few episodes'],
          detectors: [{ kind: 'cusum', threshold: 6.1, bound: 0.032, k: 1, n: 30, guaranteed: true }],
        },
      },
    },
  ];
}
function webviewMessages(): IpcMessage[] {
  return [
    { method: 'replay/ready', params: { protocol: 2 } },
    { method: 'replay/requestSteps', params: { episodeId: 'e1', steps: [7, 8, 6] } },
  ];
}

/** Every path to a value inside a message (typed arrays are leaves). */
function paths(x: unknown, prefix: string[] = []): string[][] {
  if (typeof x !== 'object' || x === null || isFloat64Array(x)) return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const k of Object.keys(x)) out.push(...paths((x as Record<string, unknown>)[k], [...prefix, k]));
  return out;
}
function clone<T>(x: T): T {
  return structuredClone(x);
}
function setPath(x: unknown, p: string[], v: unknown): void {
  let o = x as Record<string, unknown>;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string, unknown>;
  if (v === DELETE) delete o[p[p.length - 1]];
  else o[p[p.length - 1]] = v;
}
function getPath(x: unknown, p: string[]): unknown {
  let o = x as Record<string, unknown>;
  for (const k of p) o = o[k] as Record<string, unknown>;
  return o;
}
const DELETE = Symbol('delete');

/** A replacement that is wrong for the field's current value, whatever its type. */
function wrongFor(v: unknown): unknown[] {
  if (isFloat64Array(v)) return [Array.from(v), new Float32Array(v.length), 'x', null];
  if (typeof v === 'string') return [42, null, {}, 'x'.repeat(70_000)];
  if (typeof v === 'number') return ['1', null, {}, true];
  if (typeof v === 'boolean') return ['true', 1, null];
  if (Array.isArray(v)) return ['[]', {}, null];
  if (v === null) return [-1, [], true];
  return ['x', 7, []];
}

const OPTIONAL = new Set([
  'gotoStep',
  'error',
  'action',
  'observation',
  'info',
  'stack',
  'file',
  'line',
  'column',
  'phase',
  'reward',
  'terminated',
  'truncated',
  'fallback',
]);
/** Values anything goes for (user data), and nullable fields where null is valid. */
const FREE = new Set(['action', 'observation', 'info']);
const NULLABLE = new Set([
  'flaggedStep',
  'end',
  'band',
  'calibration',
  'scene',
  'zoom',
  'episodeId',
  'result',
  'message',
]);

test('every valid message passes, and only its own guard', () => {
  for (const m of hostMessages()) {
    assert.equal(parseHostMessage(m)?.method, m.method, m.method);
    assert.equal(parseWebviewMessage(m), undefined, `${m.method} is no webview message`);
  }
  for (const m of webviewMessages()) {
    assert.equal(parseWebviewMessage(m)?.method, m.method, m.method);
    assert.equal(parseHostMessage(m), undefined);
  }
  assert.ok(LoadMessage.is(hostMessages()[0]));
  assert.ok(!ReadyMessage.is(hostMessages()[0]));
  assert.deepEqual(RequestStepsMessage.create({ episodeId: 'e', steps: [1] }), {
    method: 'replay/requestSteps',
    params: { episodeId: 'e', steps: [1] },
  });
});

test('a valid message with any one field deleted or of the wrong type is refused', () => {
  let checked = 0;
  for (const [msgs, parse] of [
    [hostMessages(), parseHostMessage],
    [webviewMessages(), parseWebviewMessage],
  ] as const) {
    for (const m of msgs) {
      for (const p of paths(m)) {
        const last = p[p.length - 1];
        if (p.some((k) => FREE.has(k)) || (p.includes('shapes') && p.length > 3)) continue;
        const v = getPath(m, p);
        const bad = [...wrongFor(v), ...(OPTIONAL.has(last) ? [] : [DELETE])];
        for (const b of bad) {
          if (b === null && NULLABLE.has(last)) continue;
          const broken = clone(m);
          setPath(broken, p, b);
          assert.equal(
            (parse as (x: unknown) => unknown)(broken),
            undefined,
            `${m.method} with ${p.join('.')} = ${String(b === DELETE ? 'deleted' : typeof b === 'string' ? b.slice(0, 20) : b)}`,
          );
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 300, `${checked} broken messages checked`);
});

test('random values never pass as messages', () => {
  const methods = [...hostMessages(), ...webviewMessages()].map((m) => m.method);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.anything(),
        fc.record({ method: fc.constantFrom(...methods), params: fc.anything() }),
        fc.record({
          method: fc.constantFrom(...methods),
          params: fc.dictionary(
            fc.constantFrom('episodeId', 'step', 'protocol', 'state', 'meta', 'steps', 'end'),
            fc.anything(),
          ),
        }),
      ),
      (x) => {
        assert.equal(parseHostMessage(x), undefined);
        assert.equal(parseWebviewMessage(x), undefined);
      },
    ),
    { numRuns: 3000 },
  );
});

test('webview messages: exact keys only, bounded ids and steps', () => {
  assert.equal(
    parseWebviewMessage({ method: 'replay/ready', params: { protocol: 2, command: 'workbench.action.terminal.new' } }),
    undefined,
  );
  assert.equal(
    parseWebviewMessage({ method: 'replay/ready', params: { protocol: 1 } }),
    undefined,
    "an older build's webview",
  );
  const req = (params: unknown) => parseWebviewMessage({ method: 'replay/requestSteps', params });
  assert.equal(req({ episodeId: 'e', steps: [1], path: '/etc/passwd' }), undefined);
  assert.equal(req({ episodeId: 'e', steps: [-1] }), undefined);
  assert.equal(req({ episodeId: 'e', steps: [1.5] }), undefined);
  assert.equal(req({ episodeId: 'e', steps: [] }), undefined, 'an empty batch');
  assert.equal(req({ episodeId: 'e', steps: [3, 3] }), undefined, 'a step twice');
  assert.equal(
    req({ episodeId: 'e', steps: Array.from({ length: MAX_DETAIL_BATCH + 1 }, (_, i) => i) }),
    undefined,
    'a batch over the cap',
  );
  assert.ok(
    req({ episodeId: 'e', steps: Array.from({ length: MAX_DETAIL_BATCH }, (_, i) => i) }),
    'a batch at the cap',
  );
  assert.equal(req({ episodeId: '', steps: [1] }), undefined);
  assert.equal(req({ episodeId: 'e'.repeat(600), steps: [1] }), undefined);
  // a detail for another episode inside a batch is refused with the batch
  const details = structuredClone(hostMessages()[6]) as { params: { details: { episodeId: string }[] } };
  details.params.details[1].episodeId = 'e2';
  assert.equal(parseHostMessage(details), undefined);
  assert.equal(parseWebviewMessage({ method: 'replay/openExternal', params: { url: 'https://x' } }), undefined);
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 512 }), fc.nat({ max: 49_999_999 }), (id, step) => {
      assert.ok(RequestStepsMessage.is({ method: 'replay/requestSteps', params: { episodeId: id, steps: [step] } }));
    }),
  );
  // the view state the webview restores after a reload is checked the same way
  assert.ok(
    isReplayViewState({ episodeId: 'e1', step: 7, zoom: { from: 1, to: 5 }, hiddenOverlays: ['e2'], speed: 30 }),
  );
  assert.ok(isReplayViewState({ episodeId: null, step: 0, zoom: null, hiddenOverlays: [], speed: 1 }));
  assert.equal(
    isReplayViewState({ episodeId: 'e1', step: 7, zoom: { from: 5, to: 1 }, hiddenOverlays: [], speed: 30 }),
    false,
  );
});

test('host messages: columns must agree in length and hold finite scores', () => {
  const load = hostMessages()[0] as IpcMessage<'replay/load', { steps: ReturnType<typeof cols> }>;
  const short = clone(load);
  short.params.steps.thresholds = f64(9);
  assert.equal(parseHostMessage(short), undefined);
  const nan = clone(load);
  nan.params.steps.scores[3] = NaN;
  assert.equal(parseHostMessage(nan), undefined);
  const inf = clone(load);
  inf.params.steps.increments[0] = Infinity;
  assert.equal(parseHostMessage(inf), undefined);
  const notFromZero = clone(load);
  (notFromZero.params.steps as { from: number }).from = 3;
  assert.equal(parseHostMessage(notFromZero), undefined, 'a load starts at step 0');
  const badReason = clone(hostMessages()[3]);
  (badReason.params as { end: { reason: string } }).end.reason = 'fine';
  assert.equal(parseHostMessage(badReason), undefined);
  const badDetector = clone(load);
  (badDetector.params as unknown as { meta: { detector: unknown } }).meta.detector = { kind: 'window', window: 0 };
  assert.equal(parseHostMessage(badDetector), undefined);
});
