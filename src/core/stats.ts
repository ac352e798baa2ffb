// Small statistics the reports share (report, report over recorded run folders): pure, no imports.

/** The median of `xs`; null for none. */
export function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The first index where the two series differ (one ending counts); null when equal or `b` is missing. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number> | undefined): number | null {
  if (!b) return null;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return null;
}
