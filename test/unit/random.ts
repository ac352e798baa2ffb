// A small seeded generator so statistical tests are repeatable.
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** An episode of `len` increments: mean `mu` plus noise, dropping by `shift` per step from `from` on. */
export function episode(g: () => number, len: number, mu = 0.2, shift = 0, from = Infinity): Float64Array {
  const u = new Float64Array(len);
  for (let t = 0; t < len; t++) u[t] = mu + g() + (t >= from ? -shift : 0);
  return u;
}
