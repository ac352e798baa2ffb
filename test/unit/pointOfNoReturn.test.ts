// The point-of-no-return search over forks (blame, issue 14), with the fork outcome given as a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPointOfNoReturn } from '../../src/engine/pointOfNoReturn';

const from = (avoided: (t: number) => boolean) => async (t: number) => avoided(t);

test('monotone: bisection finds the latest avoiding step with few forks', async () => {
  const r = await findPointOfNoReturn(
    100,
    from((t) => t <= 37),
  );
  assert.equal(r.pointOfNoReturn, 37);
  assert.equal(r.monotone, true);
  assert.ok(r.probes.length <= 10, `${r.probes.length} forks`);
  assert.deepEqual(r.probes.slice(0, 2), [
    { step: 100, avoided: false },
    { step: 0, avoided: true },
  ]);
  assert.equal(new Set(r.probes.map((p) => p.step)).size, r.probes.length, 'no step forked twice');
});

test('avoided even at the flagged step: the flagged step itself', async () => {
  const r = await findPointOfNoReturn(
    8,
    from(() => true),
  );
  assert.deepEqual(r, { pointOfNoReturn: 8, monotone: true, probes: [{ step: 8, avoided: true }] });
});

test('never avoided: null, after scanning the steps between', async () => {
  const r = await findPointOfNoReturn(
    5,
    from(() => false),
  );
  assert.equal(r.pointOfNoReturn, null);
  assert.equal(r.monotone, true);
  assert.deepEqual(
    r.probes.map((p) => p.step),
    [5, 0, 4, 3, 2, 1],
  );
});

test('not monotone (step 0 fails, later steps avoid): said, and the latest avoiding step found by a scan', async () => {
  const r = await findPointOfNoReturn(
    8,
    from((t) => t >= 2 && t <= 4),
  );
  assert.equal(r.pointOfNoReturn, 4);
  assert.equal(r.monotone, false);
});

test('not monotone below the boundary: the skipped steps above it are scanned', async () => {
  // bisection over 0..20 lands on 10 (probes 10 true, 15 false, 12 false, 11 false); 9 fails; 13 avoids
  const r = await findPointOfNoReturn(
    20,
    from((t) => t === 0 || t === 10 || t === 13),
  );
  assert.equal(r.monotone, false);
  assert.equal(r.pointOfNoReturn, 13);
});
