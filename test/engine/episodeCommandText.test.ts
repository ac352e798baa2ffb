// Episode commands are written from the run's shared part, serialized once (episodePlan.ts
// episodeCommandText): each line must be the bytes JSON.stringify makes of the whole command, for any
// shared part (a calibration's doubles, nested options, odd strings), episode id, seed and checkRender;
// with a calibration, carrying it under its id, or (held) naming that id in its place.
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
      fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.integer(), fc.boolean(), fc.boolean()), {
        minLength: 1,
        maxLength: 4,
      }),
      (shared, episodes) => {
        const commands = episodeCommandText(shared);
        const id = commands.calibrationId;
        assert.equal(id === null, shared.calibration === null);
        for (const [episodeId, seed, checkRender, held] of episodes) {
          const tail = { episodeId, seed, ...(checkRender ? { checkRender: true } : {}) };
          const whole =
            id === null
              ? { ...shared, ...tail }
              : held
                ? { ...shared, calibration: null, heldCalibration: id, ...tail }
                : { ...shared, calibrationId: id, ...tail };
          const text = commands.text(episodeId, seed, checkRender, held);
          assert.equal(text, JSON.stringify(whole));
          if (held && id !== null) assert.ok(text.length < JSON.stringify({ ...shared, ...tail }).length + 80);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test("the calibration's id follows its content", () => {
  fc.assert(
    fc.property(command, command, (a, b) => {
      fc.pre(a.calibration !== null && b.calibration !== null);
      const same = JSON.stringify(a.calibration) === JSON.stringify(b.calibration);
      assert.equal(episodeCommandText(a).calibrationId === episodeCommandText(b).calibrationId, same);
      // the rest of the command does not enter it
      assert.equal(
        episodeCommandText({ ...b, calibration: a.calibration }).calibrationId,
        episodeCommandText(a).calibrationId,
      );
    }),
    { numRuns: 300 },
  );
});
