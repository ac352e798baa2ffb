import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng';

const draw = (r: Rng, n: number) => Array.from({ length: n }, () => r.next());

test('same seed gives the same stream; neighbouring seeds give different ones', () => {
  assert.deepEqual(draw(new Rng(42), 50), draw(new Rng(42), 50));
  const a = draw(new Rng(0), 50),
    b = draw(new Rng(1), 50);
  assert.notDeepEqual(a, b);
  // no shared prefix either: splitmix seeding decorrelates consecutive seeds
  assert.notEqual(a[0], b[0]);
  // seeds above 32 bits are distinguished by their high part
  assert.notDeepEqual(draw(new Rng(2 ** 32 + 5), 5), draw(new Rng(5), 5));
});

test('next() is uniform on [0, 1) and int/range/chance stay in bounds', () => {
  const r = new Rng(7);
  let sum = 0;
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    sum += v;
    buckets[Math.floor(v * 10)]++;
  }
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01, `mean ${sum / 100_000}`);
  for (const b of buckets) assert.ok(Math.abs(b - 10_000) < 500, `bucket ${b}`);
  for (let i = 0; i < 1000; i++) {
    const k = r.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    const x = r.range(-2, 3);
    assert.ok(x >= -2 && x < 3);
  }
});

test('normal() has mean 0 and sd 1', () => {
  const r = new Rng(11);
  const xs = Array.from({ length: 50_000 }, () => r.normal());
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
  assert.ok(Math.abs(m) < 0.02, `mean ${m}`);
  assert.ok(Math.abs(sd - 1) < 0.02, `sd ${sd}`);
  assert.ok(xs.every(Number.isFinite));
});

test('clone() continues the same stream independently', () => {
  const r = new Rng(3);
  draw(r, 17);
  const c = r.clone();
  assert.deepEqual(draw(c, 20), draw(r, 20));
  c.next();
  assert.notEqual(c.next(), r.next());
});

test('a non-finite seed is refused with a clear message', () => {
  assert.throws(() => new Rng(Number.NaN), /seed must be a finite number/);
});
