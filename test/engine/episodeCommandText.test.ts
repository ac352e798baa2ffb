// Episode commands are written from the run's shared part, serialized once (episodePlan.ts
// episodeCommandText): each line must be the bytes JSON.stringify makes of the whole command, for any
// shared part (a calibration's doubles, nested options, odd strings), episode id, seed and checkRender.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { episodeCommandText, type EpisodePlan } from '../../src/engine/episodePlan';

const command = fc.record({
  t: fc.constant('episode' as const),
  maxSteps: fc.integer({ min: 1, max: 1_000_000 }),
  environment: fc.record({ gymnasium: fc.string(), options: fc.dictionary(fc.string(), fc.jsonValue()) }),
  agent: fc.record({ module: fc.string(), options: fc.dictionary(fc.string(), fc.jsonValue()) }),
  objective: fc.constant(null),
  recording: fc.constantFrom('scores' as const, 'full' as const),
  protocol: fc.constantFrom('stop' as const, 'observe' as const),
  detector: fc.record({ kind: fc.constant('fixed' as const), threshold: fc.double({ noNaN: true }) }),
  calibration: fc.option(
    fc.record({ alpha: fc.double(), band: fc.record({ p50: fc.array(fc.double({ noDefaultInfinity: true })) }) }),
  ),
}) as unknown as fc.Arbitrary<EpisodePlan['command']>;

test('each episode command is the JSON text of the whole command, byte for byte', () => {
  fc.assert(
    fc.property(
      command,
      fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.integer(), fc.boolean()), { minLength: 1, maxLength: 4 }),
      (shared, episodes) => {
        const text = episodeCommandText(shared);
        for (const [episodeId, seed, checkRender] of episodes) {
          const whole = { ...shared, episodeId, seed, ...(checkRender ? { checkRender: true } : {}) };
          assert.equal(text(episodeId, seed, checkRender), JSON.stringify(whole));
        }
      },
    ),
    { numRuns: 500 },
  );
});
